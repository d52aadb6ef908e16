package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrCancelled is matched by every cancellation error that anyio returns.
var ErrCancelled = errors.New("anyio: cancelled")

// CancelledError is the error of a blocking call whose context was cancelled.
// It matches ErrCancelled, context.Canceled and the Err() of the context that
// was cancelled (context.DeadlineExceeded for a plain context's deadline).
//
// The error that users see is the *anyio.CancelledError that holds this
// record (see Publisher); Err returns it.
type CancelledError struct {
	reason   string
	deadline bool
	ctxErr   error // what ctx.Err() said when this error was made
	cause    error // a foreign context's cause, if any
	pub      error // the public error value that holds this record
}

// newCancelled makes a cancellation record and its public error value.
func newCancelled(reason string, deadline bool, ctxErr, cause error) *CancelledError {
	var c *CancelledError
	if pub.NewCancelled != nil {
		var e error
		c, e = pub.NewCancelled()
		c.pub = e
	} else {
		c = new(CancelledError)
		c.pub = c
	}
	c.reason, c.deadline, c.ctxErr, c.cause = reason, deadline, ctxErr, cause
	return c
}

// NewCancelledError returns the error for an explicit cancellation with an
// optional reason.
func NewCancelledError(reason string) error {
	return newCancelled(reason, false, context.Canceled, nil).pub
}

// Err returns the public error value of the record.
func (e *CancelledError) Err() error { return e.pub }

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
			return ce.pub
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
	if ce := AsCancelled(cause); ce != nil && (err == context.Canceled || err == ce.ctxErr) {
		return ce.pub
	}
	if cause == nil {
		cause = err
	}
	return newCancelled("", false, err, cause).pub
}

// AsCancelled returns the cancellation record of err, if err is an anyio
// cancellation error itself (not one wrapped in another error).
func AsCancelled(err error) *CancelledError {
	if pub.AsCancelled != nil {
		if c := pub.AsCancelled(err); c != nil {
			return c
		}
	}
	c, _ := err.(*CancelledError)
	return c
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

// NewGroup returns the public exception group of errs.
func NewGroup(errs []error) error {
	g := &ExceptionGroup{Errors: errs}
	if pub.Group != nil {
		return pub.Group(g)
	}
	return g
}

// AsGroup returns err as an exception group if it is one (itself, not
// wrapped), or nil.
func AsGroup(err error) *ExceptionGroup {
	if pub.AsGroup != nil {
		if g := pub.AsGroup(err); g != nil {
			return g
		}
	}
	g, _ := err.(*ExceptionGroup)
	return g
}

// PanicError carries a panic out of a child task: the value given to panic
// and the stack of the goroutine that panicked. Others holds the panics and
// errors of other tasks of the same group that happened meanwhile.
type PanicError struct {
	Value  any
	Stack  []byte
	Task   string
	Others []error
}

// Error returns the headline (the task, the value, how many other failures
// came with it) followed by the stack of the panicking task. The stack is
// part of the message because a *PanicError that nobody recovers crashes
// the program from the goroutine that ran the task group, and the runtime
// prints the message of the panic value: that is how the crash output shows
// the line that panicked.
func (p *PanicError) Error() string {
	var b strings.Builder
	b.WriteString(p.Headline())
	if len(p.Stack) > 0 {
		b.WriteString("\n\npanicking task's stack:\n")
		b.Write(bytes.TrimRight(p.Stack, "\n"))
	}
	return b.String()
}

// Headline returns the first line of Error: the task, the value and how many
// other failures came with the panic.
func (p *PanicError) Headline() string {
	var b strings.Builder
	fmt.Fprintf(&b, "anyio: panic in task %q: %v", p.Task, p.Value)
	if len(p.Others) > 0 {
		fmt.Fprintf(&b, " (and %d more failures in the same task group)", len(p.Others))
	}
	return b.String()
}

// public returns the public value of p, to panic with.
func (p *PanicError) public() any {
	if pub.Panic != nil {
		return pub.Panic(p)
	}
	return p
}

// asPanic returns the panic record of a recovered value, if it is one.
func asPanic(r any) *PanicError {
	if pub.AsPanic != nil {
		if p := pub.AsPanic(r); p != nil {
			return p
		}
	}
	p, _ := r.(*PanicError)
	return p
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

// NewGoexitError returns the public error for a task named task that called
// runtime.Goexit.
func NewGoexitError(task string) error {
	e := &GoexitError{Task: task}
	if pub.Goexit != nil {
		return pub.Goexit(e)
	}
	return e
}

// Publisher turns the records of core into the public error values that
// package anyio declares, so that users see *anyio.PanicError and not a type
// of this internal package. ExceptionGroup, PanicError and GoexitError have
// the same fields as their public counterparts, so that the conversion is a
// pointer conversion; a CancelledError record lives inside the public
// *anyio.CancelledError, made together with it.
//
// anyio registers its Publisher in its init function, before any task runs.
// Without one (in core's and wait's own tests), the records are the errors.
type Publisher struct {
	Group        func(*ExceptionGroup) error
	AsGroup      func(error) *ExceptionGroup
	Panic        func(*PanicError) any
	AsPanic      func(any) *PanicError
	Goexit       func(*GoexitError) error
	NewCancelled func() (*CancelledError, error)
	AsCancelled  func(error) *CancelledError
}

var pub Publisher

// SetPublisher registers p. It is called once, by package anyio's init.
func SetPublisher(p Publisher) {
	pub = p
	// The causes made before p was registered (package variables) are
	// made again, so that they too are public values.
	plainCancel = newCancelled("", false, context.Canceled, nil)
	deadlineCancel = newCancelled("", true, context.Canceled, nil)
	exitedCause = newCancelled("the cancel scope of this context has exited", false, context.Canceled, nil)
}
