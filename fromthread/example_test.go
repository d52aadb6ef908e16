package fromthread_test

import (
	"context"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/tothread"
)

// A synchronous program drives anyio through a portal: each Call runs a
// function as a task of the portal's Run and returns its result.
func ExampleStartBlockingPortal() {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Stop(context.Background(), false)

	sum, err := fromthread.Call(p, func(ctx context.Context) (int, error) {
		results := make([]int, 3)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range results {
				tg.StartSoon(func(ctx context.Context) error {
					results[i] = (i + 1) * 10
					return anyio.Sleep(ctx, 0)
				})
			}
			return nil
		})
		return results[0] + results[1] + results[2], err
	})
	fmt.Println(sum, err)
	// Output: 60 <nil>
}

// Enter holds a task group open from synchronous code until exit.
func ExampleEnter() {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Stop(context.Background(), false)

	tg, exit, err := fromthread.Enter(p, anyio.WithTaskGroup)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := fromthread.Call(p, func(ctx context.Context) (string, error) {
		return anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[string]) error {
			st.Started("server ready")
			return anyio.SleepForever(ctx)
		})
	})
	fmt.Println(v, err)
	tg.Cancel() // the server task ends, and with it the group
	fmt.Println("exit:", exit())
	// Output:
	// server ready <nil>
	// exit: <nil>
}

// A worker calls back into the task that waits for it.
func ExampleRun() {
	_ = anyio.Run(context.Background(), func(ctx context.Context) error {
		done := anyio.NewEvent()
		_, err := tothread.RunSync(ctx, func(wctx context.Context) (struct{}, error) {
			// Runs in the waiting task, in its cancel scope.
			return fromthread.Run(wctx, func(ctx context.Context) (struct{}, error) {
				done.Set()
				return struct{}{}, anyio.Sleep(ctx, 0)
			})
		})
		fmt.Println(done.IsSet(), err)
		return nil
	})
	// Output: true <nil>
}
