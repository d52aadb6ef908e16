package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anyio-go/anyio"
)

// The examples call anyio.Run themselves, as a program does; tests use
// anyiotest.Run.

func ExampleRun() {
	ctx := context.Background()
	err := anyio.Run(ctx, func(ctx context.Context) error {
		root := anyio.GetCurrentTask(ctx)
		fmt.Println("the root task has no parent:", root.ParentID == 0)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				fmt.Println("child's parent is the root:", anyio.GetCurrentTask(ctx).ParentID == root.ID)
				return nil
			})
			return nil
		})
	})
	fmt.Println("Run returned:", err)

	err = anyio.Run(ctx, func(ctx context.Context) error { return nil }, anyio.WithBackend("trio"))
	fmt.Println(errors.Is(err, anyio.ErrBackendNotFound), anyio.GetAllBackends())
	// Output:
	// the root task has no parent: true
	// child's parent is the root: true
	// Run returned: <nil>
	// true [go]
}

func ExampleWithTaskGroup() {
	ctx := context.Background()
	lengths := make([]int, 3)
	words := []string{"structured", "concurrency", "anyio"}
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for i, w := range words {
			tg.StartSoon(func(ctx context.Context) error {
				lengths[i] = len(w) // each task writes its own element
				return nil
			})
		}
		return nil
	})
	// WithTaskGroup has waited for every task: their writes are visible.
	fmt.Println(lengths, err)
	// Output: [10 11 5] <nil>
}

func ExampleWithTaskGroup_failure() {
	ctx := context.Background()
	errDisk := errors.New("disk full")
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx)
			fmt.Println("sibling:", err)
			return err // this cancellation is the group's doing: not reported
		})
		tg.StartSoon(func(ctx context.Context) error {
			return fmt.Errorf("save: %w", errDisk)
		}, anyio.TaskName("saver"))
		return nil
	})
	var eg *anyio.ExceptionGroup
	fmt.Println(errors.As(err, &eg), len(eg.Errors), errors.Is(err, errDisk))
	fmt.Println(err)
	// Output:
	// sibling: anyio: cancelled: task saver failed
	// true 1 true
	// anyio: unhandled error in a task group: save: disk full
}

func ExampleStart() {
	ctx := context.Background()
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		addr, err := anyio.Start(ctx, tg, func(ctx context.Context, status *anyio.TaskStatus[string]) error {
			// Set up (bind a socket, load a file, ...), then report readiness.
			status.Started("127.0.0.1:8080")
			return anyio.SleepForever(ctx) // serve until cancelled
		})
		if err != nil {
			return err
		}
		fmt.Println("ready at", addr)

		_, err = anyio.Start(ctx, tg, func(ctx context.Context, status *anyio.TaskStatus[string]) error {
			return errors.New("address already in use")
		})
		fmt.Println("second server:", err)

		tg.CancelScope().Cancel() // shut the first server down
		return nil
	})
	fmt.Println("group:", err)
	// Output:
	// ready at 127.0.0.1:8080
	// second server: address already in use
	// group: <nil>
}

func ExampleCancelScope() {
	ctx := context.Background()
	scope := anyio.NewCancelScope()
	err := scope.Run(ctx, func(ctx context.Context) error {
		scope.Cancel()
		// Cancellation is level-triggered: every blocking call fails, not
		// only the first one.
		fmt.Println("first sleep:", anyio.Sleep(ctx, time.Hour))
		err := anyio.Sleep(ctx, time.Hour)
		fmt.Println("second sleep:", err)
		return err
	})
	// The scope caused the cancellation, so Run swallows it.
	fmt.Println("Run returned:", err)
	fmt.Println("CancelCalled:", scope.CancelCalled(), "CancelledCaught:", scope.CancelledCaught())
	// Output:
	// first sleep: anyio: cancelled
	// second sleep: anyio: cancelled
	// Run returned: <nil>
	// CancelCalled: true CancelledCaught: true
}

func ExampleCancelScope_CancelWithReason() {
	ctx := context.Background()
	scope := anyio.NewCancelScope()
	_ = scope.Run(ctx, func(ctx context.Context) error {
		scope.CancelWithReason("user pressed stop")
		err := anyio.SleepForever(ctx)
		fmt.Println(err)
		fmt.Println(errors.Is(err, anyio.ErrCancelled), errors.Is(err, context.Canceled))
		return err
	})
	// Output:
	// anyio: cancelled: user pressed stop
	// true true
}

