package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/anyio-go/anyio"
)

func ExampleCreateTask() {
	ctx := context.Background()
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		sum := anyio.CreateTask(tg, func(ctx context.Context) (int, error) { return 2 + 4, nil })
		slow := anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
			return 0, anyio.SleepForever(ctx)
		}, anyio.TaskName("slow"))

		v, err := sum.Wait(ctx)
		fmt.Println("sum:", v, err, sum.Status())

		slow.Cancel() // cancels that task only; the group carries on
		_, err = slow.Wait(ctx)
		fmt.Println(slow.Name()+":", err, slow.Status())
		return nil
	})
	fmt.Println("group:", err)
	// Output:
	// sum: 6 <nil> finished
	// slow: anyio: the task was cancelled cancelled
	// group: <nil>
}

func ExampleGather() {
	ctx := context.Background()
	lookup := func(name string) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) { return len(name), nil }
	}
	sizes, err := anyio.Gather(ctx, lookup("alpha"), lookup("be"), lookup("gamma!"))
	fmt.Println(sizes, err) // in argument order, whatever order they finished in
	// Output: [5 2 6] <nil>
}

func ExampleAMap() {
	ctx := context.Background()
	upper := func(ctx context.Context, s string) (string, error) { return strings.ToUpper(s), nil }
	words := slices.Values([]string{"structured", "concurrency", "in", "go"})
	out, err := anyio.AMap(ctx, upper, words, anyio.Limit(2)) // at most 2 calls at a time
	fmt.Println(out, err)
	// Output: [STRUCTURED CONCURRENCY IN GO] <nil>
}

func ExampleAsCompleted() {
	ctx := context.Background()
	// Each task waits for the previous one, so they finish in reverse order.
	first, second := anyio.NewEvent(), anyio.NewEvent()
	fns := []func(ctx context.Context) (string, error){
		func(ctx context.Context) (string, error) { return "a", second.Wait(ctx) },
		func(ctx context.Context) (string, error) { return "b", first.Wait(ctx) },
		func(ctx context.Context) (string, error) { return "c", nil },
	}
	err := anyio.AsCompleted(ctx, fns, func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[string]]) error {
		for h := range done {
			v, err := h.Result() // a yielded handle is final
			if err != nil {
				return err
			}
			fmt.Println("finished:", v)
			switch v {
			case "c":
				first.Set()
			case "b":
				second.Set()
			}
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// finished: c
	// finished: b
	// finished: a
	// <nil>
}

func ExampleFuture() {
	ctx := context.Background()
	var answer anyio.Future[int] // the zero value is ready to use
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return answer.SetResult(42) })
		v, err := answer.Wait(ctx)
		fmt.Println(v, err)
		fmt.Println(errors.Is(answer.SetResult(0), anyio.ErrFutureAlreadyFinished))
		return nil
	})
	fmt.Println(err)
	// Output:
	// 42 <nil>
	// true
	// <nil>
}
