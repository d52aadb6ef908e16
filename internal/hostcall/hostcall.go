// Package hostcall connects a worker goroutine started by tothread.RunSync
// with the task that waits for it (its host), so that the worker can have
// functions run in the host task (fromthread.Run and RunSync).
//
// The host parks while it waits (it counts as blocked for
// WaitAllTasksBlocked and DumpTasks) and runs the functions the worker sends
// it one at a time, in its own goroutine and with its own context, so that
// they run in the host task's cancel scope. Whoever hands the parked host
// something (a function to run, or the end of the worker) counts it as
// running first (core.Task.Wake), as every anyio hand-off does.
package hostcall

import (
	"context"
	"errors"
	"sync"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// ErrHostReturned is what a call into a host that is no longer waiting for
// its worker returns when the host was not cancelled: the function given to
// RunSync returned while a goroutine it started still calls back.
var ErrHostReturned = errors.New("the tothread.RunSync call that started this worker has returned; call back in only until the function given to RunSync returns")

// Link is the connection between one worker and its host.
type Link struct {
	hostCtx context.Context
	host    *core.Task // nil for a foreign context

	mu        sync.Mutex
	wake      sync.Cond // on mu: the host waits here, in Wait
	pending   []*request
	parked    bool // the host is parked in Wait
	finished  bool // the worker returned
	ctxDone   bool // the host's context is done (watched with AbandonOnCancel only)
	gone      bool // the host stopped waiting
	abandoned bool // ... because its context was cancelled (AbandonOnCancel)

	wctx workerCtx // the worker's context
}

type request struct {
	ctx  context.Context // the worker's context at the call
	fn   func(ctx context.Context)
	done chan struct{}
	err  error
	pe   *anyio.PanicError
}

// Init makes l the link for a worker whose host runs with ctx. A Link is
// used in place (it is part of the caller's record of one worker call) and
// must not be copied after Init.
func (l *Link) Init(ctx context.Context) {
	l.hostCtx, l.host = ctx, core.TaskOf(ctx)
	l.wake.L = &l.mu
	l.wctx = workerCtx{Context: ctx, l: l}
}

// HostContext returns the host's context.
func (l *Link) HostContext() context.Context { return l.hostCtx }

// Host returns the host task, nil for a foreign context.
func (l *Link) Host() *core.Task { return l.host }

// notifyLocked wakes the host if it is parked in Wait. l.mu is held.
func (l *Link) notifyLocked() {
	if l.parked {
		l.host.Wake()
		l.parked = false
	}
	l.wake.Signal()
}

// Finish records that the worker returned; the host's Wait returns. It
// reports whether the host still waited: false if it abandoned the worker.
func (l *Link) Finish() (hostWaits bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finished = true
	if l.gone {
		return false
	}
	l.notifyLocked()
	return true
}

// Wait starts the worker with start and parks the host task until the
// worker calls Finish, running the functions that the worker sends
// meanwhile. With abandon set, it also returns once the host's context is
// done, and reports true: the worker is then on its own, and its later
// calls fail with a cancellation error.
func (l *Link) Wait(abandon bool, info *core.WaitInfo, start func()) (abandoned bool) {
	// The host waits on a condition variable that is part of the Link, so
	// that a call allocates no channel; with AbandonOnCancel, the end of
	// its context wakes it too.
	var done <-chan struct{}
	if abandon {
		done = l.hostCtx.Done()
		stop := context.AfterFunc(l.hostCtx, func() {
			l.mu.Lock()
			l.ctxDone = true
			l.wake.Signal()
			l.mu.Unlock()
		})
		defer stop()
	}
	// Started before the host takes the lock: a worker that finishes at
	// once never waits for the host to let go of it.
	start()
	l.mu.Lock()
	for {
		if len(l.pending) > 0 {
			reqs := l.pending
			l.pending = nil
			l.mu.Unlock()
			for _, r := range reqs {
				l.serve(r)
			}
			l.mu.Lock()
			continue
		}
		if l.finished {
			l.gone = true
			l.mu.Unlock()
			return false
		}
		if l.ctxDone {
			l.abandonLocked()
			l.mu.Unlock()
			return true
		}
		if abandon {
			l.host.ParkDone(done, info)
		} else {
			l.host.Park(info)
		}
		l.parked = true
		l.wake.Wait()
		l.parked = false
		l.host.Unpark()
	}
}

// abandonLocked leaves the worker on its own; l.mu is held.
func (l *Link) abandonLocked() {
	l.gone, l.abandoned = true, true
	err := core.CancelErr(l.hostCtx)
	for _, r := range l.pending {
		r.err = err
		close(r.done)
	}
	l.pending = nil
}

// serve runs a request in the host, carrying a panic back to the worker.
func (l *Link) serve(r *request) {
	defer close(r.done)
	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover()
		if pe, ok := v.(*anyio.PanicError); ok {
			r.pe = pe
			return
		}
		name := "the host task"
		if l.host != nil {
			name = l.host.Name()
		}
		if v == nil {
			// runtime.Goexit ends the host's goroutine: nobody serves
			// the worker any more.
			r.err = &anyio.GoexitError{Task: name}
			l.mu.Lock()
			l.gone = true
			l.mu.Unlock()
			return
		}
		r.pe = &anyio.PanicError{Value: v, Stack: core.PanicStack(), Task: name}
	}()
	r.fn(&callbackCtx{Context: l.hostCtx, worker: r.ctx})
	returned = true
}