func ExampleTaskGroup_CancelWithReason() {
	ctx := context.Background()
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx)
			fmt.Println("worker:", err)
			return err
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelWithReason("shutting down")
		return nil
	})
	fmt.Println("WithTaskGroup:", err)
	// Output:
	// worker: anyio: cancelled: shutting down
	// WithTaskGroup: <nil>
}

func ExampleMoveOnAfter() {
	ctx := context.Background()
	scope := anyio.MoveOnAfter(10 * time.Millisecond)
	err := scope.Run(ctx, func(ctx context.Context) error {
		return anyio.SleepForever(ctx) // a reply that never comes
	})
	fmt.Println("Run returned:", err)
	fmt.Println("timed out:", scope.CancelledCaught())
	// Output:
	// Run returned: <nil>
	// timed out: true
}

func ExampleFailAfter() {
	ctx := context.Background()
	err := anyio.FailAfter(10*time.Millisecond).Run(ctx, func(ctx context.Context) error {
		return anyio.SleepForever(ctx)
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, anyio.ErrTimeout), errors.Is(err, context.DeadlineExceeded))

	// A body that finishes in time is not affected.
	err = anyio.FailAfter(time.Minute).Run(ctx, func(ctx context.Context) error { return nil })
	fmt.Println(err)
	// Output:
	// anyio: timed out (deadline exceeded)
	// true true
	// <nil>
}

func ExampleShielded() {
	ctx := context.Background()
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx)
			// The task is cancelled: an ordinary blocking call fails at once,
			// but a shielded scope lets cleanup block. Bound it with a
			// deadline of its own.
			cleanup := anyio.MoveOnAfter(time.Second, anyio.Shielded())
			_ = cleanup.Run(ctx, func(ctx context.Context) error {
				if err := anyio.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
				fmt.Println("cleanup finished")
				return nil
			})
			return err
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelScope().Cancel()
		return nil
	})
	fmt.Println("group:", err)
	// Output:
	// cleanup finished
	// group: <nil>
}

func ExampleCancelScope_SetShield() {
	ctx := context.Background()
	outer := anyio.NewCancelScope()
	_ = outer.Run(ctx, func(ctx context.Context) error {
		inner := anyio.NewCancelScope()
		return inner.Run(ctx, func(ctx context.Context) error {
			inner.SetShield(true)
			outer.Cancel()
			fmt.Println("shielded:", anyio.Sleep(ctx, time.Millisecond))
			// Lowering the shield lets the outer cancellation in.
			inner.SetShield(false)
			err := anyio.Sleep(ctx, time.Millisecond)
			fmt.Println("unshielded:", err)
			return err
		})
	})
	// The outer scope caused the cancellation, so the outer scope caught it.
	fmt.Println("outer caught:", outer.CancelledCaught())
	// Output:
	// shielded: <nil>
	// unshielded: anyio: cancelled
	// outer caught: true
}

func ExampleCurrentEffectiveDeadline() {
	ctx := context.Background()
	_, ok := anyio.CurrentEffectiveDeadline(ctx)
	fmt.Println("outside any scope:", ok)

	_ = anyio.MoveOnAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
		d, _ := anyio.CurrentEffectiveDeadline(ctx)
		fmt.Println("in MoveOnAfter(1h), about an hour left:", time.Until(d) > 59*time.Minute)

		_ = anyio.MoveOnAfter(time.Second).Run(ctx, func(ctx context.Context) error {
			d, _ := anyio.CurrentEffectiveDeadline(ctx)
			fmt.Println("nested MoveOnAfter(1s), the earlier deadline wins:", time.Until(d) <= time.Second)
			return nil
		})

		_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
			_, ok := anyio.CurrentEffectiveDeadline(ctx)
			fmt.Println("in a shielded scope, a deadline applies:", ok)
			return nil
		})

		scope := anyio.NewCancelScope()
		return scope.Run(ctx, func(ctx context.Context) error {
			scope.Cancel()
			d, _ := anyio.CurrentEffectiveDeadline(ctx)
			fmt.Println("in a cancelled scope, the deadline has passed:", d.Before(time.Now()))
			return nil
		})
	})
	// Output:
	// outside any scope: false
	// in MoveOnAfter(1h), about an hour left: true
	// nested MoveOnAfter(1s), the earlier deadline wins: true
	// in a shielded scope, a deadline applies: false
	// in a cancelled scope, the deadline has passed: true
}
