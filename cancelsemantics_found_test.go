package anyio_test

// Programs found by comparing generated programs on anyio and on Python
// AnyIO 4.4 on Trio 0.24 (internal/semtest), each in virtual time with every
// step's outcome and end time and every scope's CancelledCaught and
// CancelCalled. The first agrees with AnyIO; the others keep anyio's own
// rule, which docs/api-mapping.md records beside AnyIO's.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// A task group whose scope is cancelled from outside reports CancelCalled
// once a child met the cancellation or failed, as a Trio nursery calls
// cancel() on every child exception; it catches nothing.
//
//	with move_on_after(1) as outer:
//	    async with create_task_group() as tg:
//	        tg.start_soon(sleep, 2)            # cancelled at t=1
//	        [tg.start_soon(shielded_sleep_2_then_raise_E1)]
//	# tg.cancel_scope.cancel_called is True, cancelled_caught False
func TestSemanticsGroupCancelledFromOutsideCallsCancel(t *testing.T) {
	e1 := errors.New("E1")
	for _, tc := range []struct {
		name  string
		fails bool
		want  []string
	}{
		{"child cancelled", false, []string{"sleep 2: cancelled @1s", "outer: ok @1s"}},
		{"child fails after", true, []string{"sleep 2: cancelled @1s", "shielded 2 then E1: error E1 @2s", "outer: error anyio: unhandled error in a task group: E1 @2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr *trace
			var outer, tgScope *anyio.CancelScope
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				tr = newTrace()
				outer = anyio.MoveOnAfter(time.Second)
				err := outer.Run(ctx, func(ctx context.Context) error {
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tgScope = tg.CancelScope()
						tg.StartSoon(func(ctx context.Context) error {
							return tr.step("sleep 2", func() error { return anyio.Sleep(ctx, 2*time.Second) })
						})
						if tc.fails {
							tg.StartSoon(func(ctx context.Context) error {
								return tr.step("shielded 2 then E1", func() error {
									if err := shieldedSleep(ctx, 2*time.Second); err != nil {
										return err
									}
									return e1
								})
							})
						}
						return nil
					})
				})
				tr.record("outer", err)
				return nil
			})
			tr.check(t, tc.want...)
			if !tgScope.CancelCalled() || tgScope.CancelledCaught() {
				t.Errorf("group scope CancelCalled %v, CancelledCaught %v; want true, false", tgScope.CancelCalled(), tgScope.CancelledCaught())
			}
			if !outer.CancelledCaught() {
				t.Error("outer CancelledCaught() = false, want true")
			}
		})
	}
}

// A deadline set in the past cancels the scope at once: moving it into the
// future before the next checkpoint does not undo that, and a scope left
// with no checkpoint in between reports CancelCalled. (AnyIO on Trio acts on
// a deadline at the next checkpoint, so there the first program sleeps its
// full second and the second reports cancel_called False.)
//
//	with CancelScope() as s:
//	    s.deadline = now - 1
//	    s.deadline = now + 5
//	    await sleep(1)
func TestSemanticsPastDeadlineCancelsAtOnce(t *testing.T) {
	t.Run("moved back to the future", func(t *testing.T) {
		var tr *trace
		s := anyio.NewCancelScope()
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			tr = newTrace()
			err := s.Run(ctx, func(ctx context.Context) error {
				s.SetDeadline(time.Now().Add(-time.Second))
				s.SetDeadline(time.Now().Add(5 * time.Second))
				return tr.step("sleep 1", func() error { return anyio.Sleep(ctx, time.Second) })
			})
			tr.record("scope", err)
			return nil
		})
		tr.check(t, "sleep 1: cancelled @0s", "scope: ok @0s")
		if !s.CancelCalled() || !s.CancelledCaught() {
			t.Errorf("CancelCalled %v, CancelledCaught %v; want true, true", s.CancelCalled(), s.CancelledCaught())
		}
	})
	t.Run("left before a checkpoint", func(t *testing.T) {
		s := anyio.NewCancelScope()
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			err := s.Run(ctx, func(ctx context.Context) error {
				s.SetDeadline(time.Now().Add(-time.Second))
				return nil
			})
			if err != nil {
				t.Errorf("Run: %v, want nil", err)
			}
			return nil
		})
		if !s.CancelCalled() || s.CancelledCaught() {
			t.Errorf("CancelCalled %v, CancelledCaught %v; want true, false", s.CancelCalled(), s.CancelledCaught())
		}
	})
}

// A scope entered in a task whose group is already cancelled is born
// cancelled, and raising its shield cannot revive its context. (On Trio the
// raised shield hides the group's cancellation: the sleep runs until the
// scope's own deadline, which the scope then catches.)
//
//	async with create_task_group() as tg:
//	    tg.start_soon(child)   # with move_on_after(1.25) as s: s.shield = True; await sleep(1)
//	    tg.cancel_scope.cancel()
func TestSemanticsShieldRaisedInBornCancelledScope(t *testing.T) {
	var tr *trace
	var s *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.Cancel()
			tg.StartSoon(func(ctx context.Context) error {
				s = anyio.MoveOnAfter(1250 * time.Millisecond)
				err := s.Run(ctx, func(ctx context.Context) error {
					s.SetShield(true)
					return tr.step("sleep 1", func() error { return anyio.Sleep(ctx, time.Second) })
				})
				tr.record("scope", err)
				return err
			})
			return nil
		})
	})
	tr.check(t, "sleep 1: cancelled @0s", "scope: cancelled @0s")
	if s.CancelledCaught() {
		t.Error("CancelledCaught() = true, want false: the cancellation is the group's")
	}
}