// Call runs fn in the host task and waits until it returns. fn's context
// is the host's (its task, scope and cancellation) with the values of the
// worker's context ctx, which include the host's. It fails without running fn if the host no longer waits for the
// worker: with the host's cancellation error if the host abandoned the
// worker, or ErrHostReturned. A panic in fn is re-raised in the caller as
// *anyio.PanicError carrying fn's stack.
func (l *Link) Call(ctx context.Context, fn func(ctx context.Context)) error {
	r := &request{ctx: ctx, fn: fn, done: make(chan struct{})}
	l.mu.Lock()
	if l.gone {
		abandoned := l.abandoned
		l.mu.Unlock()
		if abandoned {
			return core.CancelErr(l.hostCtx)
		}
		return ErrHostReturned
	}
	l.pending = append(l.pending, r)
	l.notifyLocked()
	l.mu.Unlock()
	<-r.done
	if r.pe != nil {
		panic(r.pe)
	}
	return r.err
}

// workerCtx is the context a worker's function gets: the host's context
// (its values, deadline and cancellation) without the host's task identity,
// which the worker does not share, and with the link.
type workerCtx struct {
	context.Context
	l *Link
}

type linkKey struct{}

func (c *workerCtx) Value(key any) any {
	if key == (linkKey{}) {
		return c.l
	}
	v := c.Context.Value(key)
	switch v.(type) {
	case *core.Task, *core.Scope:
		// The worker is no task: anyio calls made with this context treat
		// it as a foreign context.
		return nil
	}
	return v
}

func (c *workerCtx) String() string { return "anyio.tothread.WorkerContext" }

// WorkerContext returns the context for the worker's function.
func (l *Link) WorkerContext() context.Context { return &l.wctx }

// callbackCtx is the context of a function a worker runs in its host: the
// host's context, with the values the worker's context has on top.
type callbackCtx struct {
	context.Context // the host's
	worker          context.Context
}

func (c *callbackCtx) Value(key any) any {
	// The worker's context hides the host's task and scope, and passes
	// on every other value of the host's.
	if v := c.worker.Value(key); v != nil {
		if _, ok := v.(*Link); !ok {
			return v
		}
	}
	return c.Context.Value(key)
}

func (c *callbackCtx) String() string { return "anyio.fromthread.CallbackContext" }

// Of returns the link of a worker context (or of a context derived from
// one), or nil.
func Of(ctx context.Context) *Link {
	if c, ok := ctx.(*workerCtx); ok {
		return c.l
	}
	l, _ := ctx.Value(linkKey{}).(*Link)
	return l
}
