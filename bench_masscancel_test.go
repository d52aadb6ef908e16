package anyio_test

// Mass cancellation: many tasks waiting in one queue of a primitive, all
// cancelled at once by cancelling their group's scope. Each waiting task has
// a standing registration on the scope's context (see internal/core's
// BeginWait), so the cancellation runs one callback per waiting task; these
// benchmarks time that, from the cancel to the group's join returning,
// against goroutines blocked on <-ctx.Done() and joined by a
// sync.WaitGroup. Parking the tasks is not timed; the memory it takes is
// reported per task (B/task), measured as BenchmarkScale does.

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
)

const massCancelTasks = 100_000 // waiting tasks per op of the mass cancellation benchmarks

// massCancelSelected reports whether the mass cancellation benchmarks were
// asked for by name (or by the environment, as go run ./bench -scale does),
// so that "go test -bench=." does not run them.
func massCancelSelected(b *testing.B) {
	if os.Getenv("ANYIO_BENCH_SCALE") != "" {
		return
	}
	if f := flag.Lookup("test.bench"); f != nil && strings.Contains(f.Value.String(), "MassCancel") {
		return
	}
	b.Skip("skipped: it parks 100,000 tasks per op (hundreds of MiB, seconds per run); select it with -bench=MassCancel or set ANYIO_BENCH_SCALE=1")
}

// benchMassCancel runs the anyio side: each op starts massCancelTasks tasks
// running wait in a task group, waits until all of them are parked, then
// times cancelling the group's scope and joining the group. setup runs
// before the tasks start, teardown after the join, both untimed.
func benchMassCancel(b *testing.B, setup func(ctx context.Context) (wait func(ctx context.Context) error, teardown func(ctx context.Context) error)) {
	var mem memDelta
	inRun(b, func(ctx context.Context) error {
		b.StopTimer()
		b.ResetTimer()
		for range b.N {
			mem.start()
			wait, teardown := setup(ctx)
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				for range massCancelTasks {
					tg.StartSoon(wait)
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				mem.stop()
				b.StartTimer()
				tg.CancelScope().Cancel()
				return nil
			})
			b.StopTimer()
			if err != nil {
				return err
			}
			if err := teardown(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	reportPerTask(b, massCancelTasks)
	mem.report(b, massCancelTasks)
}

// benchMassCancelRaw is the yardstick: massCancelTasks goroutines blocked
// on <-ctx.Done(), cancelled at once and joined by a sync.WaitGroup.
func benchMassCancelRaw(b *testing.B) {
	var mem memDelta
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		mem.start()
		ctx, cancel := context.WithCancel(parent)
		wg := startBlocked(ctx, massCancelTasks)
		mem.stop()
		b.StartTimer()
		cancel()
		wg.Wait()
		b.StopTimer()
	}
	reportPerTask(b, massCancelTasks)
	mem.report(b, massCancelTasks)
}

// BenchmarkMassCancelLock cancels massCancelTasks tasks waiting to acquire a
// Lock that the root task holds.
func BenchmarkMassCancelLock(b *testing.B) {
	massCancelSelected(b)
	b.Run("anyio", func(b *testing.B) {
		benchMassCancel(b, func(ctx context.Context) (func(context.Context) error, func(context.Context) error) {
			l := new(anyio.Lock)
			if err := l.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			wait := func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				b.Error("a waiter acquired the lock")
				return l.Release(ctx)
			}
			return wait, l.Release
		})
	})
	b.Run("raw", benchMassCancelRaw)
}

// BenchmarkMassCancelMemoryStream cancels massCancelTasks tasks waiting to
// receive from an unbuffered memory object stream that nobody sends to.
func BenchmarkMassCancelMemoryStream(b *testing.B) {
	massCancelSelected(b)
	b.Run("anyio", func(b *testing.B) {
		benchMassCancel(b, func(ctx context.Context) (func(context.Context) error, func(context.Context) error) {
			send, recv := anyio.NewMemoryObjectStream[int](0)
			wait := func(ctx context.Context) error {
				_, err := recv.Receive(ctx)
				if err == nil {
					b.Error("a waiter received an item")
				}
				return err
			}
			teardown := func(ctx context.Context) error {
				if err := send.Close(ctx); err != nil {
					return err
				}
				return recv.Close(ctx)
			}
			return wait, teardown
		})
	})
	b.Run("raw", benchMassCancelRaw)
}
