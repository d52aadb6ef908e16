package anyio_test

// Ports of AnyIO's cancel scope and task group tests (tests/test_taskgroups.py,
// 4.4 and later) about which scope catches a cancellation, nested scopes and
// shields, deadlines reached at entry, and the group scope's CancelCalled,
// that had no Go counterpart yet. Each test names the AnyIO test it ports
// and runs in virtual time, checking every step's outcome and end time (see
// trace in cancelsemantics_test.go) and every scope's CancelledCaught.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// AnyIO's test_cancelled_raises_beyond_origin_shielded: a shielded inner
// scope cancels itself, and the outer scope is cancelled while the
// cancellation propagates; the inner scope catches it (the outer
// cancellation is hidden by the shield), so the code between the scopes
// runs and the outer scope catches nothing.
func TestCancelledRaisesBeyondOriginShielded(t *testing.T) {
	var tr *trace
	outer, inner := anyio.NewCancelScope(), anyio.NewCancelScope(anyio.Shielded())
	between := false
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := outer.Run(ctx, func(ctx context.Context) error {
			err := inner.Run(ctx, func(ctx context.Context) error {
				inner.Cancel()
				err := tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
				outer.Cancel()
				return err
			})
			tr.record("inner", err)
			between = true
			return err
		})
		tr.record("outer", err)
		return nil
	})
	tr.check(t, "checkpoint: cancelled @0s", "inner: ok @0s", "outer: ok @0s")
	if !between {
		t.Error("the code between the scopes did not run")
	}
	if !inner.CancelledCaught() || outer.CancelledCaught() {
		t.Errorf("CancelledCaught: inner %v, outer %v; want true, false", inner.CancelledCaught(), outer.CancelledCaught())
	}
}

// AnyIO's test_cancelled_raises_beyond_origin_unshielded: the same without
// the shield: the outer cancellation is visible to the inner scope, so the
// inner scope lets the cancellation through and the outer one catches it.
func TestCancelledRaisesBeyondOriginUnshielded(t *testing.T) {
	var tr *trace
	outer, inner := anyio.NewCancelScope(), anyio.NewCancelScope()
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := outer.Run(ctx, func(ctx context.Context) error {
			err := inner.Run(ctx, func(ctx context.Context) error {
				inner.Cancel()
				err := tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
				outer.Cancel()
				return err
			})
			tr.record("inner", err)
			if err == nil {
				t.Error("inner Run returned nil: leaving the inner scope should have passed the cancellation on")
			}
			return err
		})
		tr.record("outer", err)
		return nil
	})
	tr.check(t, "checkpoint: cancelled @0s", "inner: cancelled @0s", "outer: ok @0s")
	if inner.CancelledCaught() || !outer.CancelledCaught() {
		t.Errorf("CancelledCaught: inner %v, outer %v; want false, true", inner.CancelledCaught(), outer.CancelledCaught())
	}
}

// AnyIO's test_cancelled_scope_based_checkpoint: a checkpoint made of a
// scope that cancels itself and sleeps forever, inside an already cancelled
// scope: the cancellation belongs to the outer scope, which catches it.
func TestCancelledScopeBasedCheckpoint(t *testing.T) {
	var tr *trace
	outer, inner := anyio.NewCancelScope(), anyio.NewCancelScope()
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := outer.Run(ctx, func(ctx context.Context) error {
			outer.Cancel()
			err := inner.Run(ctx, func(ctx context.Context) error {
				inner.Cancel()
				return tr.step("sleep forever", func() error { return anyio.SleepForever(ctx) })
			})
			tr.record("inner", err)
			return err
		})
		tr.record("outer", err)
		return nil
	})
	tr.check(t, "sleep forever: cancelled @0s", "inner: cancelled @0s", "outer: ok @0s")
	if inner.CancelledCaught() || !outer.CancelledCaught() {
		t.Errorf("CancelledCaught: inner %v, outer %v; want false, true", inner.CancelledCaught(), outer.CancelledCaught())
	}
}

