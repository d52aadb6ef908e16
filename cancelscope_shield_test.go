package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// Cancel scope tests: shielding.

// AnyIO's test_shielding: a shielded scope in a group cancelled meanwhile
// completes its body; the next blocking call outside it fails.
func TestShielding(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var innerDone, outerDone bool
		inner := anyio.MoveOnAfter(10*time.Second, anyio.Shielded())
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			}, anyio.TaskName("canceller"))
			if !inner.Shield() {
				t.Errorf("MoveOnAfter(..., Shielded()).Shield() = false, want true")
			}
			if err := inner.Run(ctx, func(ctx context.Context) error {
				if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				innerDone = true
				return nil
			}); err != nil {
				return err
			}
			if err := anyio.Sleep(ctx, time.Second); err != nil {
				return err
			}
			outerDone = true
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if !innerDone || outerDone {
			t.Errorf("shielded sleep completed = %v, outer sleep completed = %v; want true, false", innerDone, outerDone)
		}
		if !tgScope.CancelCalled() {
			t.Errorf("group scope CancelCalled() = false, want true")
		}
		if inner.CancelCalled() || inner.CancelledCaught() {
			t.Errorf("shielded scope CancelCalled()=%v CancelledCaught()=%v, want false, false", inner.CancelCalled(), inner.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancel_from_shielded_scope: inside a shield the task sees no
// deadline and no pending cancellation; outside it, it does, level-triggered.
func TestCancelFromShieldedScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				tg.CancelScope().Cancel()
				if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
					t.Errorf("CurrentEffectiveDeadline in shield: got %v, want none", d)
				}
				if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
					t.Errorf("HasPendingCancellation in shield = true, want false")
				}
				return lowlevel.Checkpoint(ctx)
			})
			if err != nil {
				t.Errorf("shielded Run: got %v, want nil", err)
			}
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Before(time.Now()) {
				t.Errorf("CurrentEffectiveDeadline after shield: got %v, %v; want a time in the past", d, ok)
			}
			if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
				t.Errorf("HasPendingCancellation after shield = false, want true")
			}
			for i := range 2 {
				if err := scWantCancel(ctx, fmt.Sprintf("Sleep %d", i+1), anyio.Sleep(ctx, 10*time.Millisecond)); err != nil {
					t.Error(err)
				}
			}
			return nil
		})
	})
}

// AnyIO's test_cancel_shielded_scope: a shield does not protect a scope from
// its own cancellation.
func TestCancelShieldedScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope(anyio.Shielded())
		err := scope.Run(ctx, func(ctx context.Context) error {
			if !scope.Shield() {
				t.Errorf("Shield() = false, want true")
			}
			scope.Cancel()
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Before(time.Now()) {
				t.Errorf("CurrentEffectiveDeadline: got %v, %v; want a time in the past", d, ok)
			}
			if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
				t.Errorf("HasPendingCancellation = false, want true")
			}
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught()=%v; want nil, true", err, scope.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_shielded_cleanup_after_cancel: a shielded scope entered in a
// cancelled scope runs clean-up code uncancelled.
func TestShieldedCleanupAfterCancel(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		outer := anyio.NewCancelScope()
		err := outer.Run(ctx, func(ctx context.Context) error {
			outer.Cancel()
			err := lowlevel.Checkpoint(ctx)
			check := func(when string, wantCancelled bool) {
				t.Helper()
				d, ok := anyio.CurrentEffectiveDeadline(ctx)
				if wantCancelled && (!ok || !d.Before(time.Now())) {
					t.Errorf("%s: CurrentEffectiveDeadline = %v, %v; want a time in the past", when, d, ok)
				}
				if got := anyio.GetCurrentTask(ctx).HasPendingCancellation(); got != wantCancelled {
					t.Errorf("%s: HasPendingCancellation = %v, want %v", when, got, wantCancelled)
				}
			}
			check("before the shield", true)
			if err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(sctx context.Context) error {
				if d, ok := anyio.CurrentEffectiveDeadline(sctx); ok {
					t.Errorf("in the shield: CurrentEffectiveDeadline = %v, want none", d)
				}
				if anyio.GetCurrentTask(sctx).HasPendingCancellation() {
					t.Errorf("in the shield: HasPendingCancellation = true, want false")
				}
				return anyio.Sleep(sctx, time.Millisecond)
			}); err != nil {
				t.Errorf("shielded clean-up: got %v, want nil", err)
			}
			check("after the shield", true)
			return err
		})
		if err != nil || !outer.CancelledCaught() {
			t.Errorf("outer Run: got %v, CancelledCaught()=%v; want nil, true", err, outer.CancelledCaught())
		}
		return nil
	})
}

