package anyio

import (
	"errors"
	"fmt"
	"io"

	"github.com/anyio-go/anyio/internal/core"
)

// The sentinel errors of anyio. Each AnyIO exception class becomes one of
// these (or an error type below); match them with errors.Is.
var (
	// ErrCancelled is matched by every cancellation error: the error a
	// blocking call returns once its context is cancelled. Such an error also
	// matches the context's Err() (context.Canceled, or
	// context.DeadlineExceeded for a plain context's deadline);
	// context.Cause of the context names what cancelled it.
	ErrCancelled = core.ErrCancelled

	// ErrTimeout is returned by the Run of a FailAfter or FailAt scope whose
	// own deadline cancelled its body. It also matches
	// context.DeadlineExceeded.
	ErrTimeout = core.ErrTimeout

	// ErrBrokenResource: the resource is unusable because of an earlier
	// failure or because the other side went away (AnyIO's BrokenResourceError).
	ErrBrokenResource = errors.New("anyio: broken resource")

	// ErrClosedResource: the resource was closed by this side and cannot be
	// used any more (AnyIO's ClosedResourceError).
	ErrClosedResource = errors.New("anyio: resource is closed")

	// ErrEndOfStream is io.EOF itself, so that err == io.EOF works: the peer
	// closed its sending side and nothing is left to receive.
	ErrEndOfStream = io.EOF

	// ErrWouldBlock is returned by the Try variants when the operation would
	// have to wait.
	ErrWouldBlock = errors.New("anyio: operation would block")

	// ErrIncompleteRead is io.ErrUnexpectedEOF itself: the stream ended before
	// the requested amount of data arrived.
	ErrIncompleteRead = io.ErrUnexpectedEOF

	// ErrTypedAttributeLookup is returned by Extra when the provider does not
	// have the attribute.
	ErrTypedAttributeLookup = errors.New("anyio: typed attribute not found")

	// ErrBackendNotFound is returned by Run for a backend other than "go".
	ErrBackendNotFound = errors.New("anyio: backend not found")

	// ErrLookup is returned by lowlevel.RunVar.Get when the variable has no
	// value and no default in the current Run (AnyIO's LookupError).
	ErrLookup = errors.New("anyio: run variable has no value")

	// ErrBusyResource is matched by every *BusyResourceError.
	ErrBusyResource = errors.New("anyio: resource is busy")

	// ErrDelimiterNotFound is matched by every *DelimiterNotFoundError.
	ErrDelimiterNotFound = errors.New("anyio: delimiter not found")

	// ErrEmptyBuffer is returned by the Receive method of every byte stream
	// of anyio when it is given an empty buffer: a byte stream receives at
	// most len(p) bytes and never returns (0, nil), so an empty p is a
	// programming error (AnyIO's "max_bytes must be a positive integer").
	ErrEmptyBuffer = errors.New("anyio: Receive needs a non-empty buffer (max_bytes must be a positive integer)")

	// ErrNeverStarted is returned by Start when the child returned nil
	// without calling TaskStatus.Started.
	ErrNeverStarted = core.ErrNeverStarted
)

// ExceptionGroup holds several errors that happened together, in the order in
// which they occurred: what a task group returns when its body or children
// failed (AnyIO's ExceptionGroup).
//
// Its one field is Errors []error. It implements Unwrap() []error, so
// errors.Is and errors.As see every member (nested groups included), and its
// Error() lists every member's message. (The type is declared in an internal
// package shared by anyio's subpackages; this alias is the public name.)
type ExceptionGroup = core.ExceptionGroup

// PanicError carries a panic out of a child task; the task group re-panics
// with it in the goroutine that runs the group, after every child returned.
//
// Fields: Value is what was passed to panic; Stack is the panicking
// goroutine's stack (runtime/debug.Stack); Task is the name of the task that
// panicked; Others holds the other failures of the same group (further
// panics, then errors) so that none is lost. Error() gives a one-line
// message, String() adds the stack, and Unwrap() []error returns Value (if it
// is an error) and Others.
type PanicError = core.PanicError

// GoexitError is the failure recorded for a task that called runtime.Goexit
// (as testing.T.FailNow does) instead of returning: never taken for success.
// Its field Task is the task's name.
type GoexitError = core.GoexitError