// AnyIO's test_triple_nested_shield_checkpoint_in_middle and
// test_triple_nested_shield_checkpoint_in_outer: the outermost of three
// nested scopes (the middle one too, in the second case) is cancelled from
// inside a shielded third; the checkpoint in the shield passes, and the
// next checkpoint outside the shield is cancelled, so the code after it
// never runs.
func TestTripleNestedShieldCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name         string
		cancelMiddle bool // also cancel the middle scope (the "in outer" case)
		inMiddle     bool // the second checkpoint is in the middle scope
		want         []string
	}{
		{"in middle", false, true, []string{"shielded checkpoint: ok @0s", "checkpoint: cancelled @0s", "middle: cancelled @0s", "scope1: ok @0s", "task: ok @0s"}},
		{"in outer", true, false, []string{"shielded checkpoint: ok @0s", "middle: ok @0s", "checkpoint: cancelled @0s", "scope1: ok @0s", "task: ok @0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr *trace
			gotPast := false
			scope1, scope2 := anyio.NewCancelScope(), anyio.NewCancelScope()
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				tr = newTrace()
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						return tr.step("task", func() error {
							err := scope1.Run(ctx, func(ctx context.Context) error {
								err := scope2.Run(ctx, func(ctx context.Context) error {
									anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
										scope1.Cancel()
										if tc.cancelMiddle {
											scope2.Cancel()
										}
										return tr.step("shielded checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
									})
									if tc.inMiddle {
										if err := tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) }); err != nil {
											return err
										}
										gotPast = true
									}
									return nil
								})
								tr.record("middle", err)
								if err != nil {
									return err
								}
								if !tc.inMiddle {
									if err := tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) }); err != nil {
										return err
									}
									gotPast = true
								}
								return nil
							})
							tr.record("scope1", err)
							return err
						})
					})
					return nil
				})
			})
			tr.check(t, tc.want...)
			if gotPast {
				t.Error("the code after the cancelled checkpoint ran")
			}
		})
	}
}

// AnyIO's test_deadline_reached_on_start: a scope whose deadline has passed
// when it is entered is cancelled at its first checkpoint.
func TestDeadlineReachedOnStart(t *testing.T) {
	var tr *trace
	var s *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		s = anyio.MoveOnAfter(0)
		err := s.Run(ctx, func(ctx context.Context) error {
			if err := tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) }); err != nil {
				return err
			}
			t.Error("the body went on past a checkpoint after its deadline")
			return nil
		})
		tr.record("move_on_after(0)", err)
		return nil
	})
	tr.check(t, "checkpoint: cancelled @0s", "move_on_after(0): ok @0s")
	if !s.CancelCalled() || !s.CancelledCaught() {
		t.Errorf("CancelCalled %v, CancelledCaught %v; want true, true", s.CancelCalled(), s.CancelledCaught())
	}
}

// AnyIO's test_fail_after (instant and delayed): the body's cancellation
// says that a deadline was reached, the scope's Run returns ErrTimeout, and
// the scope reports CancelCalled and CancelledCaught.
func TestFailAfter(t *testing.T) {
	for _, delay := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			var tr *trace
			var s *anyio.CancelScope
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				tr = newTrace()
				s = anyio.FailAfter(delay)
				err := s.Run(ctx, func(ctx context.Context) error {
					err := tr.step("sleep 1", func() error { return anyio.Sleep(ctx, time.Second) })
					if err != nil && !strings.Contains(err.Error(), "deadline") {
						t.Errorf("Sleep's cancellation %q does not mention the deadline", err)
					}
					return err
				})
				tr.record("fail_after", err)
				return nil
			})
			tr.check(t, "sleep 1: cancelled @"+delay.String(), "fail_after: timeout @"+delay.String())
			if !s.CancelCalled() || !s.CancelledCaught() {
				t.Errorf("CancelCalled %v, CancelledCaught %v; want true, true", s.CancelCalled(), s.CancelledCaught())
			}
		})
	}
}

