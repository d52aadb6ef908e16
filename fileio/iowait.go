package fileio

import (
	"context"
	"time"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// Reads and writes of a pollable file wait on the system; these are the
// descriptions that WaitAllTasksBlocked and DumpTasks see.
var (
	readWait  = &core.WaitInfo{What: "fileio.File.Read"}
	writeWait = &core.WaitInfo{What: "fileio.File.Write"}
)

// pollableIO runs call, a Read or Write of a pollable file, so that it
// returns soon after ctx is cancelled (cancelled is then true): the wake-up
// sets the deadline that setDeadline sets. Meanwhile the calling task
// counts as blocked for anyio.WaitAllTasksBlocked and DumpTasks names what
// it waits on.
//
// This is the one place where fileio meets the shared machinery of
// cancellable I/O; every pollable read and write goes through it.
func pollableIO(ctx context.Context, op *cancelio.Op, w *core.WaitInfo, setDeadline func(time.Time) error, call func() (int, error)) (n int, err error, cancelled bool) {
	t := core.TaskOf(ctx)
	t.ParkCtx(ctx, w)
	n, err, cancelled = op.Do(ctx, setDeadline, call)
	t.Unpark()
	return n, err, cancelled
}
