package fromthread

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// Future is the result of a function that a [BlockingPortal] runs as a task
// (AnyIO's concurrent.futures.Future of start_task_soon). Its methods are
// safe for concurrent use.
type Future[T any] struct {
	done  chan struct{}
	scope *anyio.CancelScope

	mu        sync.Mutex
	finished  bool
	cancelled bool // Cancel came before the end

	v   T
	err error
	pe  *anyio.PanicError
}

func newFuture[T any]() *Future[T] {
	return &Future[T]{done: make(chan struct{}), scope: anyio.NewCancelScope()}
}

// errFutureCancelled is the result of a future cancelled before its end.
var errFutureCancelled = core.NewCancelledError("the future was cancelled")

// Result blocks until the task has returned, then returns its result. It
// returns ErrPortalNotRunning or ErrPortalTask if the task could not start,
// and a cancellation error (matching anyio.ErrCancelled) if [Future.Cancel]
// came before the task's end or the portal cancelled it.
//
// A panic in the task is re-raised here as *anyio.PanicError, with the
// task's stack. It also fails the portal's task group, as a panic in any
// task fails its group (and as for an anyio.TaskHandle): the portal's other
// tasks are cancelled, and the portal's end re-raises it (the
// NewBlockingPortal call panics; Stop of a StartBlockingPortal panics), so
// that a panic nobody asked a Future for is not lost.
func (f *Future[T]) Result() (T, error) {
	<-f.done
	if f.pe != nil {
		panic(f.pe)
	}
	return f.v, f.err
}

// Done returns a channel that is closed once the task has returned (or
// could not start), after which Result does not block.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Cancel cancels the task: its context is cancelled, and Result reports a
// cancellation error (not the task's own result) once it has returned.
// Cancel does not wait; a Cancel after the task's end changes nothing.
func (f *Future[T]) Cancel() {
	f.mu.Lock()
	if f.finished {
		f.mu.Unlock()
		return
	}
	f.cancelled = true
	f.mu.Unlock()
	f.scope.CancelWithReason("the future was cancelled")
}

// finish records the result and closes done.
func (f *Future[T]) finish(v T, err error, pe *anyio.PanicError) {
	f.mu.Lock()
	if f.finished {
		f.mu.Unlock()
		return
	}
	f.finished = true
	if f.cancelled && pe == nil {
		var zero T
		v, err = zero, errFutureCancelled
	}
	f.v, f.err, f.pe = v, err, pe
	f.mu.Unlock()
	close(f.done)
}

// runIn runs fn in the future's cancel scope with ctx and records its
// result. fn's error goes to the future only, never to the portal's group;
// a panic is recorded too, then goes on, so that the portal's group
// re-raises it as it does any task's (as for a TaskHandle).
func (f *Future[T]) runIn(ctx context.Context, fn func(ctx context.Context) (T, error)) {
	var (
		v        T
		err      error
		returned bool
	)
	defer func() {
		if returned {
			return
		}
		r := recover()
		name := anyio.GetCurrentTask(ctx).Name
		var pe *anyio.PanicError
		switch x := r.(type) {
		case nil:
			// runtime.Goexit: it goes on ending the task, and the
			// portal's group records it.
			var zero T
			f.finish(zero, &anyio.GoexitError{Task: name}, nil)
			return
		case *anyio.PanicError:
			pe = x
		default:
			pe = &anyio.PanicError{Value: r, Stack: core.PanicStack(), Task: name}
		}
		var zero T
		f.finish(zero, nil, pe)
		panic(pe)
	}()
	serr := f.scope.Run(ctx, func(ctx context.Context) error {
		v, err = fn(ctx)
		return err
	})
	returned = true
	if err == nil && serr != nil {
		err = serr
	}
	if serr == nil && err != nil && core.IsCancellation(err) {
		// The future's own scope swallowed it: Cancel was called.
		f.finish(v, errFutureCancelled, nil)
		return
	}
	f.finish(v, err, nil)
}

// Call runs fn as a task of the portal and waits for its result (AnyIO's
// BlockingPortal.call). fn runs with the context of the portal's task
// group. Call blocks the calling goroutine, which must not be one of the
// portal's own tasks (ErrPortalTask); on a stopped portal it returns
// ErrPortalNotRunning. A panic in fn is re-raised here as
// *anyio.PanicError, and in the portal's group too (see [Future.Result]).
func Call[T any](p *BlockingPortal, fn func(ctx context.Context) (T, error)) (T, error) {
	return StartTaskSoon(p, fn).Result()
}

// StartTaskSoon starts fn as a task of the portal and returns its
// [Future] at once (AnyIO's start_task_soon). The task is named after fn
// unless opts name it (anyio.TaskName). If the task cannot start (a stopped
// portal, or a call from one of its own tasks) the Future is done already
// and its Result gives the error.
func StartTaskSoon[T any](p *BlockingPortal, fn func(ctx context.Context) (T, error), opts ...anyio.TaskOption) *Future[T] {
	f := newFuture[T]()
	if err := p.spawn(func(ctx context.Context) { f.runIn(ctx, fn) }, funcName(fn), opts); err != nil {
		var zero T
		f.finish(zero, err, nil)
	}
	return f
}

// StartTask starts fn as a task of the portal and waits until it calls
// status.Started(v) (AnyIO's start_task); it returns the task's [Future]
// and v. The task is named after fn unless opts name it.
//
// If fn returns before calling Started, StartTask returns its error, or
// anyio.ErrNeverStarted if it returned nil, and a nil Future; a panic before
// Started is re-raised here. Until Started, [Future.Cancel] cannot be
// called, but stopping the portal with cancelRemaining cancels fn.
func StartTask[T, S any](p *BlockingPortal, fn func(ctx context.Context, status *anyio.TaskStatus[S]) (T, error), opts ...anyio.TaskOption) (*Future[T], S, error) {
	f := newFuture[T]()
	type started struct {
		v        S
		err      error
		returned bool // anyio.Start returned (it did not re-panic)
	}
	res := make(chan started, 1)
	opts = append([]anyio.TaskOption{anyio.TaskName(funcName(fn))}, opts...)
	err := p.spawn(func(ctx context.Context) {
		// This task waits for fn's readiness: fn runs in a task of its
		// own, which anyio.Start moves into the portal's group once it is
		// started, and which reports its result to the future only, so
		// that it never fails the group (a panic aside).
		var r started
		defer func() { res <- r }() // also when Start re-panics fn's panic
		r.v, r.err = anyio.Start(ctx, p.tg, func(ctx context.Context, status *anyio.TaskStatus[S]) error {
			portalFrame(ctx, func(ctx context.Context) {
				f.runIn(ctx, func(ctx context.Context) (T, error) { return fn(ctx, status) })
			})
			return nil
		}, opts...)
		r.returned = true
	}, "", nil)
	var zero S
	if err != nil {
		return nil, zero, err
	}
	r := <-res
	if r.err != nil || !r.returned {
		// fn returned (or panicked) before Started: its own result says
		// more than ErrNeverStarted, unless it returned nil.
		select {
		case <-f.done:
			if f.pe != nil {
				panic(f.pe)
			}
			if f.err != nil {
				return nil, zero, f.err
			}
		default:
		}
		return nil, zero, r.err
	}
	return f, r.v, nil
}