// CancelledError is the type of the cancellation errors that anyio's
// blocking calls return. Match it with errors.Is(err, ErrCancelled) (or
// context.Canceled) rather than by type; use errors.As to read Reason(), the
// text given to CancelScope.CancelWithReason, and Deadline(), which reports
// whether a cancel scope's deadline caused the cancellation.
type CancelledError = core.CancelledError

// BusyResourceError is returned when a task tries to use a resource that
// another task is already using in the same way (AnyIO's BusyResourceError).
// It matches ErrBusyResource.
type BusyResourceError struct {
	// Action is what the other task is doing, e.g. "reading from".
	Action string
}

func (e *BusyResourceError) Error() string {
	return fmt.Sprintf("anyio: another task is already %s this resource", e.Action)
}

// Is reports whether target is ErrBusyResource.
func (e *BusyResourceError) Is(target error) bool { return target == ErrBusyResource }

// DelimiterNotFoundError is returned by a buffered stream's ReceiveUntil when
// the delimiter was not found within MaxBytes bytes. It matches
// ErrDelimiterNotFound.
type DelimiterNotFoundError struct {
	MaxBytes int
}

func (e *DelimiterNotFoundError) Error() string {
	return fmt.Sprintf("anyio: delimiter not found within %d bytes", e.MaxBytes)
}

// Is reports whether target is ErrDelimiterNotFound.
func (e *DelimiterNotFoundError) Is(target error) bool { return target == ErrDelimiterNotFound }

// CalledProcessError is returned by RunProcess with Check(true) when the
// command exits with a non-zero return code.
type CalledProcessError struct {
	ReturnCode int
	Cmd        []string
	Stdout     []byte
	Stderr     []byte
}

func (e *CalledProcessError) Error() string {
	return fmt.Sprintf("anyio: command %q returned non-zero exit status %d", e.Cmd, e.ReturnCode)
}

// The errors of task handles (CreateTask, AsCompleted), futures and the
// concurrency helpers (Gather, AMap, AsCompleted).
var (
	// ErrTaskNotFinished is returned by TaskHandle.Result while the task
	// runs (AnyIO's TaskNotFinished).
	ErrTaskNotFinished = errors.New("anyio: the task has not finished yet; Wait for it")

	// ErrTaskCancelled is returned by TaskHandle.Wait and Result when the
	// task ended in a cancellation (its handle's Cancel, or its group's), and
	// by Gather and AMap when a function returned a cancellation error that
	// nothing else explains (AnyIO's TaskCancelled). It does not match
	// ErrCancelled: the waiter itself was not cancelled.
	ErrTaskCancelled = errors.New("anyio: the task was cancelled")

	// ErrFutureNotFinished is returned by Future.Result while the future has
	// no result yet (AnyIO's FutureNotFinished).
	ErrFutureNotFinished = errors.New("anyio: the future has not finished yet; Wait for it")

	// ErrFutureAlreadyFinished is returned by Future.SetResult and SetError
	// when the future already has a result or an error: a future is set
	// once (AnyIO's FutureAlreadyFinished).
	ErrFutureAlreadyFinished = errors.New("anyio: the future has already finished; a future is set only once")

	// ErrFutureCancelled is returned by Future.Wait and Result for a
	// cancelled future, and by SetResult and SetError once it was cancelled
	// (AnyIO's FutureCancelled). It does not match ErrCancelled.
	ErrFutureCancelled = errors.New("anyio: the future was cancelled")

	// ErrFutureFailed is matched by the error that Future.Wait and Result
	// return for a future given an error with SetError; that error matches
	// the one given as well (AnyIO's FutureFailed).
	ErrFutureFailed = errors.New("anyio: the future failed")

	// ErrNoFunctions is returned by AsCompleted when it is given no
	// function to run.
	ErrNoFunctions = errors.New("anyio: AsCompleted needs at least one function to run")
)

// TaskFailedError is returned by TaskHandle.Wait and Result when the task
// returned an error other than a cancellation, or panicked (AnyIO's
// TaskFailed). Task is the task's name; Err is what it returned (a
// *PanicError for a panic, a *GoexitError for runtime.Goexit), and
// errors.Is and errors.As see it through Unwrap.
type TaskFailedError struct {
	Task string
	Err  error
}

func (e *TaskFailedError) Error() string {
	return fmt.Sprintf("anyio: task %s failed: %v", e.Task, e.Err)
}

// Unwrap returns the task's error.
func (e *TaskFailedError) Unwrap() error { return e.Err }
