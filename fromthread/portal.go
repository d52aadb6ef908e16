package fromthread

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/hostcall"
)

// BlockingPortal runs functions in the tasks of an anyio.Run on behalf of
// goroutines that are not anyio tasks (AnyIO's BlockingPortal): [Call] runs a
// function and waits for its result, [StartTaskSoon] and [StartTask] start a
// task and return a [Future], [Enter] holds a scope function such as
// anyio.WithTaskGroup open from synchronous code.
//
// Each function runs as a task of the portal's task group, with that
// group's context; its error goes to its caller, and a panic fails the
// portal's group as in any task group. The functions are for goroutines
// that are no portal's tasks: on the goroutine of a task or body of a
// portal (this one or another) they return ErrPortalTask, rather than block
// it. Once the portal is stopping, they return ErrPortalNotRunning.
//
// Make a portal with [StartBlockingPortal] (which runs its own anyio.Run in
// a new goroutine, ended by [BlockingPortal.Stop]) or inside a task with
// [NewBlockingPortal]. The methods are safe for concurrent use.
type BlockingPortal struct {
	tg     *anyio.TaskGroup
	run    *core.Run
	stopEv *anyio.Event

	mu       sync.Mutex
	stopped  bool // no more functions are accepted
	finished bool // the portal's task group has returned

	owner *portalRun // set for a portal of StartBlockingPortal
}

// portalRun is the goroutine running the anyio.Run of StartBlockingPortal.
type portalRun struct {
	done     chan struct{}
	err      error
	panicked any
}

// NewBlockingPortal opens a portal in a new task group under ctx, runs body
// with it, and returns once body and every function the portal started have
// returned (AnyIO's `async with BlockingPortal()`). body hands the portal to
// the goroutines that need it; it often waits in
// [BlockingPortal.SleepUntilStopped].
//
// When body returns nil, the portal stops taking new functions and waits for
// those it runs. When body returns an error (or panics), the functions still
// running are cancelled, as in any task group. NewBlockingPortal returns
// body's error, as anyio.WithTaskGroup does, and re-raises a panic of body
// or of a function the portal ran as *anyio.PanicError.
func NewBlockingPortal(ctx context.Context, body func(ctx context.Context, p *BlockingPortal) error) error {
	return newPortal(ctx, body, nil)
}

func newPortal(ctx context.Context, body func(ctx context.Context, p *BlockingPortal) error, owner *portalRun) error {
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		p := &BlockingPortal{tg: tg, run: core.RunOf(ctx), stopEv: anyio.NewEvent()}
		return p.host(ctx, body, owner)
	})
}

// host runs the portal's body on the goroutine of the task that hosts its
// group, and stops the portal when the body returns.
func (p *BlockingPortal) host(ctx context.Context, body func(ctx context.Context, p *BlockingPortal) error, owner *portalRun) error {
	p.owner = owner
	defer func() {
		p.mu.Lock()
		p.markStoppedLocked()
		p.finished = true // WithTaskGroup's join and exit follow
		p.mu.Unlock()
	}()
	var err error
	portalFrame(ctx, func(ctx context.Context) { err = body(ctx, p) })
	return err
}

// StartBlockingPortal starts an anyio.Run in a new goroutine, with a portal
// in its root task, and returns the portal once it runs (AnyIO's
// start_blocking_portal). opts go to anyio.Run; its error (an unknown
// backend) is returned. End the portal with [BlockingPortal.Stop], which
// waits for the Run to return.
func StartBlockingPortal(opts ...anyio.RunOption) (*BlockingPortal, error) {
	pr := &portalRun{done: make(chan struct{})}
	ready := make(chan *BlockingPortal, 1)
	go func() {
		defer close(pr.done)
		defer func() {
			if r := recover(); r != nil {
				pr.panicked = r
			}
		}()
		pr.err = anyio.Run(context.Background(), func(ctx context.Context) error {
			return newPortal(ctx, func(ctx context.Context, p *BlockingPortal) error {
				ready <- p
				return p.SleepUntilStopped(ctx)
			}, pr)
		}, opts...)
	}()
	select {
	case p := <-ready:
		return p, nil
	case <-pr.done:
		if pr.panicked != nil {
			panic(pr.panicked)
		}
		return nil, pr.err
	}
}

// markStoppedLocked stops taking functions and wakes SleepUntilStopped.
// p.mu is held.
func (p *BlockingPortal) markStoppedLocked() {
	if !p.stopped {
		p.stopped = true
		p.stopEv.Set()
	}
}

// SleepUntilStopped blocks until the portal is stopped ([BlockingPortal.Stop],
// or the end of its NewBlockingPortal body) or ctx is cancelled; then it
// returns a cancellation error (AnyIO's sleep_until_stopped).
func (p *BlockingPortal) SleepUntilStopped(ctx context.Context) error {
	return p.stopEv.Wait(ctx)
}

// Stop stops the portal (AnyIO's stop): it takes no new functions from
// then on, SleepUntilStopped returns, and with cancelRemaining the
// functions still running are cancelled; otherwise they run to their end.
//
// For a portal of [StartBlockingPortal], Stop then waits until the portal's
// Run has returned (every function has returned), or until ctx is cancelled,
// which returns a cancellation error while the Run goes on stopping; it
// returns the Run's error (nil, unless the portal's Run failed), and
// re-raises a panic of it. Called from one of the portal's own tasks (with
// a task's context), Stop returns at once instead of waiting for itself.
// For a portal of NewBlockingPortal, Stop returns at once: its
// NewBlockingPortal returns once the body and the functions have.
//
// Stop is idempotent and safe from any goroutine.
func (p *BlockingPortal) Stop(ctx context.Context, cancelRemaining bool) error {
	p.mu.Lock()
	p.markStoppedLocked()
	if cancelRemaining && !p.finished {
		p.tg.CancelWithReason("the blocking portal is shutting down")
	}
	p.mu.Unlock()
	if p.owner == nil || p.inside(ctx) {
		return nil
	}
	select {
	case <-p.owner.done:
	case <-ctx.Done():
		return core.CancelErr(ctx)
	}
	if p.owner.panicked != nil {
		panic(p.owner.panicked)
	}
	return p.owner.err
}

// inside reports whether ctx belongs to the portal's own Run, where waiting
// for the Run to end would never return, or the caller runs a portal's
// task (whose portal it cannot tell).
func (p *BlockingPortal) inside(ctx context.Context) bool {
	if r := core.RunOf(ctx); r != nil && r == p.run {
		return true
	}
	if l := hostcall.Of(ctx); l != nil && l.Host() != nil && l.Host().Run() == p.run {
		return true
	}
	return inPortalTask()
}

// spawn starts fn as a task of the portal's group, named after name unless
// opts name it. It fails if the portal is stopped or the caller is one of
// its tasks.
func (p *BlockingPortal) spawn(fn func(ctx context.Context), name string, opts []anyio.TaskOption) error {
	if inPortalTask() {
		return ErrPortalTask
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrPortalNotRunning
	}
	if name != "" {
		opts = append([]anyio.TaskOption{anyio.TaskName(name)}, opts...)
	}
	p.tg.StartSoon(func(ctx context.Context) error {
		portalFrame(ctx, fn)
		return nil
	}, opts...)
	return nil
}

// funcName returns the name of a function value, for the default name of
// the task that runs it (as anyio names tasks after their function).
func funcName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	return strings.TrimSuffix(f.Name(), "-fm")
}