// AnyIO's test_fail_after_scope_cancelled_before_timeout (marked as an
// expected failure in AnyIO, which raises TimeoutError): cancelled by hand,
// then the deadline passes while the body blocks without a checkpoint, then
// the cancellation is caught. anyio gives no timeout: the scope was cut
// short by its Cancel, not by its deadline (docs/api-mapping.md).
func TestFailAfterScopeCancelledBeforeTimeout(t *testing.T) {
	var tr *trace
	var s *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		s = anyio.FailAfter(100 * time.Millisecond)
		err := s.Run(ctx, func(ctx context.Context) error {
			s.Cancel()
			time.Sleep(110 * time.Millisecond) // blocks without a checkpoint, like AnyIO's time.sleep
			return tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
		})
		tr.record("fail_after", err)
		return nil
	})
	tr.check(t, "checkpoint: cancelled @110ms", "fail_after: ok @110ms")
	if !s.CancelledCaught() {
		t.Error("CancelledCaught() = false, want true")
	}
}

// AnyIO's test_cancel_counter_nested_scopes (asyncio's cancel counter): the
// outer scope cancelled from inside a nested one catches the cancellation,
// and nothing of it lingers: the next checkpoint passes.
func TestCancelCounterNestedScopes(t *testing.T) {
	var tr *trace
	root := anyio.NewCancelScope()
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := root.Run(ctx, func(ctx context.Context) error {
			return anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
				root.Cancel()
				return tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
			})
		})
		tr.record("root", err)
		tr.step("checkpoint after", func() error { return lowlevel.Checkpoint(ctx) })
		return nil
	})
	tr.check(t, "checkpoint: cancelled @0s", "root: ok @0s", "checkpoint after: ok @0s")
	if !root.CancelledCaught() {
		t.Error("root CancelledCaught() = false, want true")
	}
}

// AnyIO's test_uncancel_after_child_task_failed: a group whose child failed
// returns a group of that one error, catches the cancellation it caused, and
// leaves no cancellation behind.
func TestUncancelAfterChildTaskFailed(t *testing.T) {
	dummy := errors.New("dummy error")
	var tr *trace
	var tgScope *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error { return dummy })
			return tr.step("host sleep", func() error { return anyio.Sleep(ctx, time.Second) })
		})
		if errs := groupOnly(t, "WithTaskGroup", err); len(errs) != 1 || errs[0] != dummy {
			t.Errorf("WithTaskGroup errors: got %v, want [dummy error]", errs)
		}
		tr.step("checkpoint after", func() error { return lowlevel.Checkpoint(ctx) })
		return nil
	})
	tr.check(t, "host sleep: cancelled @0s", "checkpoint after: ok @0s")
	if !tgScope.CancelledCaught() || !tgScope.CancelCalled() {
		t.Errorf("group scope CancelledCaught %v, CancelCalled %v; want true, true", tgScope.CancelledCaught(), tgScope.CancelCalled())
	}
}

// AnyIO's test_shielded_cancel_sleep_time, in virtual time: a group is
// cancelled while its child sleeps and waits in a shielded scope; the child
// is untouched, and the group is left when the child's wait ends (at 0.2s,
// when a task outside sets the event), not before.
func TestShieldedCancelSleepTime(t *testing.T) {
	var tr *trace
	var inner *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		ev := anyio.NewEvent()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, outer *anyio.TaskGroup) error {
			outer.StartSoon(func(ctx context.Context) error {
				err := tr.step("set_event sleep", func() error { return anyio.Sleep(ctx, 200*time.Millisecond) })
				ev.Set()
				return err
			})
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				inner = tg.CancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
						if err := tr.step("shielded sleep", func() error { return anyio.Sleep(ctx, 200*time.Millisecond) }); err != nil {
							return err
						}
						return tr.step("shielded wait", func() error { return ev.Wait(ctx) })
					})
				})
				tg.Cancel()
				return nil
			})
			tr.record("inner group", err)
			return nil
		})
	})
	tr.check(t, "set_event sleep: ok @200ms", "shielded sleep: ok @200ms", "shielded wait: ok @200ms", "inner group: ok @200ms")
	if inner.CancelledCaught() {
		t.Error("inner group CancelledCaught() = true, want false: no task met the cancellation")
	}
}
