//go:build unix

package process_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/process"
)

// Run a command to its end and collect its output; a failure is a
// *process.CalledError with the code and the output.
func ExampleRun() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		res, err := process.Run(ctx, []string{"echo", "hello"})
		if err != nil {
			return err
		}
		fmt.Printf("return code %d, stdout %q\n", res.ReturnCode, res.Stdout)

		_, err = process.Run(ctx, process.Shell("echo oops >&2; exit 3"))
		var failed *process.CalledError
		if errors.As(err, &failed) {
			fmt.Printf("return code %d, stderr %q\n", failed.ReturnCode, failed.Stderr)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// return code 0, stdout "hello\n"
	// return code 3, stderr "oops\n"
}

// Feed a child from one task while another reads its output: the pipes
// are anyio byte streams.
func ExampleOpen() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		p, err := process.Open(ctx, []string{"sort"})
		if err != nil {
			return err
		}
		defer p.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := p.Stdin().Send(ctx, []byte("pear\napple\nfig\n")); err != nil {
					return err
				}
				return p.Stdin().Close(ctx) // sort sorts once its input ends
			})
			var out strings.Builder
			for chunk, err := range anyio.IterateBytes(ctx, p.Stdout(), 0) {
				if err != nil {
					return err
				}
				out.Write(chunk)
			}
			code, err := p.Wait(ctx)
			fmt.Printf("%s(return code %d)\n", out.String(), code)
			return err
		})
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// apple
	// fig
	// pear
	// (return code 0)
}

// Cancelling Run kills the child and reaps it before Run returns.
func ExampleRun_cancel() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		start := time.Now()
		scope := anyio.MoveOnAfter(50 * time.Millisecond)
		err := scope.Run(ctx, func(ctx context.Context) error {
			_, err := process.Run(ctx, []string{"sleep", "60"})
			return err
		})
		fmt.Println("Run returned:", err, "/ cancelled:", scope.CancelledCaught(), "/ quickly:", time.Since(start) < 30*time.Second)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// Run returned: <nil> / cancelled: true / quickly: true
}

// RunCmd runs an *exec.Cmd built elsewhere, keeping its settings.
func ExampleRunCmd() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		cmd := exec.Command("/bin/sh", "-c", "pwd; echo $GREETING")
		cmd.Dir = "/"
		cmd.Env = []string{"GREETING=hi"}
		res, err := process.RunCmd(ctx, cmd)
		if err != nil {
			return err
		}
		fmt.Print(string(res.Stdout))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// /
	// hi
}
