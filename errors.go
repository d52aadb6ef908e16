package anyio

import (
	"context"
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
	ErrTimeout error = &timeoutError{}

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

// The errors of misusing a synchronization primitive. Each is returned as it
// is (compare with errors.Is), or wrapped with details where the message says
// more.
var (
	// ErrLockAlreadyHeld is returned by Lock.Acquire and Lock.TryAcquire
	// (and Condition's) when the calling task holds the lock already: a
	// Lock is not reentrant.
	ErrLockAlreadyHeld = errors.New("anyio: Lock: the current task already holds this lock (a Lock is not reentrant)")

	// ErrLockNotLocked is returned by Lock.Release (and Condition.Release)
	// when the lock is not held at all.
	ErrLockNotLocked = errors.New("anyio: Lock.Release: the lock is not held")

	// ErrLockNotOwner is returned by Lock.Release (and Condition.Release)
	// when another task holds the lock.
	ErrLockNotOwner = errors.New("anyio: Lock.Release: the current task does not hold this lock")

	// ErrConditionNotHeld is returned by Condition.Wait, WaitFor, Notify and
	// NotifyAll when the calling task does not hold the condition's lock.
	ErrConditionNotHeld = errors.New("anyio: Condition: the current task is not holding the underlying lock")

	// ErrNoBorrowerTask is returned by CapacityLimiter.Acquire, TryAcquire
	// and Release when ctx carries no anyio task to be the borrower.
	ErrNoBorrowerTask = errors.New("anyio: CapacityLimiter: the context carries no anyio task to borrow the token; use AcquireOnBehalfOf/ReleaseOnBehalfOf with an explicit borrower")

	// ErrNilBorrower is returned by the OnBehalfOf methods of
	// CapacityLimiter for a nil borrower.
	ErrNilBorrower = errors.New("anyio: CapacityLimiter: the borrower is nil; pass a non-nil comparable value")

	// ErrBorrowerNotComparable is returned (wrapped, with the type) by the
	// OnBehalfOf methods of CapacityLimiter for a borrower that cannot be a
	// map key.
	ErrBorrowerNotComparable = errors.New("anyio: CapacityLimiter: the borrower is not comparable")

	// ErrBorrowerHolding is returned by CapacityLimiter's Acquire methods
	// when the borrower holds one of its tokens already (one borrower holds
	// at most one token).
	ErrBorrowerHolding = errors.New("anyio: CapacityLimiter: this borrower is already holding one of this CapacityLimiter's tokens")

	// ErrBorrowerWaiting is returned by CapacityLimiter's Acquire methods
	// when the borrower is already waiting for one of its tokens (another
	// goroutine sharing the task).
	ErrBorrowerWaiting = errors.New("anyio: CapacityLimiter: this borrower is already waiting for one of this CapacityLimiter's tokens")

	// ErrBorrowerNotHolding is returned by CapacityLimiter.Release and
	// ReleaseOnBehalfOf when the borrower holds none of its tokens.
	ErrBorrowerNotHolding = errors.New("anyio: CapacityLimiter: this borrower isn't holding any of this CapacityLimiter's tokens")

	// ErrSemaphoreFull is returned (wrapped, with the maximum) by
	// Semaphore.Release when the value would exceed the semaphore's
	// maximum value, or overflow.
	ErrSemaphoreFull = errors.New("anyio: Semaphore.Release: the semaphore is at its maximum value")

	// ErrInvalidArgument is returned (wrapped, with the details) for an
	// argument out of range: a negative count to Condition.Notify, a
	// negative total to CapacityLimiter.SetTotalTokens (AnyIO's ValueError).
	ErrInvalidArgument = errors.New("anyio: invalid argument")
)

// ExceptionGroup holds several errors that happened together, in the order in
// which they occurred: what a task group returns when its body or children
// failed (AnyIO's ExceptionGroup).
//
// It implements Unwrap() []error, so errors.Is and errors.As see every
// member (nested groups included), and its Error() lists every member's
// message. A group may hold cancellation errors next to other failures: those
// that reached the task group from a cancel scope outside it, which that
// scope removes when the error passes through it.
type ExceptionGroup struct {
	// Errors are the failures, in order of occurrence.
	Errors []error
}

// Error returns the message of the only error, or a numbered list of all.
func (g *ExceptionGroup) Error() string { return (*core.ExceptionGroup)(g).Error() }

// Unwrap returns the errors of the group, for errors.Is and errors.As.
func (g *ExceptionGroup) Unwrap() []error { return g.Errors }

// PanicError carries a panic out of a task; the task group re-panics with it
// in the goroutine that runs the group, after every child returned. If
// nothing recovers it, the program crashes, and the crash output shows the
// panicking task's name, the value and the task's own stack (Error includes
// them), above the stack of the goroutine that ran the group.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the stack of the panicking task's goroutine at the panic
	// (runtime/debug.Stack): the panicking line is near its top.
	Stack []byte
	// Task is the name of the task that panicked.
	Task string
	// Others are the other failures of the same task group (further
	// panics, then errors), so that none is lost.
	Others []error
}

