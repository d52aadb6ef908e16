package anyio_test

// Benchmarks of the synchronization primitives, each paired with its raw-Go
// yardstick: "anyio" measures the primitive, "raw" what a Go programmer
// writes by hand for the same job (a channel used as a lock, a semaphore or a
// one-shot event). Extra sub-benchmarks ("mutex", "xsync") report numbers
// users will ask about but that are no target.

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sync/semaphore"

	"github.com/anyio-go/anyio"
)

const (
	contenders    = 100   // tasks contending per op of the contended benchmarks
	contenderRuns = 1_000 // acquisitions per task and op
	semTokens     = 10    // tokens of the contended semaphores
)

// contendAnyio runs contenders tasks of a task group, each calling once
// contenderRuns times, and fails b on an error.
func contendAnyio(b *testing.B, ctx context.Context, once func(ctx context.Context) error) error {
	b.ReportAllocs()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for range contenders {
			tg.StartSoon(func(ctx context.Context) error {
				for range contenderRuns {
					if err := once(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return nil
	})
}

// contendRaw is contendAnyio with go statements and a sync.WaitGroup.
func contendRaw(once func()) {
	var wg sync.WaitGroup
	for range contenders {
		wg.Go(func() {
			for range contenderRuns {
				once()
			}
		})
	}
	wg.Wait()
}

// reportPerAcquire reports the time per acquisition; allocs/op (of a whole
// round of contenders*contenderRuns acquisitions) comes with it.
func reportPerAcquire(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contenders*contenderRuns), "ns/acquire")
}

// BenchmarkLockUncontended acquires and releases a free Lock: against
// sync.Mutex's Lock and Unlock.
func BenchmarkLockUncontended(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		b.ReportAllocs()
		inRun(b, func(ctx context.Context) error {
			var l anyio.Lock
			for b.Loop() {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				if err := l.Release(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			//lint:ignore SA2001 an empty critical section is what this yardstick measures: an uncontended Lock and Unlock
			mu.Unlock()
		}
	})
}

// BenchmarkSemaphoreUncontended takes and gives back a free unit: against a
// channel of capacity 1 used as a semaphore.
func BenchmarkSemaphoreUncontended(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		b.ReportAllocs()
		inRun(b, func(ctx context.Context) error {
			s := anyio.NewSemaphore(1)
			for b.Loop() {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				if err := s.Release(); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan struct{}, 1)
		for b.Loop() {
			ch <- struct{}{}
			<-ch
		}
	})
}

// BenchmarkLockContended has 100 tasks take one Lock 1,000 times each: against
// a channel of capacity 1 used as a lock (whose waiters queue in order, as
// the Lock's do), and sync.Mutex (which lets a running goroutine barge in
// ahead of the waiters: faster, unfair, no target).
func BenchmarkLockContended(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			var l anyio.Lock
			n := 0
			for b.Loop() {
				err := contendAnyio(b, ctx, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					n++
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		reportPerAcquire(b)
	})
	b.Run("raw", func(b *testing.B) {
		ch := make(chan struct{}, 1)
		n := 0
		for b.Loop() {
			contendRaw(func() {
				ch <- struct{}{}
				n++
				<-ch
			})
		}
		reportPerAcquire(b)
	})
	b.Run("mutex", func(b *testing.B) {
		var mu sync.Mutex
		n := 0
		for b.Loop() {
			contendRaw(func() {
				mu.Lock()
				n++
				mu.Unlock()
			})
		}
		reportPerAcquire(b)
	})
}

// BenchmarkSemaphoreContended has 100 tasks take one of 10 units 1,000 times
// each, yielding the processor while they hold it so that the units run
// out: against a channel of capacity 10 whose acquire also selects on
// ctx.Done() (cancellable, as the Semaphore is), and x/sync's
// semaphore.Weighted (no target).
func BenchmarkSemaphoreContended(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			s := anyio.NewSemaphore(semTokens)
			for b.Loop() {
				err := contendAnyio(b, ctx, func(ctx context.Context) error {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					runtime.Gosched()
					return s.Release()
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		reportPerAcquire(b)
	})
	b.Run("raw", func(b *testing.B) {
		benchChanSemaphore(b)
	})
	b.Run("xsync", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := semaphore.NewWeighted(semTokens)
		for b.Loop() {
			contendRaw(func() {
				if s.Acquire(ctx, 1) != nil {
					return
				}
				runtime.Gosched()
				s.Release(1)
			})
		}
		reportPerAcquire(b)
	})
}

// benchChanSemaphore is the yardstick of the contended semaphore benchmarks:
// a channel of capacity semTokens whose acquire selects on ctx.Done().
func benchChanSemaphore(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan struct{}, semTokens)
	for b.Loop() {
		contendRaw(func() {
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
			runtime.Gosched()
			<-ch
		})
	}
	reportPerAcquire(b)
}

// BenchmarkLimiterContended is BenchmarkSemaphoreContended with a
// CapacityLimiter of 10 tokens, each task borrowing for itself.
func BenchmarkLimiterContended(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			l := anyio.NewCapacityLimiter(semTokens)
			for b.Loop() {
				err := contendAnyio(b, ctx, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					runtime.Gosched()
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		reportPerAcquire(b)
	})
	b.Run("raw", func(b *testing.B) {
		benchChanSemaphore(b)
	})
}

// pingNode is one round of the ping-pong benchmarks: the one-shot event that
// ends it and the event of the next round, linked before the set.
type pingNode[E any] struct {
	ev   E
	next *pingNode[E]
}

// BenchmarkEventPingPong has two tasks wake each other in turn, each round
// with a new one-shot Event: against closing a new channel.
func BenchmarkEventPingPong(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			first := &pingNode[*anyio.Event]{ev: anyio.NewEvent()}
			done := anyio.NewEvent()
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					cur := first
					for {
						if err := cur.ev.Wait(ctx); err != nil {
							return err
						}
						n := cur.next
						if n == nil {
							done.Set()
							return nil
						}
						m := &pingNode[*anyio.Event]{ev: anyio.NewEvent()}
						n.next = m
						n.ev.Set()
						cur = m
					}
				})
				cur := first
				for b.Loop() {
					n := &pingNode[*anyio.Event]{ev: anyio.NewEvent()}
					cur.next = n
					cur.ev.Set()
					if err := n.ev.Wait(ctx); err != nil {
						return err
					}
					cur = n.next
				}
				cur.ev.Set() // no next: the partner stops
				return done.Wait(ctx)
			})
		})
	})
	b.Run("raw", func(b *testing.B) {
		first := &pingNode[chan struct{}]{ev: make(chan struct{})}
		done := make(chan struct{})
		go func() {
			cur := first
			for {
				<-cur.ev
				n := cur.next
				if n == nil {
					close(done)
					return
				}
				m := &pingNode[chan struct{}]{ev: make(chan struct{})}
				n.next = m
				close(n.ev)
				cur = m
			}
		}()
		cur := first
		for b.Loop() {
			n := &pingNode[chan struct{}]{ev: make(chan struct{})}
			cur.next = n
			close(cur.ev)
			<-n.ev
			cur = n.next
		}
		close(cur.ev)
		<-done
	})
}
