//go:build linux

package process_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
	"github.com/anyio-go/anyio/streams/stapled"
)

// The pipes of a child pass the byte stream conformance suite: two children
// copy their input to their output, and each side of the pair writes to one
// and reads from the other.
func TestPipesConformance(t *testing.T) {
	anyiotest.TestByteStream(t, func(t *testing.T) (a, b anyio.ByteStream) {
		ctx := context.Background()
		var cats [2]*process.Process
		for i := range cats {
			p, err := process.Open(ctx, catArgv, process.Stderr(process.DevNull))
			if err != nil {
				t.Fatal(err)
			}
			cats[i] = p
			t.Cleanup(func() {
				// The suite closed the streams, so the cats end; a
				// check that failed early may have left them running.
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if err := p.Close(ctx); err != nil {
					t.Errorf("Close of a cat: %v", err)
				}
			})
		}
		a = stapled.NewByteStream(cats[0].Stdin(), cats[1].Stdout())
		b = stapled.NewByteStream(cats[1].Stdin(), cats[0].Stdout())
		return a, b
	})
}

// A task blocked on a pipe counts as blocked for WaitAllTasksBlocked, and
// DumpTasks names the process it reads from or writes to.
func TestPipeWaitIsABlockedWait(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, sleepArgv, process.Stderr(process.DevNull))
		// The child is killed and reaped before the body returns: the
		// run checks that no goroutine outlives it.
		defer anyio.CloseForcefully(p)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := p.Stdout().Receive(ctx, make([]byte, 16))
				return err
			}, anyio.TaskName("reader"))
			tg.StartSoon(func(ctx context.Context) error {
				chunk := make([]byte, 1<<20) // more than the pipe holds: the send blocks
				return p.Stdin().Send(ctx, chunk)
			}, anyio.TaskName("writer"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			if err := anyio.DumpTasks(ctx, &dump); err != nil {
				return err
			}
			for _, want := range []string{
				`"reader" waiting on Process.Stdout().Receive (pid ` + itoa(p.PID()),
				`"writer" waiting on Process.Stdin().Send (pid ` + itoa(p.PID()),
			} {
				if !strings.Contains(dump.String(), want) {
					t.Errorf("DumpTasks lacks %q:\n%s", want, dump.String())
				}
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}
