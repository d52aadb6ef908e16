// Package tothread runs blocking, synchronous functions on worker goroutines
// while the calling task waits, without holding up the rest of the program
// (AnyIO's anyio.to_thread).
//
// Go's runtime already gives a goroutine that blocks in a system call its own
// OS thread, so a plain worker goroutine is what AnyIO's worker thread is for
// blocking code: [RunSync] starts one per call, and pays no hand-off to
// another OS thread. For a C library that must always be called from the same
// thread (one with thread-local state, a GUI toolkit, some drivers),
// [LockOSThread] runs the function on a reused worker that is locked to its
// own OS thread.
//
// The number of workers running at once is bounded by a capacity limiter:
// [CurrentDefaultThreadLimiter] (40 tokens, one limiter per anyio.Run), or the
// one given with [Limiter]. A worker can call back into the waiting task with
// the fromthread package, using the context it was given.
package tothread

import (
	"context"
	"errors"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/hostcall"
)

// Option configures [RunSync]. A nil Option is ignored.
type Option interface{ applyRunSync(*config) }

type config struct {
	abandon bool
	locked  bool
	limiter *anyio.CapacityLimiter
}

type optionFunc func(*config)

func (f optionFunc) applyRunSync(c *config) { f(c) }

// AbandonOnCancel makes [RunSync] return at once when its context is
// cancelled, leaving the worker to finish on its own; the worker's result is
// then dropped (AnyIO's abandon_on_cancel=True). The worker keeps its limiter
// token until it returns, and its context reports the cancellation.
func AbandonOnCancel() Option { return optionFunc(func(c *config) { c.abandon = true }) }

// Limiter bounds the workers with l instead of [CurrentDefaultThreadLimiter].
// A nil l means the default limiter.
func Limiter(l *anyio.CapacityLimiter) Option {
	return optionFunc(func(c *config) { c.limiter = l })
}

// LockOSThread runs the function on a worker goroutine locked to its own OS
// thread (runtime.LockOSThread), for thread-affine C libraries: no other
// goroutine runs on that thread. Such workers are reused: a call finds the
// most recently idle one, so that consecutive calls run on the same thread
// while it is idle. An idle worker exits after [MaxIdleTime], and those of a
// Run exit when the Run ends; a worker's thread ends with it.
func LockOSThread() Option { return optionFunc(func(c *config) { c.locked = true }) }

// runSyncInfo is what DumpTasks shows for a task that waits for its worker.
var runSyncInfo = &core.WaitInfo{What: "tothread.RunSync (its worker runs)"}

