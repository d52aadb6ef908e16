package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrCancelled is matched by every cancellation error that anyio returns.
var ErrCancelled = errors.New("anyio: cancelled")

// ErrTimeout is returned by a FailAfter/FailAt scope whose own deadline
// cancelled its body. It also matches context.DeadlineExceeded.
var ErrTimeout error = &timeoutError{}

type timeoutError struct{}

func (*timeoutError) Error() string        { return "anyio: timed out (deadline exceeded)" }
func (*timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (*timeoutError) Timeout() bool        { return true }
func (*timeoutError) Temporary() bool      { return false }

// CancelledError is the error of a blocking call whose context was cancelled.
// It matches ErrCancelled, context.Canceled and the Err() of the context that
// was cancelled (context.DeadlineExceeded for a plain context's deadline).
type CancelledError struct {
	reason   string
	deadline bool
	ctxErr   error // what ctx.Err() said when this error was made
	cause    error // a foreign context's cause, if any
}

// NewCancelledError returns the error for an explicit cancellation with an
// optional reason.
func NewCancelledError(reason string) *CancelledError {
	return &CancelledError{reason: reason, ctxErr: context.Canceled}
}

// NewDeadlineError returns the error for a cancel scope's own deadline.
func NewDeadlineError() *CancelledError {
	return &CancelledError{deadline: true, ctxErr: context.Canceled}
}

// Reason returns the reason given to CancelWithReason, if any.
func (e *CancelledError) Reason() string { return e.reason }

// Deadline reports whether a cancel scope's deadline caused the cancellation.
func (e *CancelledError) Deadline() bool { return e.deadline }

func (e *CancelledError) Error() string {
	switch {
	case e.reason != "":
		return "anyio: cancelled: " + e.reason
	case e.deadline:
		return "anyio: cancelled: cancel scope deadline reached"
	case e.cause != nil:
		return "anyio: cancelled: " + e.cause.Error()
	}
	return "anyio: cancelled"
}

// Is reports whether target is ErrCancelled, context.Canceled or the context
// error this cancellation stands for.
func (e *CancelledError) Is(target error) bool {
	return target == ErrCancelled || target == context.Canceled || (e.ctxErr != nil && target == e.ctxErr)
}

// Unwrap returns the foreign cause, if any.
func (e *CancelledError) Unwrap() error { return e.cause }

// IsCancellation reports whether err is a cancellation error: it matches
// ErrCancelled or context.Canceled along its chain, and where the chain holds
// several errors (Unwrap() []error, as errors.Join and ExceptionGroup), every
// one of them is a cancellation. An error that merely travels together with a
// cancellation is not one, so that scopes and task groups never drop it.
func IsCancellation(err error) bool {
	for err != nil {
		if err == ErrCancelled || err == context.Canceled {
			return true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok && (x.Is(ErrCancelled) || x.Is(context.Canceled)) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			for _, e := range errs {
				if !IsCancellation(e) {
					return false
				}
			}
			return len(errs) > 0
		default:
			return false
		}
	}
	return false
}

// CancelErr returns the cancellation error for a context that is done. It
// reuses the cause recorded by an anyio scope, so that no allocation is made
// in the common case.
func CancelErr(ctx context.Context) error {
	// The contexts of anyio scopes record their cause in the scope, so that
	// tasks woken together by one cancellation do not all queue on the locks
	// that context.Cause and a done context's Err take (Err receives from
	// the closed Done channel, which locks it; a select with a default
	// does not).
	var s *Scope
	switch c := ctx.(type) {
	case *scopeCtx:
		s = c.s
	case *Task:
		s = c.group.Scope
	}
	if s != nil {
		if ce := s.cause.Load(); ce != nil && s.isDone() {
			return ce
		}
		if s.ctx.Context.Err() == nil {
			return nil
		}
	}
	err := ctx.Err()
	if err == nil {
		return nil
	}
	cause := context.Cause(ctx)
	if ce, ok := cause.(*CancelledError); ok && (err == context.Canceled || err == ce.ctxErr) {
		return ce
	}
	if cause == nil {
		cause = err
	}
	return &CancelledError{ctxErr: err, cause: cause}
}

// ExceptionGroup holds several errors that happened together, in the order in
// which they occurred. It is what a task group returns when its body or its
// children failed.
type ExceptionGroup struct {
	Errors []error
}

func (g *ExceptionGroup) Error() string {
	var b strings.Builder
	switch len(g.Errors) {
	case 1:
		b.WriteString("anyio: unhandled error in a task group: ")
		b.WriteString(g.Errors[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "anyio: %d unhandled errors in a task group", len(g.Errors))
	for i, err := range g.Errors {
		fmt.Fprintf(&b, "\n  [%d] %s", i+1, strings.ReplaceAll(err.Error(), "\n", "\n      "))
	}
	return b.String()
}

// Unwrap returns the errors of the group, for errors.Is and errors.As.
func (g *ExceptionGroup) Unwrap() []error { return g.Errors }

// PanicError carries a panic out of a child task: the value given to panic
// and the stack of the goroutine that panicked. Others holds the panics and
// errors of other tasks of the same group that happened meanwhile.
type PanicError struct {
	Value  any
	Stack  []byte
	Task   string
	Others []error
}

func (p *PanicError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "anyio: panic in task %q: %v", p.Task, p.Value)
	if len(p.Others) > 0 {
		fmt.Fprintf(&b, " (and %d more failures in the same task group)", len(p.Others))
	}
	return b.String()
}

// String returns the message and the stack of the panicking goroutine.
func (p *PanicError) String() string {
	return p.Error() + "\n\n" + string(p.Stack)
}

// Unwrap returns the panic value if it is an error, followed by the other
// failures attached to this panic.
func (p *PanicError) Unwrap() []error {
	var errs []error
	if err, ok := p.Value.(error); ok {
		errs = append(errs, err)
	}
	return append(errs, p.Others...)
}

// GoexitError reports that a task called runtime.Goexit (as t.FailNow does)
// instead of returning.
type GoexitError struct{ Task string }

func (e *GoexitError) Error() string {
	return fmt.Sprintf("anyio: task %q called runtime.Goexit instead of returning", e.Task)
}
