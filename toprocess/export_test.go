package toprocess

import (
	"context"
	"io"
	"time"
)

// PoolStats reports the idle and live workers of the pool of ctx's Run.
func PoolStats(ctx context.Context) (idle, live int) {
	p := poolOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.live
}

// SetStderr sends the workers' stderr to w until restore is called.
func SetStderr(w io.Writer) (restore func()) {
	old := stderrSink
	stderrSink = w
	return func() { stderrSink = old }
}

// SetMaxIdleTime shortens the idle time of workers and reports the PID of
// each worker whose idle time is up on expired, until restore is called.
func SetMaxIdleTime(d time.Duration, expired chan<- int) (restore func()) {
	oldIdle, oldHook := maxIdle, onExpire
	maxIdle = d
	onExpire = func(pid int) { expired <- pid }
	return func() { maxIdle, onExpire = oldIdle, oldHook }
}

// CloseForeignPool stops the workers of calls with a context of no Run.
func CloseForeignPool() {
	if p, ok := runPool.TakeForeign(); ok {
		p.close()
	}
}

// Serve runs a worker's loop over in and out (without a process).
var Serve = serve

// Wire helpers for the tests of the protocol.
var (
	ReadFrame   = readFrame
	EncodeCall  = encodeCall
	EncodeHello = encodeHello
)

// WorkerDead returns a channel closed once the idle worker with pid has
// exited and its parent has reaped it.
func WorkerDead(ctx context.Context, pid int) <-chan struct{} {
	p := poolOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.idle {
		if w.pid == pid {
			return w.exited
		}
	}
	panic("no idle worker with that PID")
}
