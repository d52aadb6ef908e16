package functools_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/functools"
	"github.com/anyio-go/anyio/lowlevel"
)

func add(ctx context.Context, acc, x int) (int, error) { return acc + x, lowlevel.Checkpoint(ctx) }

func TestReduce(t *testing.T) {
	atoiAdd := func(ctx context.Context, acc int, s string) (int, error) {
		n, err := strconv.Atoi(s)
		return acc + n, err
	}
	tests := []struct {
		name string
		run  func(ctx context.Context) (int, error)
		want int
	}{
		// AnyIO's test_no_initial, with the identity of + as the initial value.
		{"ints", func(ctx context.Context) (int, error) {
			return functools.Reduce(ctx, add, slices.Values([]int{1, 2, 3}), 0)
		}, 6},
		// AnyIO's test_has_initial: the accumulator and the items differ in type.
		{"strings onto an int", func(ctx context.Context) (int, error) {
			return functools.Reduce(ctx, atoiAdd, slices.Values([]string{"1", "2", "3"}), 2)
		}, 8},
		{"empty", func(ctx context.Context) (int, error) {
			return functools.Reduce(ctx, add, slices.Values([]int(nil)), 42)
		}, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				if got, err := tt.run(ctx); got != tt.want || err != nil {
					t.Errorf("Reduce = %v, %v; want %v, nil", got, err, tt.want)
				}
				return nil
			})
		})
	}
}

// Items are folded in order, left to right.
func TestReduceOrder(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := functools.Reduce(ctx, func(_ context.Context, acc []string, s string) ([]string, error) {
			return append(acc, s), nil
		}, slices.Values([]string{"a", "b", "c"}), []string{"start"})
		if err != nil || !slices.Equal(got, []string{"start", "a", "b", "c"}) {
			t.Errorf("Reduce = %v, %v; want [start a b c], nil", got, err)
		}
		return nil
	})
}

// Ports AnyIO's test_checkpoints_empty_iterable: Reduce checks for
// cancellation even when it calls nothing.
func TestReduceCancelledEmpty(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		scope.Cancel()
		return scope.Run(ctx, func(ctx context.Context) error {
			_, err := functools.Reduce(ctx, add, slices.Values([]int(nil)), 1)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Reduce of nothing in a cancelled scope = %v, want a cancellation error", err)
			}
			return err
		})
	})
}

// A cancellation stops Reduce before the next call; an error of the function
// stops it at once.
func TestReduceStops(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		calls := 0
		_, err := functools.Reduce(ctx, func(_ context.Context, acc, x int) (int, error) {
			calls++
			if x == 2 {
				return 0, boom
			}
			return acc + x, nil
		}, slices.Values([]int{1, 2, 3, 4}), 0)
		if err != boom || calls != 2 {
			t.Errorf("Reduce with a failing function = %v after %d calls, want %v after 2", err, calls, boom)
		}

		scope := anyio.NewCancelScope()
		calls = 0
		err = scope.Run(ctx, func(ctx context.Context) error {
			got, err := functools.Reduce(ctx, func(_ context.Context, acc, x int) (int, error) {
				calls++
				if x == 2 {
					scope.Cancel() // a function that does not look at ctx
				}
				return acc + x, nil
			}, slices.Values([]int{1, 2, 3, 4}), 0)
			if got != 0 || !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Reduce after a cancellation = %v, %v; want 0, a cancellation error", got, err)
			}
			return err
		})
		if calls != 2 {
			t.Errorf("Reduce called the function %d times, want 2: none after the cancellation", calls)
		}
		return err
	})
}

// A panic of the sequence is not recovered.
func TestReduceSequencePanics(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		defer func() {
			if r := recover(); r != "broken" {
				t.Errorf("Reduce panicked with %v, want the sequence's panic", r)
			}
		}()
		_, _ = functools.Reduce(ctx, add, func(yield func(int) bool) {
			yield(1)
			panic("broken")
		}, 0)
		return nil
	})
}