// SetShield after entering: raising it keeps out a later outer cancellation,
// lowering it under a cancelled parent cancels the scope at once, and raising
// it after the scope was cancelled does not revive its context.
func TestSetShieldAfterEntering(t *testing.T) {
	t.Run("raise, then lower", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			inner := anyio.NewCancelScope()
			err := outer.Run(ctx, func(ctx context.Context) error {
				return inner.Run(ctx, func(ctx context.Context) error {
					inner.SetShield(true)
					if !inner.Shield() {
						t.Errorf("Shield() after SetShield(true) = false")
					}
					outer.Cancel()
					if err := lowlevel.Checkpoint(ctx); err != nil {
						t.Errorf("Checkpoint under a raised shield: got %v, want nil", err)
					}
					inner.SetShield(false)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() right after SetShield(false) = nil, want the outer cancellation")
					}
					return lowlevel.Checkpoint(ctx)
				})
			})
			if err != nil {
				t.Errorf("outer Run: got %v, want nil", err)
			}
			if !outer.CancelledCaught() || inner.CancelledCaught() {
				t.Errorf("CancelledCaught outer=%v inner=%v, want true, false", outer.CancelledCaught(), inner.CancelledCaught())
			}
			return nil
		})
	})
	t.Run("lower under an already cancelled parent", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			return outer.Run(ctx, func(ctx context.Context) error {
				outer.Cancel()
				inner := anyio.NewCancelScope(anyio.Shielded())
				err := inner.Run(ctx, func(ctx context.Context) error {
					if err := anyio.Sleep(ctx, time.Millisecond); err != nil {
						t.Errorf("Sleep in the shield: got %v, want nil", err)
					}
					inner.SetShield(false)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() right after SetShield(false) = nil, want cancelled")
					}
					return anyio.Sleep(ctx, time.Hour)
				})
				if !scIsCancel(ctx, err) {
					t.Errorf("inner Run: got %v, want the outer cancellation passed on", err)
				}
				return err
			})
		})
	})
	t.Run("raise after cancellation does not revive", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			return outer.Run(ctx, func(ctx context.Context) error {
				inner := anyio.NewCancelScope()
				return inner.Run(ctx, func(ctx context.Context) error {
					outer.Cancel()
					if ctx.Err() == nil {
						t.Fatalf("ctx.Err() = nil after the outer Cancel")
					}
					inner.SetShield(true)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() after SetShield(true) = nil, want it to stay done")
					}
					if ctx.Done() == nil {
						t.Errorf("ctx.Done() = nil")
					} else {
						select {
						case <-ctx.Done():
						default:
							t.Errorf("ctx.Done() not closed after SetShield(true)")
						}
					}
					err := lowlevel.Checkpoint(ctx)
					if err == nil {
						t.Errorf("Checkpoint after SetShield(true): got nil, want the cancellation")
					}
					return err
				})
			})
		})
	})
}

// AnyIO's test_shielding_mutate: a started task raises its shield, survives
// the group's cancellation, then lowers it and is cancelled.
func TestShieldingMutate(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var completed atomic.Bool
		var lastErr atomic.Value
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				scope := anyio.NewCancelScope()
				err := scope.Run(ctx, func(ctx context.Context) error {
					if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					scope.SetShield(true)
					st.Started(struct{}{})
					if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					completed.Store(true)
					scope.SetShield(false)
					err := anyio.Sleep(ctx, time.Second)
					lastErr.Store(fmt.Sprint(err))
					return err
				})
				if err == nil {
					t.Errorf("task: got past the scope, want a cancellation")
				}
				return err
			})
			if err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if !completed.Load() {
			t.Errorf("the shielded sleep did not complete")
		}
		if s, _ := lastErr.Load().(string); !strings.Contains(s, "cancel") {
			t.Errorf("the sleep after lowering the shield: got %q, want a cancellation", s)
		}
		return nil
	})
}

