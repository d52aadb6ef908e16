package functools

import (
	"context"
	"iter"

	"github.com/anyio-go/anyio/internal/core"
)

// Reduce folds seq into one value: starting from initial, it calls
// fn(ctx, acc, x) for every item x of seq in turn, and each call's result is
// the acc of the next (AnyIO's functools.reduce). It returns the last
// result, or initial for an empty seq.
//
// Reduce checks ctx before every call of fn (and once for an empty seq, so
// that it always checks at least once): once ctx is cancelled it stops with
// a cancellation error. An
// error of fn stops it too; Reduce then returns that error and the zero A.
// A panic of seq or fn is not recovered.
func Reduce[T, A any](ctx context.Context, fn func(ctx context.Context, acc A, x T) (A, error), seq iter.Seq[T], initial A) (A, error) {
	var zero A
	acc := initial
	called := false
	for x := range seq {
		called = true
		if ctx.Err() != nil {
			return zero, core.CancelErr(ctx)
		}
		var err error
		if acc, err = fn(ctx, acc, x); err != nil {
			return zero, err
		}
	}
	if !called && ctx.Err() != nil {
		return zero, core.CancelErr(ctx)
	}
	return acc, nil
}
