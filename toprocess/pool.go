package toprocess

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/runlocal"
)

// defaultLimiter is the limiter of each Run (and the one that contexts of no
// Run share); runPool the pool of worker processes of each Run, whose workers
// stop when the Run ends.
var (
	defaultLimiter = runlocal.New(func() *anyio.CapacityLimiter {
		return anyio.NewCapacityLimiter(runtime.NumCPU())
	}, nil)
	runPool = runlocal.New(func() *pool { return &pool{} }, (*pool).close)
)

// CurrentDefaultProcessLimiter returns the capacity limiter that bounds the
// worker processes of RunSync calls given no [Limiter] (AnyIO's
// to_process.current_default_process_limiter). Each anyio.Run has its own,
// made on first use with as many tokens as the machine has CPUs
// (runtime.NumCPU). Contexts that belong to no Run share one process-wide
// limiter.
func CurrentDefaultProcessLimiter(ctx context.Context) *anyio.CapacityLimiter {
	return defaultLimiter.Get(ctx)
}

// pool holds the worker processes of one Run.
type pool struct {
	mu     sync.Mutex
	idle   []*worker // most recently used last
	live   int       // workers started and not yet reaped
	closed bool      // the Run has ended
}

// poolOf returns the pool of ctx's Run, made on first use (its workers stop
// when the Run ends), or the process-wide one for a context of no Run.
func poolOf(ctx context.Context) *pool { return runPool.Get(ctx) }

// get returns the most recently used idle worker that is alive, or starts
// one.
func (p *pool) get(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	for len(p.idle) > 0 {
		w := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		if !w.isDead() {
			p.mu.Unlock()
			return w, nil
		}
	}
	p.live++
	p.mu.Unlock()
	return startWorker(ctx, p.exited)
}

func (p *pool) exited() {
	p.mu.Lock()
	p.live--
	p.mu.Unlock()
}

// put makes w idle again after a call, unless it died (or its Run ended).
func (p *pool) put(w *worker) {
	if w.broken || w.isDead() {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.stop()
		return
	}
	p.idle = append(p.idle, w)
	w.idleSince = time.Now()
	if w.idleTimer == nil {
		// Armed once, not at every call (a timer set sooner than the
		// runtime's next one wakes its poller): when it fires, it
		// looks at how long the worker has been idle.
		w.idleTimer = time.AfterFunc(maxIdle, func() { p.expire(w) })
	}
	p.mu.Unlock()
}

// expire runs when w's idle timer fires: it stops w if it has been idle
// for maxIdle, and otherwise sets the timer again for when it will have
// been.
func (p *pool) expire(w *worker) {
	p.mu.Lock()
	i := slices.Index(p.idle, w)
	if i < 0 {
		// Busy: its next idle time is at least maxIdle long.
		if !p.closed && !w.isDead() {
			w.idleTimer.Reset(maxIdle)
		}
		p.mu.Unlock()
		return
	}
	if rest := maxIdle - time.Since(w.idleSince); rest > 0 {
		w.idleTimer.Reset(rest)
		p.mu.Unlock()
		return
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	p.mu.Unlock()
	w.stop()
	if onExpire != nil {
		<-w.exited
		onExpire(w.pid)
	}
}

// close stops the idle workers when the Run ends and waits until they have
// exited; workers still busy stop when their call returns.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	for _, w := range idle {
		w.idleTimer.Stop()
	}
	p.mu.Unlock()
	for _, w := range idle {
		w.stop()
	}
	for _, w := range idle {
		select {
		case <-w.exited:
		case <-time.After(time.Second):
			w.kill()
		}
	}
}
