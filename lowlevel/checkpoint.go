// Package lowlevel holds the low-level parts of anyio: checkpoints and run
// variables (AnyIO's anyio.lowlevel).
package lowlevel

import (
	"context"
	"runtime"

	"github.com/anyio-go/anyio/internal/core"
)

// Checkpoint checks for cancellation, yields the processor to other
// goroutines, and checks again: it returns a cancellation error if ctx is
// cancelled before or after the yield (AnyIO's checkpoint()).
func Checkpoint(ctx context.Context) error {
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	runtime.Gosched()
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	return nil
}

// CheckpointIfCancelled returns a cancellation error if ctx is cancelled, and
// nil otherwise, without yielding.
func CheckpointIfCancelled(ctx context.Context) error {
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	return nil
}

// CancelShieldedCheckpoint yields the processor without checking for
// cancellation.
func CancelShieldedCheckpoint(ctx context.Context) {
	runtime.Gosched()
}
