package anyio_test

// Ports of AnyIO's cancel scope tests (tests/test_taskgroups.py) that had no
// Go counterpart yet. Each test names the AnyIO test it ports.

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// AnyIO's test_cancel_scope_cleared: once a scope cut short by its own
// deadline has been left, nothing of its cancellation lingers: a checkpoint
// passes, no cancellation is pending, and a later sleep runs its full length
// (the deadline's timer does not fire into the outer scope).
func TestPortCancelScopeCleared(t *testing.T) {
	scVirtual(t, func(t *testing.T, ctx context.Context) error {
		scope := anyio.MoveOnAfter(100 * time.Millisecond)
		var inner time.Duration
		var innerErr error
		err := scope.Run(ctx, func(ctx context.Context) error {
			inner, innerErr = scElapsed(func() error { return anyio.Sleep(ctx, time.Second) })
			return innerErr
		})
		if err != nil || !scope.CancelledCaught() {
			t.Fatalf("MoveOnAfter Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
		if !errors.Is(innerErr, anyio.ErrCancelled) || inner != 100*time.Millisecond {
			t.Errorf("Sleep(1s) in the scope: got %v after %v, want a cancellation after 100ms", innerErr, inner)
		}
		if err := lowlevel.Checkpoint(ctx); err != nil {
			t.Errorf("Checkpoint after the scope: got %v, want nil", err)
		}
		if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
			t.Errorf("HasPendingCancellation after the scope = true, want false")
		}
		if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
			t.Errorf("CurrentEffectiveDeadline after the scope = %v, want none", d)
		}
		took, err := scElapsed(func() error { return anyio.Sleep(ctx, time.Second) })
		if err != nil || took != time.Second {
			t.Errorf("Sleep(1s) after the scope: got %v after %v, want nil after 1s", err, took)
		}
		return nil
	})
}

// AnyIO's test_fail_after_no_timeout, test_move_on_after_no_timeout,
// test_fail_at_no_timeout and test_move_on_at_no_timeout. AnyIO passes None
// for "no deadline"; Go durations and times have no None, so the scope made
// by each constructor either has its deadline cleared before Run (the
// scope then reports no deadline, as AnyIO reports inf) or gets the
// farthest deadline there is. Either way the body runs to its end and the
// scope reports no cancellation.
func TestPortTimeoutScopesNoTimeout(t *testing.T) {
	kinds := []struct {
		name string
		fail bool
		// far makes the scope with the largest deadline the constructor
		// can express.
		far func() *anyio.CancelScope
		// plain makes the scope with an ordinary deadline.
		plain func() *anyio.CancelScope
	}{
		{"MoveOnAfter", false,
			func() *anyio.CancelScope { return anyio.MoveOnAfter(math.MaxInt64) },
			func() *anyio.CancelScope { return anyio.MoveOnAfter(time.Second) }},
		{"FailAfter", true,
			func() *anyio.CancelScope { return anyio.FailAfter(math.MaxInt64) },
			func() *anyio.CancelScope { return anyio.FailAfter(time.Second) }},
		{"MoveOnAt", false,
			func() *anyio.CancelScope { return anyio.MoveOnAt(time.Now().Add(math.MaxInt64)) },
			func() *anyio.CancelScope { return anyio.MoveOnAt(time.Now().Add(time.Second)) }},
		{"FailAt", true,
			func() *anyio.CancelScope { return anyio.FailAt(time.Now().Add(math.MaxInt64)) },
			func() *anyio.CancelScope { return anyio.FailAt(time.Now().Add(time.Second)) }},
	}
	for _, k := range kinds {
		for _, variant := range []string{"deadline cleared", "farthest deadline"} {
			t.Run(k.name+"/"+variant, func(t *testing.T) {
				scVirtual(t, func(t *testing.T, ctx context.Context) error {
					var scope *anyio.CancelScope
					if variant == "deadline cleared" {
						scope = k.plain()
						scope.ClearDeadline()
						if d, ok := scope.Deadline(); ok {
							t.Errorf("Deadline() after ClearDeadline = %v, true; want none", d)
						}
					} else {
						scope = k.far()
						d, ok := scope.Deadline()
						if !ok || time.Until(d) < 100*365*24*time.Hour {
							t.Errorf("Deadline() = %v, %v; want one centuries ahead", d, ok)
						}
					}
					completed := false
					err := scope.Run(ctx, func(ctx context.Context) error {
						d, ok := anyio.CurrentEffectiveDeadline(ctx)
						if variant == "deadline cleared" && ok {
							t.Errorf("CurrentEffectiveDeadline in the scope = %v, want none", d)
						}
						if ok && !d.After(time.Now()) {
							t.Errorf("CurrentEffectiveDeadline in the scope = %v, want none or one in the future", d)
						}
						took, err := scElapsed(func() error { return anyio.Sleep(ctx, 100*time.Millisecond) })
						if err != nil {
							return err
						}
						if took != 100*time.Millisecond {
							t.Errorf("Sleep(100ms) took %v", took)
						}
						completed = true
						return nil
					})
					if err != nil || !completed {
						t.Errorf("Run: got %v, completed=%v; want nil, true", err, completed)
					}
					if scope.CancelCalled() || scope.CancelledCaught() {
						t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want false, false", scope.CancelCalled(), scope.CancelledCaught())
					}
					return nil
				})
			})
		}
	}
}

// AnyIO's test_nested_exception_group_filtering: the scope removes the
// cancellations it caused from nested exception groups too, keeps the
// structure of what remains, and leaves the groups it was given unchanged.
func TestPortNestedExceptionGroupFiltering(t *testing.T) {
	boom := errors.New("body error")
	t.Run("inner group with a real error", func(t *testing.T) {
		scope := anyio.NewCancelScope()
		var inner *anyio.ExceptionGroup
		err := scope.Run(context.Background(), func(ctx context.Context) error {
			scope.Cancel()
			cerr := lowlevel.Checkpoint(ctx)
			if !errors.Is(cerr, anyio.ErrCancelled) {
				t.Fatalf("Checkpoint in the cancelled scope: got %v, want a cancellation", cerr)
			}
			inner = &anyio.ExceptionGroup{Errors: []error{boom, cerr}}
			return &anyio.ExceptionGroup{Errors: []error{inner}}
		})
		var outer *anyio.ExceptionGroup
		if !errors.As(err, &outer) {
			t.Fatalf("Run: got %v (%T), want an *ExceptionGroup", err, err)
		}
		var got *anyio.ExceptionGroup
		if len(outer.Errors) != 1 || !errors.As(outer.Errors[0], &got) || outer.Errors[0] != error(got) {
			t.Fatalf("Run: outer group holds %v, want one nested *ExceptionGroup", outer.Errors)
		}
		if len(got.Errors) != 1 || got.Errors[0] != boom {
			t.Errorf("Run: nested group holds %v, want exactly [body error]", got.Errors)
		}
		if len(inner.Errors) != 2 || inner.Errors[0] != boom {
			t.Errorf("the hand-built inner group changed to %v, want it kept as built", inner.Errors)
		}
		if !scope.CancelledCaught() {
			t.Error("CancelledCaught() = false, want true")
		}
	})
	t.Run("inner group of cancellations only", func(t *testing.T) {
		scope := anyio.NewCancelScope()
		err := scope.Run(context.Background(), func(ctx context.Context) error {
			scope.Cancel()
			inner := &anyio.ExceptionGroup{Errors: []error{lowlevel.Checkpoint(ctx), ctx.Err()}}
			return &anyio.ExceptionGroup{Errors: []error{inner}}
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
	})
}