// RunSync runs fn on a worker goroutine and waits until it returns (AnyIO's
// to_thread.run_sync). It returns fn's result; a panic in fn is re-raised in
// the caller as *anyio.PanicError, carrying the worker's stack (or, in a
// worker abandoned with AbandonOnCancel, goes on in the worker's goroutine,
// which crashes the program as any unrecovered panic does).
//
// fn's context has the values, deadline and cancellation of ctx, but not its
// task identity: the worker is no task. With it, fn can call back into the
// waiting task through fromthread.Run, fromthread.RunSync and
// fromthread.CheckCancelled.
//
// RunSync first borrows a token of the limiter ([Limiter], or
// [CurrentDefaultThreadLimiter]), waiting for one if need be; the worker
// gives it back when fn returns. While it waits for fn, the calling task
// counts as blocked for anyio.WaitAllTasksBlocked, and anyio.DumpTasks shows
// it waiting on tothread.RunSync.
//
// Cancellation: if ctx is cancelled before fn starts, RunSync returns a
// cancellation error and fn does not run. Once fn runs, a cancellation of ctx
// reaches fn only through its context: RunSync keeps waiting for fn to return
// (and runs fn's calls back in meanwhile), then returns fn's result together
// with the cancellation error (or fn's own error, if it failed), so that a
// value fn made, such as an open file, is not lost. With [AbandonOnCancel] it
// returns the cancellation error at once instead, and fn's result is dropped.
//
// A call with a context that belongs to no anyio.Run (a plain context) works
// too: it shares a process-wide default limiter and worker pool.
func RunSync[T any](ctx context.Context, fn func(ctx context.Context) (T, error), opts ...Option) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, core.CancelErr(ctx)
	}
	c := &call[T]{fn: fn}
	cfg := &c.cfg
	for _, o := range opts {
		if o != nil {
			o.applyRunSync(cfg)
		}
	}
	lim := cfg.limiter
	if lim == nil {
		lim = CurrentDefaultThreadLimiter(ctx)
	}
	c.lim = lim
	c.link.Init(ctx)
	c.borrower.host = c.link.Host()
	if err := lim.AcquireOnBehalfOf(ctx, &c.borrower); err != nil {
		return zero, err
	}
	if cfg.locked {
		c.worker = poolOf(ctx).get()
	}
	if c.link.Wait(cfg.abandon, runSyncInfo, c.start) {
		return zero, core.CancelErr(ctx)
	}
	if c.pe != nil {
		panic(c.pe)
	}
	if c.goexit != nil {
		return c.v, c.goexit
	}
	if ctx.Err() != nil && !errors.Is(c.err, anyio.ErrCancelled) {
		if c.err != nil {
			return c.v, errors.Join(c.err, core.CancelErr(ctx))
		}
		return c.v, core.CancelErr(ctx)
	}
	return c.v, c.err
}

// borrower borrows the limiter token of one call of RunSync (the limiter's
// Statistics lists it among the borrowers).
type borrower struct{ host *core.Task }

// String names the task that waits for the worker.
func (b *borrower) String() string {
	if b.host == nil {
		return "tothread.RunSync worker"
	}
	return "tothread.RunSync worker of " + b.host.Name()
}

// call is one RunSync: what the worker runs and what it hands back.
type call[T any] struct {
	cfg      config
	fn       func(ctx context.Context) (T, error)
	lim      *anyio.CapacityLimiter
	link     hostcall.Link
	borrower borrower
	worker   *lockedWorker // with LockOSThread

	v      T
	err    error
	pe     *anyio.PanicError
	goexit error
}

// start hands the call to its worker.
func (c *call[T]) start() {
	if c.worker != nil {
		c.worker.jobs <- c
	} else {
		go c.run()
	}
}

// run runs fn on the worker's goroutine, then gives the token back, returns
// a locked worker to its pool and wakes the host, in that order: once
// RunSync returns, the token is free and the worker idle again.
func (c *call[T]) run() {
	returned := false
	defer func() {
		if !returned {
			r := recover()
			if r == nil {
				c.goexit = &anyio.GoexitError{Task: c.workerName()}
			} else if pe, ok := r.(*anyio.PanicError); ok {
				c.pe = pe
			} else {
				c.pe = &anyio.PanicError{Value: r, Stack: core.PanicStack(), Task: c.workerName()}
			}
		}
		// The token goes back before the host is woken; an error here
		// would mean the token was released twice, which cannot happen.
		_ = c.lim.ReleaseOnBehalfOf(&c.borrower)
		if c.worker != nil {
			if c.goexit == nil {
				c.worker.done()
			} else {
				// runtime.Goexit ends the worker, and its thread.
				c.worker.exited()
			}
		}
		if !c.link.Finish() && c.pe != nil {
			// The caller abandoned the worker: nobody will re-raise the
			// panic, which goes on here, as in any goroutine nobody waits
			// for.
			panic(c.pe)
		}
	}()
	c.v, c.err = c.fn(c.link.WorkerContext())
	returned = true
}

func (c *call[T]) workerName() string {
	if h := c.link.Host(); h != nil {
		return "tothread worker of " + h.Name()
	}
	return "tothread worker"
}

// runner is a job for a locked worker.
type runner interface{ run() }
