package tothread_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/tothread"
)

// A blocking call runs on a worker while the task waits; the worker reports
// progress back into the task with fromthread.
func ExampleRunSync() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		var progress []string
		n, err := tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
			// Blocking code: a system call, a C library, a slow computation.
			data, err := os.ReadFile("example_test.go")
			if err != nil {
				return 0, err
			}
			// Back in the waiting task, serialized with its own code.
			_, err = fromthread.RunSync(wctx, func() (struct{}, error) {
				progress = append(progress, "file read")
				return struct{}{}, nil
			})
			return strings.Count(string(data), "\n"), err
		})
		if err != nil {
			return err
		}
		fmt.Println(progress, n > 0)
		return nil
	})
	fmt.Println("error:", err)
	// Output:
	// [file read] true
	// error: <nil>
}

// A thread-affine C library is called from a worker locked to its own OS
// thread; consecutive calls find the same idle worker.
func ExampleLockOSThread() {
	_ = anyio.Run(context.Background(), func(ctx context.Context) error {
		tid := func(context.Context) (int, error) { return gettidForExample(), nil }
		a, _ := tothread.RunSync(ctx, tid, tothread.LockOSThread())
		b, _ := tothread.RunSync(ctx, tid, tothread.LockOSThread())
		fmt.Println("same OS thread:", a == b)
		return nil
	})
	// Output:
	// same OS thread: true
}
