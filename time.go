package anyio

import (
	"context"
	"runtime"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

var sleepForeverInfo = &core.WaitInfo{What: "SleepForever"}

// Sleep blocks for d, or until ctx is cancelled, in which case it returns a
// cancellation error. A d of zero or less only checks for cancellation and
// yields the processor (AnyIO's sleep(0), a checkpoint).
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return core.CancelErr(ctx)
	}
	if d <= 0 {
		runtime.Gosched()
		return nil
	}
	t := core.TaskOf(ctx)
	var w *core.WaitInfo
	if t != nil {
		w = &core.WaitInfo{What: "Sleep", Until: time.Now().Add(d)}
	}
	t.ParkCtx(ctx, w)
	done := make(chan struct{})
	timer := time.AfterFunc(d, func() {
		t.Wake() // the task counts as running before it is woken
		close(done)
	})
	select {
	case <-done:
		t.Unpark()
		return nil
	case <-ctx.Done():
		if !timer.Stop() {
			// The timer fired meanwhile: let its Wake land on this wait,
			// not on the task's next one.
			<-done
		}
		t.Unpark()
		return core.CancelErr(ctx)
	}
}

// SleepUntil blocks until the clock reaches deadline, or until ctx is
// cancelled (then it returns a cancellation error).
func SleepUntil(ctx context.Context, deadline time.Time) error {
	return Sleep(ctx, time.Until(deadline))
}

// SleepForever blocks until ctx is cancelled and returns the cancellation
// error. With a context that can never be cancelled it blocks forever.
func SleepForever(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return core.CancelErr(ctx)
	}
	t := core.TaskOf(ctx)
	t.ParkCtx(ctx, sleepForeverInfo)
	<-ctx.Done()
	t.Unpark()
	return core.CancelErr(ctx)
}

// CurrentTime returns the current time, with the monotonic clock reading that
// deadlines are measured against (AnyIO's current_time()).
func CurrentTime() time.Time { return time.Now() }
