package tothread

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// MaxIdleTime is how long a [LockOSThread] worker waits idle for its next
// call before it exits (AnyIO's WorkerThread.MAX_IDLE_TIME).
const MaxIdleTime = 10 * time.Second

// pool holds the LockOSThread workers of one Run.
type pool struct {
	mu     sync.Mutex
	idle   []*lockedWorker // most recently idle last
	live   int
	closed bool // the Run has ended: workers exit once idle
}

// lockedWorker is a goroutine locked to its own OS thread that runs calls
// one at a time.
type lockedWorker struct {
	p       *pool
	jobs    chan runner   // the next call; room for one
	stop    chan struct{} // closed to make an idle worker exit
	leaving bool          // set on the worker's goroutine when its pool closed
	gone    bool          // the worker's exit is counted already
}

// poolOf returns the worker pool of ctx's Run, made on first use, or the
// process-wide one for a context of no Run.
func poolOf(ctx context.Context) *pool { return runPool.Get(ctx) }

// get returns the most recently idle worker, or starts one.
func (p *pool) get() *lockedWorker {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w
	}
	p.live++
	p.mu.Unlock()
	w := &lockedWorker{p: p, jobs: make(chan runner, 1), stop: make(chan struct{})}
	go w.loop()
	return w
}

// close makes every worker exit once idle: at the end of the Run.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, w := range idle {
		close(w.stop)
	}
}

// done returns w to the idle workers after a call, on w's goroutine, before
// the caller is woken: a call that follows finds it idle.
func (w *lockedWorker) done() {
	p := w.p
	p.mu.Lock()
	if p.closed {
		w.leaving = true
	} else {
		p.idle = append(p.idle, w)
	}
	p.mu.Unlock()
}

// expire removes w from the idle workers when its idle time is up, and
// reports whether it did: a worker just taken by a call stays.
func (p *pool) expire(w *lockedWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return true
		}
	}
	return false
}

// exited counts w's exit, once; on w's goroutine.
func (w *lockedWorker) exited() {
	if w.gone {
		return
	}
	w.gone = true
	w.p.mu.Lock()
	w.p.live--
	w.p.mu.Unlock()
}

func (w *lockedWorker) loop() {
	// Never unlocked: the thread ends with the worker, and with it whatever
	// thread-local state the functions it ran left there.
	runtime.LockOSThread()
	defer w.exited()
	// The idle timer is not reset at every call (a timer set sooner than
	// the runtime's next one wakes its poller): when it fires, it looks at
	// how long the worker has been idle.
	idle := time.NewTimer(MaxIdleTime)
	defer idle.Stop()
	var lastDone time.Time
	for {
		select {
		case j := <-w.jobs:
			j.run()
			if w.leaving {
				return
			}
			lastDone = time.Now()
		case <-idle.C:
			if rest := MaxIdleTime - time.Since(lastDone); rest > 0 {
				idle.Reset(rest)
			} else if w.p.expire(w) {
				return
			} else {
				idle.Reset(MaxIdleTime) // taken by a call meanwhile
			}
		case <-w.stop:
			return
		}
	}
}

// stats reports the idle and live workers of the pool of ctx (for tests).
func stats(ctx context.Context) (idle, live int) {
	p := poolOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.live
}
