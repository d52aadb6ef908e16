package anyio_test

// Benchmarks of the foundation, each paired with a raw-Go yardstick: the
// sub-benchmark "anyio" measures the library, "raw" measures what a Go
// programmer writes by hand for the same job (go + sync.WaitGroup, the
// context package). The bench program (go run ./bench) runs the pairs in
// interleaved rounds and compares their medians with the targets.

import (
	"context"
	"flag"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
)

const (
	spawnTasks  = 100       // tasks per op of BenchmarkSpawn
	cancelTasks = 10_000    // blocked tasks per op of BenchmarkCancelLatency
	scaleTasks  = 1_000_000 // blocked tasks per op of BenchmarkScale
)

func nop(context.Context) error { return nil }

// inRun runs fn as the root task of an anyio.Run, so that a benchmark loop
// works under a real task and scope, as library users do. Benchmarks call
// anyio.Run directly: anyiotest.Run's goroutine snapshots before and after
// the body would be timed with it.
func inRun(b *testing.B, fn func(ctx context.Context) error) {
	b.Helper()
	if err := anyio.Run(context.Background(), fn); err != nil {
		b.Fatal(err)
	}
}

// inGroup runs fn inside a task group of a Run: its ctx is a cancellable
// anyio scope, the anyio counterpart of a context.WithCancel parent.
func inGroup(b *testing.B, fn func(ctx context.Context) error) {
	b.Helper()
	inRun(b, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return fn(ctx)
		})
	})
}

// BenchmarkSpawn starts spawnTasks trivial tasks and waits for them: a task
// group against go statements and a sync.WaitGroup.
func BenchmarkSpawn(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			for b.Loop() {
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					for range spawnTasks {
						tg.StartSoon(nop)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		reportPerTask(b, spawnTasks)
	})
	// The yardstick runs the same trivial task function with the same kind
	// of context, as a Go programmer would start func(ctx) error tasks.
	b.Run("raw", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for b.Loop() {
			var wg sync.WaitGroup
			for range spawnTasks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = nop(ctx)
				}()
			}
			wg.Wait()
		}
		reportPerTask(b, spawnTasks)
	})
}

func reportPerTask(b *testing.B, tasks int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tasks), "ns/task")
}

// BenchmarkScope enters and leaves a cancel scope with a trivial body under a
// cancellable parent: CancelScope.Run against context.WithCancel + cancel.
func BenchmarkScope(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inGroup(b, func(ctx context.Context) error {
			for b.Loop() {
				if err := anyio.NewCancelScope().Run(ctx, nop); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		for b.Loop() {
			ctx, cancel := context.WithCancel(parent)
			if err := nop(ctx); err != nil {
				b.Fatal(err)
			}
			cancel()
		}
	})
}

// BenchmarkTimeout enters and leaves a scope with a far deadline that never
// fires: MoveOnAfter against context.WithTimeout + cancel.
func BenchmarkTimeout(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inGroup(b, func(ctx context.Context) error {
			for b.Loop() {
				if err := anyio.MoveOnAfter(time.Hour).Run(ctx, nop); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(parent, time.Hour)
			if err := nop(ctx); err != nil {
				b.Fatal(err)
			}
			cancel()
		}
	})
}

// BenchmarkCancelLatency measures the time from cancelling cancelTasks
// blocked tasks to having joined them all; starting and blocking them is
// not timed.
func BenchmarkCancelLatency(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			b.StopTimer()
			b.ResetTimer()
			for range b.N {
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					for range cancelTasks {
						tg.StartSoon(anyio.SleepForever)
					}
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					b.StartTimer()
					tg.CancelScope().Cancel()
					return nil
				})
				b.StopTimer()
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		b.StopTimer()
		b.ResetTimer()
		for range b.N {
			ctx, cancel := context.WithCancel(parent)
			wg := startBlocked(ctx, cancelTasks)
			b.StartTimer()
			cancel()
			wg.Wait()
			b.StopTimer()
		}
	})
}

// startBlocked starts n goroutines that block until ctx is done, and returns
// once all of them have reached their select.
func startBlocked(ctx context.Context, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	var started atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Add(1)
			<-ctx.Done()
		}()
	}
	for started.Load() < int64(n) {
		runtime.Gosched()
	}
	runtime.Gosched()
	return &wg
}

// scaleSelected reports whether BenchmarkScale was asked for by name (or by
// the environment), so that "go test -bench=." does not run it.
func scaleSelected() bool {
	if os.Getenv("ANYIO_BENCH_SCALE") != "" {
		return true
	}
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), "Scale")
}

// BenchmarkScale blocks scaleTasks tasks under one group, then cancels and
// joins them. It times starting them (until every one has run), cancelling
// and joining, and reports the memory per blocked task: the growth of heap
// and stacks in use, measured, untimed, with every task blocked.
func BenchmarkScale(b *testing.B) {
	if !scaleSelected() {
		b.Skip("skipped: it starts a million tasks (several GiB, seconds per op); select it with -bench=Scale or set ANYIO_BENCH_SCALE=1")
	}
	b.Run("anyio", func(b *testing.B) {
		var mem memDelta
		// Both sides wait for a started counter, so that the timed part is
		// the same job; WaitAllTasksBlocked then makes sure, untimed, that
		// every task is parked before the memory is measured.
		var started atomic.Int64
		task := func(ctx context.Context) error {
			started.Add(1)
			return anyio.SleepForever(ctx)
		}
		inRun(b, func(ctx context.Context) error {
			b.StopTimer()
			b.ResetTimer()
			for range b.N {
				mem.start()
				started.Store(0)
				b.StartTimer()
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					for range scaleTasks {
						tg.StartSoon(task)
					}
					for started.Load() < scaleTasks {
						runtime.Gosched()
					}
					b.StopTimer()
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
			}
			return nil
		})
		mem.report(b, scaleTasks)
	})
	b.Run("raw", func(b *testing.B) {
		var mem memDelta
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		b.StopTimer()
		b.ResetTimer()
		for range b.N {
			mem.start()
			b.StartTimer()
			ctx, cancel := context.WithCancel(parent)
			wg := startBlocked(ctx, scaleTasks)
			b.StopTimer()
			mem.stop()
			b.StartTimer()
			cancel()
			wg.Wait()
			b.StopTimer()
		}
		mem.report(b, scaleTasks)
	})
}

// memDelta accumulates the growth of heap and stack memory in use between
// start and stop over the iterations of a benchmark.
type memDelta struct {
	before uint64
	total  uint64
	n      int
}

func inUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

func (m *memDelta) start() {
	runtime.GC()
	m.before = inUse()
}

func (m *memDelta) stop() {
	if after := inUse(); after > m.before {
		m.total += after - m.before
	}
	m.n++
}

func (m *memDelta) report(b *testing.B, tasks int) {
	if m.n > 0 {
		b.ReportMetric(float64(m.total)/float64(m.n)/float64(tasks), "B/task")
	}
}
