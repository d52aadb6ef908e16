package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/process"
	"github.com/anyio-go/anyio/streams/buffered"
)

// processPipeline runs the shell pipeline "seq | numbering loop" with two
// children whose pipes tasks connect: one task streams the first child's
// output into the second child's input, another reads the second child's
// output. Halfway (seq would count to a billion) a cancel scope is
// cancelled: the Waits kill both children, reap them and return, and
// nothing is left running.
func processPipeline(ctx context.Context) error {
	seq, err := process.Open(ctx, []string{"seq", "1000000000"},
		process.Stdin(process.DevNull), process.Stderr(process.DevNull), process.StartNewSession())
	if err != nil {
		return err
	}
	defer seq.Close(ctx)
	loop, err := process.Open(ctx, process.Shell(`while read -r n; do echo "got $n"; done`),
		process.Stderr(process.DevNull))
	if err != nil {
		return err
	}
	defer loop.Close(ctx)
	say("started %v and %v", seq, loop)

	scope := anyio.NewCancelScope()
	err = scope.Run(ctx, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				// seq's stdout into the loop's stdin, a chunk at a time.
				for chunk, err := range anyio.IterateBytes(ctx, seq.Stdout(), 4096) {
					if err != nil {
						return err
					}
					if err := loop.Stdin().Send(ctx, chunk); err != nil {
						return err
					}
				}
				return loop.Stdin().Close(ctx)
			}, anyio.TaskName("pump"))
			tg.StartSoon(func(ctx context.Context) error {
				lines := buffered.NewReceiveStream(loop.Stdout())
				for i := range 3 {
					line, err := lines.ReceiveUntil(ctx, []byte("\n"), 100)
					if err != nil {
						return err
					}
					say("line %d from the pipeline: %q", i+1, line)
				}
				say("enough: cancelling the pipeline halfway")
				scope.Cancel()
				return nil
			}, anyio.TaskName("reader"))
			for _, p := range []*process.Process{seq, loop} {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := p.Wait(ctx) // cancelled: kills and reaps the child
					return err
				}, anyio.TaskName(fmt.Sprintf("wait for %v", p)))
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, anyio.ErrCancelled) {
		return err
	}
	for _, c := range []struct {
		name string
		p    *process.Process
	}{{"seq", seq}, {"the loop", loop}} {
		code, reaped := c.p.ReturnCode()
		say("%s reaped: %v, return code %d (killed by SIGKILL)", c.name, reaped, code)
	}
	return nil
}
