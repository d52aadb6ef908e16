package fromthread

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio"
)

// Enter runs a scope function in a task of the portal and holds it open
// from synchronous code (AnyIO's wrap_async_context_manager): scoped is
// anything of the shape of anyio.WithTaskGroup, which sets something up,
// calls body with it, and tears it down when body returns. Enter returns the
// value scoped passed to body once body is running; the scope stays open
// until exit is called, which ends body (with nil), waits for scoped to
// return and returns its error.
//
// If scoped fails before it calls body, Enter returns its error (and a nil
// exit). While the scope is held open, it can end early (a task of a task
// group failed, or the portal was stopped with cancelRemaining): body's
// context is then cancelled, and exit returns what scoped returned. exit
// is idempotent. A panic in scoped is re-raised by Enter or exit.
//
// Enter and exit block the calling goroutine, which must not be one of the
// portal's own tasks (ErrPortalTask); on a stopped portal Enter returns
// ErrPortalNotRunning.
func Enter[T any](p *BlockingPortal, scoped func(ctx context.Context, body func(ctx context.Context, v T) error) error) (v T, exit func() error, err error) {
	entered := make(chan T, 1)
	leave := anyio.NewEvent()
	f := StartTaskSoon(p, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, scoped(ctx, func(ctx context.Context, v T) error {
			entered <- v
			return leave.Wait(ctx)
		})
	}, anyio.TaskName(funcName(scoped)))
	select {
	case v = <-entered:
	case <-f.Done():
		select {
		case v = <-entered:
			// body ran and returned already (its context was
			// cancelled): exit reports the outcome.
		default:
			_, err := f.Result()
			if err == nil {
				err = ErrNeverEntered
			}
			var zero T
			return zero, nil, err
		}
	}
	var once sync.Once
	var exitErr error
	exit = func() error {
		if inPortalTask() {
			return ErrPortalTask
		}
		once.Do(func() {
			leave.Set()
			_, exitErr = f.Result()
		})
		return exitErr
	}
	return v, exit, nil
}