// AnyIO's test_shielding_immediate_scope_cancelled: a shielded scope can be
// cancelled by another task.
func TestShieldedScopeCancelledByOtherTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope(anyio.Shielded())
		var completed bool
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			return scope.Run(ctx, func(ctx context.Context) error {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					scope.Cancel()
					return nil
				})
				if err := anyio.Sleep(ctx, time.Hour); err != nil {
					return err
				}
				completed = true
				return nil
			})
		})
		if err != nil || completed || !scope.CancelledCaught() {
			t.Errorf("got err=%v completed=%v caught=%v, want nil, false, true", err, completed, scope.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancel_child_task_when_host_is_shielded: cancelling a scope
// reaches the children of a group inside it even while the group's host sits
// in a shielded scope.
func TestCancelChildWhenHostIsShielded(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var cancelled scEvent
		parent := anyio.NewCancelScope()
		err := parent.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.SleepForever(ctx)
					cancelled.Set()
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(10*time.Second).Run(ctx, func(ctx context.Context) error {
						parent.Cancel()
						return cancelled.Wait(ctx)
					})
				})
			})
		})
		if err != nil || !parent.CancelledCaught() {
			t.Errorf("got %v, CancelledCaught()=%v; want nil, true", err, parent.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancel_shielding_start: a shielded scope in a task being
// started keeps the cancellation of the Start caller's scope out; the
// cancellation arrives at the first checkpoint after the shield.
func TestCancelShieldingStart(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var resume scEvent
		var shieldedErr, afterErr atomic.Value
		outer := anyio.NewCancelScope()
		err := outer.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
						_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
							shieldedErr.Store(fmt.Sprint(resume.Wait(ctx)))
							return nil
						})
						err := lowlevel.Checkpoint(ctx)
						afterErr.Store(fmt.Sprint(err))
						return err
					})
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				outer.Cancel()
				resume.Set()
				return nil
			})
		})
		if err != nil {
			t.Errorf("outer Run: got %v, want nil", err)
		}
		if s := shieldedErr.Load(); s != "<nil>" {
			t.Errorf("wait in the shield: got %v, want <nil>", s)
		}
		if s, _ := afterErr.Load().(string); !strings.Contains(s, "cancel") {
			t.Errorf("checkpoint after the shield: got %q, want a cancellation", s)
		}
		return nil
	})
}

// A shielded child waiting while a cancellation is pending outside is parked
// in an anyio wait (no busy loop): WaitAllTasksBlocked returns, and DumpTasks
// and GetRunningTasks show it waiting with no pending cancellation.
func TestShieldedWaiterIsParked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		childScope := anyio.NewCancelScope(anyio.Shielded())
		var childErr error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				childErr = childScope.Run(ctx, anyio.SleepForever)
				return childErr
			}, anyio.TaskName("shielded sleeper"))
			return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return fmt.Errorf("WaitAllTasksBlocked with the cancellation pending: %w", err)
				}
				var found bool
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if ti.Name == "shielded sleeper" {
						found = true
						if ti.HasPendingCancellation() {
							t.Errorf("HasPendingCancellation of the shielded sleeper = true, want false")
						}
					}
				}
				if !found {
					t.Errorf("GetRunningTasks: no task named %q", "shielded sleeper")
				}
				var b strings.Builder
				if err := anyio.DumpTasks(ctx, &b); err != nil {
					return err
				}
				dump := b.String()
				var line string
				for _, l := range strings.Split(dump, "\n") {
					if strings.Contains(l, `"shielded sleeper"`) {
						line = l
					}
				}
				if !strings.Contains(line, "waiting on SleepForever") || strings.Contains(line, "cancellation pending") {
					t.Errorf("DumpTasks line of the sleeper: %q, want it waiting on SleepForever with no pending cancellation\n%s", line, dump)
				}
				if !strings.Contains(dump, "task group (cancelled") {
					t.Errorf("DumpTasks: want the group shown as cancelled\n%s", dump)
				}
				// Lowering the shield lets the pending cancellation in.
				childScope.SetShield(false)
				return nil
			})
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if childErr == nil || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("the child's shielded scope: got %v, want the group's cancellation passed on", childErr)
		}
		return nil
	})
}
