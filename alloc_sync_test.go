package anyio_test

import (
	"context"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// The uncontended paths of the synchronization primitives allocate nothing.
func TestSyncAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: allocation counts mean nothing under -race")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		s := anyio.NewSemaphore(1)
		cl := anyio.NewCapacityLimiter(1)
		ev := anyio.NewEvent()
		ev.Set()
		g := anyio.NewResourceGuard("using")
		for _, tc := range []struct {
			name string
			f    func()
		}{
			{"Lock.Acquire+Release", func() {
				_ = l.Acquire(ctx)
				_ = l.Release(ctx)
			}},
			{"Semaphore.Acquire+Release", func() {
				_ = s.Acquire(ctx)
				_ = s.Release()
			}},
			{"CapacityLimiter.Acquire+Release", func() {
				_ = cl.Acquire(ctx)
				_ = cl.Release(ctx)
			}},
			{"Event.Wait (set)", func() { _ = ev.Wait(ctx) }},
			{"ResourceGuard.Enter+Exit", func() {
				_ = g.Enter()
				g.Exit()
			}},
		} {
			if n := testing.AllocsPerRun(1000, tc.f); n != 0 {
				t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
			}
		}
		if l.Locked() || s.Value() != 1 || cl.BorrowedTokens() != 0 {
			t.Error("an acquisition above failed")
		}
		return nil
	})
}
