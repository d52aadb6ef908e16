package anyio_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// TestAllocs pins the allocation cost of the foundation, which is exact
// where timings are not: a spawned task, a cancel scope and a timeout scope,
// each against its raw-Go counterpart.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under the race detector: it allocates shadow state, so allocation counts differ")
	}
	const runs = 100

	t.Run("spawn", func(t *testing.T) {
		const tasks = 100
		var fixed, with float64
		// In a task group: the same cancellable parent the benchmarks use.
		anyiotest.Run(t, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, _ *anyio.TaskGroup) error {
				group := func(n int) func() {
					return func() {
						err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
							for range n {
								tg.StartSoon(nop)
							}
							return nil
						})
						if err != nil {
							t.Fatal(err)
						}
					}
				}
				fixed = testing.AllocsPerRun(runs, group(0))
				with = testing.AllocsPerRun(runs, group(tasks))
				return nil
			})
		})
		perTask := (with - fixed) / tasks
		t.Logf("task group: %.0f allocs fixed, %.2f per spawned task", fixed, perTask)
		if perTask > 3 {
			t.Errorf("a spawned task costs %.2f allocations, want at most 3", perTask)
		}
	})

	t.Run("scope", func(t *testing.T) {
		var scope float64
		// In a task group: the same cancellable parent the benchmarks use.
		anyiotest.Run(t, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, _ *anyio.TaskGroup) error {
				scope = testing.AllocsPerRun(runs, func() {
					if err := anyio.NewCancelScope().Run(ctx, nop); err != nil {
						t.Fatal(err)
					}
				})
				return nil
			})
		})
		raw := rawAllocs(runs, func(parent context.Context) {
			_, cancel := context.WithCancel(parent)
			cancel()
		})
		t.Logf("NewCancelScope().Run: %.0f allocs; context.WithCancel + cancel: %.0f", scope, raw)
		if scope > raw+2 {
			t.Errorf("NewCancelScope().Run costs %.0f allocations, want at most %.0f (context.WithCancel's %.0f + 2)", scope, raw+2, raw)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		var scope float64
		// In a task group: the same cancellable parent the benchmarks use.
		anyiotest.Run(t, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, _ *anyio.TaskGroup) error {
				scope = testing.AllocsPerRun(runs, func() {
					if err := anyio.MoveOnAfter(time.Hour).Run(ctx, nop); err != nil {
						t.Fatal(err)
					}
				})
				return nil
			})
		})
		raw := rawAllocs(runs, func(parent context.Context) {
			_, cancel := context.WithTimeout(parent, time.Hour)
			cancel()
		})
		t.Logf("MoveOnAfter(time.Hour).Run: %.0f allocs; context.WithTimeout + cancel: %.0f", scope, raw)
		if scope > raw+2 {
			t.Errorf("MoveOnAfter(time.Hour).Run costs %.0f allocations, want at most %.0f (context.WithTimeout's %.0f + 2)", scope, raw+2, raw)
		}
	})
}

// rawAllocs measures fn under a context.WithCancel parent.
func rawAllocs(runs int, fn func(parent context.Context)) float64 {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	return testing.AllocsPerRun(runs, func() { fn(parent) })
}
