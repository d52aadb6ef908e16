// Package fromthread lets synchronous code call into anyio tasks (AnyIO's
// anyio.from_thread): a worker started by tothread.RunSync calls back into
// the task that waits for it, and a [BlockingPortal] lets any goroutine run
// functions in the tasks of an anyio.Run, for a program (a CLI, a test, a
// callback from C) that is not itself written with anyio.
//
// From a worker, pass [Run], [RunSync] and [CheckCancelled] the context that
// tothread.RunSync gave the worker's function: they run in the waiting task,
// in its cancel scope. From anywhere else, use a portal: [StartBlockingPortal]
// runs an anyio.Run in a goroutine of its own, [NewBlockingPortal] opens one
// inside a task, and [Call], [StartTaskSoon], [StartTask] and [Enter] run
// functions in its task group.
package fromthread

import (
	"context"
	"errors"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/hostcall"
)

// The errors of package fromthread.
var (
	// ErrNotInWorker is returned by Run, RunSync and CheckCancelled when
	// ctx is not the context that tothread.RunSync gave a worker (or one
	// derived from it): only a worker has a task to call back into (AnyIO's
	// NoEventLoopError). From a task, call the function directly; from any
	// other goroutine, use a BlockingPortal.
	ErrNotInWorker = errors.New("anyio/fromthread: not called from a worker of tothread.RunSync: pass the context RunSync gave the worker's function, call the function directly from a task, or use a BlockingPortal from other goroutines")

	// ErrHostReturned is returned by Run and RunSync called with a
	// worker's context after the tothread.RunSync that started the worker
	// has returned (from a goroutine the worker's function left running).
	ErrHostReturned = errors.New("anyio/fromthread: the tothread.RunSync call that started this worker has returned; call back in only while the worker's function runs")

	// ErrPortalNotRunning is returned by the functions that use a
	// BlockingPortal (Call, StartTaskSoon's Future, StartTask, Enter) once
	// the portal is stopping or stopped (AnyIO's "This portal is not
	// running"). Start a new portal to go on.
	ErrPortalNotRunning = errors.New("anyio/fromthread: the blocking portal is not running: it was stopped, or the body of its NewBlockingPortal returned")

	// ErrPortalTask is returned by Call, StartTaskSoon's Future, StartTask
	// and Enter (and its exit) when called on the goroutine of a portal's
	// task (the body of a NewBlockingPortal, or a function a portal runs;
	// of this portal or another): it would block that task outside anyio's
	// cancellation (AnyIO's "This method cannot be called from the event
	// loop thread"). From a task, call the function directly, or start it
	// in a task group; goroutines that a task starts may call.
	ErrPortalTask = errors.New("anyio/fromthread: called on the goroutine of a portal's task, which it would block; call the function directly with the task's context instead")

	// ErrNeverEntered is returned by Enter when the scope function
	// returned nil without calling its body, so there was nothing to hold
	// open.
	ErrNeverEntered = errors.New("anyio/fromthread: the scope function given to Enter returned without calling its body")
)

// link returns the worker link of ctx, or ErrNotInWorker.
func link(ctx context.Context) (*hostcall.Link, error) {
	l := hostcall.Of(ctx)
	if l == nil {
		return nil, ErrNotInWorker
	}
	return l, nil
}

func callErr(err error) error {
	if err == hostcall.ErrHostReturned {
		return ErrHostReturned
	}
	return err
}

// Run runs fn in the task that waits for this worker (AnyIO's
// from_thread.run), with that task's context, and returns fn's result. ctx
// must be the context tothread.RunSync gave the worker's function, or one
// derived from it; otherwise Run returns ErrNotInWorker.
//
// fn runs in the waiting task's cancel scope: once that task is cancelled,
// fn's blocking calls fail with a cancellation error, which Run returns.
// fn's context is the waiting task's, with the values of ctx on top (as
// AnyIO copies the worker's context variables). The
// calls of one worker run one at a time, in the order they were made. A
// panic in fn is re-raised in the caller as *anyio.PanicError.
//
// If the waiting task abandoned the worker (tothread.AbandonOnCancel), Run
// returns its cancellation error without running fn; after the worker's
// RunSync returned, it returns ErrHostReturned.
func Run[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	var v T
	l, err := link(ctx)
	if err != nil {
		return v, err
	}
	var ferr error
	if err := l.Call(ctx, func(hctx context.Context) { v, ferr = fn(hctx) }); err != nil {
		var zero T
		return zero, callErr(err)
	}
	return v, ferr
}

// RunSync runs the synchronous fn in the task that waits for this worker
// (AnyIO's from_thread.run_sync), so that it is serialized with that task's
// own code, and returns fn's result. It takes the same ctx as [Run] and
// fails the same way. fn runs also when the waiting task is cancelled (it
// cannot be interrupted anyway), unless the task abandoned the worker.
func RunSync[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var v T
	l, err := link(ctx)
	if err != nil {
		return v, err
	}
	var ferr error
	if err := l.Call(ctx, func(context.Context) { v, ferr = fn() }); err != nil {
		var zero T
		return zero, callErr(err)
	}
	return v, ferr
}

// CheckCancelled returns a cancellation error if the task that waits for
// this worker is cancelled, and nil otherwise (AnyIO's
// from_thread.check_cancelled): a long computation on a worker calls it
// now and then to stop early. It takes the same ctx as [Run]; outside a
// worker it returns ErrNotInWorker. It does not block.
func CheckCancelled(ctx context.Context) error {
	l, err := link(ctx)
	if err != nil {
		return err
	}
	if hctx := l.HostContext(); hctx.Err() != nil {
		return core.CancelErr(hctx)
	}
	return nil
}
