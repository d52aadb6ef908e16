package toprocess_test

import (
	"context"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/toprocess"
)

// square runs in worker processes. It is registered at package level, so
// that the workers (this program started again) register it too.
var square = toprocess.Register("example.square", func(ctx context.Context, n int) (int, error) {
	return n * n, nil
})

// A function runs in a worker process; main (here the test binary's
// TestMain) calls toprocess.Init first.
func ExampleFunc_RunSync() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		results := make([]int, 4)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range results {
				tg.StartSoon(func(ctx context.Context) error {
					var err error
					results[i], err = square.RunSync(ctx, i+1)
					return err
				})
			}
			return nil
		})
		fmt.Println(results)
		return err
	})
	fmt.Println("error:", err)
	// Output:
	// [1 4 9 16]
	// error: <nil>
}