// Error returns the headline (see Headline) and the panicking task's stack.
func (p *PanicError) Error() string { return (*core.PanicError)(p).Error() }

// Headline returns the first line of Error: the task's name, the panic value
// and how many other failures came with it.
func (p *PanicError) Headline() string { return (*core.PanicError)(p).Headline() }

// Unwrap returns Value if it is an error, followed by Others, so that
// errors.Is and errors.As see through the panic.
func (p *PanicError) Unwrap() []error { return (*core.PanicError)(p).Unwrap() }

// GoexitError is the failure recorded for a task that called runtime.Goexit
// (as testing.T.FailNow does) instead of returning: never taken for success.
type GoexitError struct {
	// Task is the name of the task.
	Task string
}

// Error says which task called runtime.Goexit.
func (e *GoexitError) Error() string { return (*core.GoexitError)(e).Error() }

// CancelledError is the type of the cancellation errors that anyio's
// blocking calls return. Match it with errors.Is(err, ErrCancelled) (or
// context.Canceled) rather than by type; use errors.As to read Reason and
// Deadline.
type CancelledError struct {
	c core.CancelledError
}

// Error says that the call was cancelled, and why when that is known.
func (e *CancelledError) Error() string { return e.c.Error() }

// Is reports whether target is ErrCancelled, context.Canceled or the context
// error this cancellation stands for (context.DeadlineExceeded for a plain
// context's deadline).
func (e *CancelledError) Is(target error) bool { return e.c.Is(target) }

// Unwrap returns the cause of a foreign context's cancellation, if any.
func (e *CancelledError) Unwrap() error { return e.c.Unwrap() }

// Reason returns the reason given to CancelScope.CancelWithReason (or
// TaskGroup.CancelWithReason), or "".
func (e *CancelledError) Reason() string { return e.c.Reason() }

// Deadline reports whether a cancel scope's deadline caused the
// cancellation.
func (e *CancelledError) Deadline() bool { return e.c.Deadline() }

// timeoutError is the type of ErrTimeout.
type timeoutError struct{}

func (*timeoutError) Error() string        { return "anyio: timed out (deadline exceeded)" }
func (*timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (*timeoutError) Timeout() bool        { return true }
func (*timeoutError) Temporary() bool      { return false }

// The internal machinery makes and recognises the error values above through
// this publisher, so that users only ever meet anyio's own types.
func init() {
	core.SetPublisher(core.Publisher{
		Group: func(g *core.ExceptionGroup) error { return (*ExceptionGroup)(g) },
		AsGroup: func(err error) *core.ExceptionGroup {
			g, _ := err.(*ExceptionGroup)
			return (*core.ExceptionGroup)(g)
		},
		Panic: func(p *core.PanicError) any { return (*PanicError)(p) },
		AsPanic: func(r any) *core.PanicError {
			p, _ := r.(*PanicError)
			return (*core.PanicError)(p)
		},
		Goexit: func(e *core.GoexitError) error { return (*GoexitError)(e) },
		NewCancelled: func() (*core.CancelledError, error) {
			e := new(CancelledError)
			return &e.c, e
		},
		AsCancelled: func(err error) *core.CancelledError {
			if e, ok := err.(*CancelledError); ok {
				return &e.c
			}
			return nil
		},
	})
}

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
