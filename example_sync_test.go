package anyio_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/anyio-go/anyio"
)

// The examples call anyio.Run themselves, as a program does; tests use
// anyiotest.Run.

// Ten tasks update a shared balance; the Lock lets one at a time in.
func ExampleLock() {
	var mu anyio.Lock
	balance := 0
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 10 {
				tg.StartSoon(func(ctx context.Context) error {
					if err := mu.Acquire(ctx); err != nil {
						return err // cancelled: the lock is not held
					}
					defer mu.Release(ctx)
					balance += 10
					return nil
				})
			}
			return nil
		})
	})
	fmt.Println(balance, err)
	// Output: 100 <nil>
}

// A Semaphore of two units lets at most two of five tasks work at once.
func ExampleSemaphore() {
	sem := anyio.NewSemaphore(2)
	var active, peak atomic.Int32
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 5 {
				tg.StartSoon(func(ctx context.Context) error {
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					defer sem.Release()
					n := active.Add(1)
					if n > peak.Load() {
						peak.Store(n)
					}
					// Hold the unit until every other task is blocked.
					err := anyio.WaitAllTasksBlocked(ctx)
					active.Add(-1)
					return err
				})
			}
			return nil
		})
	})
	fmt.Println("peak:", peak.Load(), "free units:", sem.Value(), err)
	// Output: peak: 2 free units: 2 <nil>
}

// A CapacityLimiter bounds how many tasks do a job at once; unlike a
// Semaphore it knows who holds its tokens.
func ExampleCapacityLimiter() {
	limiter := anyio.NewCapacityLimiter(2)
	squares := make([]int, 6)
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range squares {
				tg.StartSoon(func(ctx context.Context) error {
					if err := limiter.Acquire(ctx); err != nil {
						return err
					}
					defer limiter.Release(ctx)
					if b := limiter.BorrowedTokens(); b > limiter.TotalTokens() {
						return fmt.Errorf("%d tokens borrowed", b)
					}
					squares[i] = i * i
					return nil
				})
			}
			return nil
		})
	})
	fmt.Println(squares, limiter.BorrowedTokens(), err)

	// A borrower need not be a task: any comparable value will do.
	if err := limiter.TryAcquireOnBehalfOf("job-42"); err == nil {
		fmt.Println(limiter.Statistics().Borrowers)
		limiter.ReleaseOnBehalfOf("job-42")
	}
	// Output:
	// [0 1 4 9 16 25] 0 <nil>
	// [job-42]
}

// One task waits for an Event that another sets.
func ExampleEvent() {
	ready := anyio.NewEvent()
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := ready.Wait(ctx); err != nil {
					return err
				}
				fmt.Println("worker: the configuration is ready")
				return nil
			})
			fmt.Println("main: loading the configuration")
			ready.Set()
			return nil
		})
	})
	fmt.Println(err)
	// Output:
	// main: loading the configuration
	// worker: the configuration is ready
	// <nil>
}
