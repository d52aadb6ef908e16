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

// Task group tests: cancelling a group, from inside or outside, and how the
// cancellation reaches its body and children.

// TestTaskGroupScopeDeadline: the group's scope is a cancel scope like any
// other; its deadline cancels the body and every child, and is swallowed.
func TestTaskGroupScopeDeadline(t *testing.T) {
	var tgScope *anyio.CancelScope
	var finished atomic.Int32
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tgScope = tg.CancelScope()
		for range 3 {
			tg.StartSoon(func(ctx context.Context) error {
				err := anyio.SleepForever(ctx)
				finished.Add(1)
				return err
			})
		}
		tg.CancelScope().SetDeadline(time.Now().Add(5 * time.Millisecond))
		return anyio.SleepForever(ctx)
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !tgScope.CancelCalled() || !tgScope.CancelledCaught() {
		t.Fatalf("group scope: CancelCalled %v CancelledCaught %v, want both true", tgScope.CancelCalled(), tgScope.CancelledCaught())
	}
	if finished.Load() != 3 {
		t.Fatalf("children finished: got %d, want 3", finished.Load())
	}
}

func TestTaskGroupCancelledFromOutside(t *testing.T) {
	boom := errors.New("boom")
	t.Run("outer scope", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			var tgErr error
			var tgScope *anyio.CancelScope
			err := outer.Run(ctx, func(ctx context.Context) error {
				tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tgScope = tg.CancelScope()
					tg.StartSoon(anyio.SleepForever)
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					outer.Cancel()
					return anyio.Sleep(ctx, time.Hour)
				})
				return tgErr
			})
			tgWantSingleCancellation(t, "WithTaskGroup", tgErr)
			if tgScope.CancelledCaught() {
				t.Error("task group scope CancelledCaught() = true, want false: the cancellation came from outside")
			}
			if err != nil || !outer.CancelledCaught() {
				t.Errorf("outer scope Run: got (%v, caught %v), want (nil, true)", err, outer.CancelledCaught())
			}
			return nil
		})
	})
	t.Run("parent context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			tg.StartSoon(anyio.SleepForever)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			cancel()
			return anyio.SleepForever(ctx)
		})
		tgWantSingleCancellation(t, "WithTaskGroup", err)
		if !errors.Is(err, ctx.Err()) {
			t.Errorf("WithTaskGroup: got %v, want an error matching the parent's Err()", err)
		}
	})
	t.Run("parent context deadline", func(t *testing.T) {
		dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer dcancel()
		err := anyio.WithTaskGroup(dctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			return anyio.SleepForever(ctx)
		})
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WithTaskGroup: got %v, want an error matching ErrCancelled and context.DeadlineExceeded", err)
		}
		var eg *anyio.ExceptionGroup
		if errors.As(err, &eg) {
			t.Fatalf("WithTaskGroup: got a group %v, want one cancellation error", err)
		}
	})
	// The group keeps the cancellations that the outer scope caused next to
	// the child's error (as AnyIO on Trio does); the outer scope removes
	// them, and so catches a cancellation.
	t.Run("outer scope and a child error", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			var tgErr error
			outerErr := outer.Run(ctx, func(ctx context.Context) error {
				tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(anyio.SleepForever)
					tg.StartSoon(tgAsyncError(boom))
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					outer.Cancel()
					return anyio.SleepForever(ctx)
				})
				return tgErr
			})
			eg := tgAsGroup(t, "WithTaskGroup", tgErr)
			var others []error
			for _, e := range eg.Errors {
				if !errors.Is(e, anyio.ErrCancelled) {
					others = append(others, e)
				}
			}
			if len(others) != 1 || others[0] != boom || len(eg.Errors) < 2 {
				t.Errorf("WithTaskGroup errors: got %v, want boom and the cancellations of the outer scope", eg.Errors)
			}
			oeg := tgAsGroup(t, "outer scope Run", outerErr)
			if len(oeg.Errors) != 1 || oeg.Errors[0] != boom {
				t.Errorf("outer scope Run errors: got %v, want [boom] (its cancellations removed)", oeg.Errors)
			}
			if !outer.CancelledCaught() {
				t.Error("outer scope CancelledCaught() = false, want true: it removed the cancellations it caused")
			}
			return nil
		})
	})
}

// AnyIO's test_cancel_native_future_tasks and
// test_cancel_native_future_tasks_cancel_scope. AnyIO's child awaits an
// asyncio future that knows nothing of AnyIO; the Go counterpart is a child
// blocked in a plain select on ctx.Done() that returns ctx.Err(). Cancelling
// the group must end it, and its context.Canceled is the group's own
// cancellation: the group reports nothing, and a cancel scope the child
// entered does not swallow what it did not cause.
func TestTaskGroupCancelNativeWaitTasks(t *testing.T) {
	for _, inScope := range []bool{false, true} {
		for _, waitFirst := range []bool{false, true} {
			name := "bare"
			if inScope {
				name = "in a cancel scope"
			}
			if waitFirst {
				name += "/cancelled while waiting"
			} else {
				name += "/cancelled at once"
			}
			t.Run(name, func(t *testing.T) {
				anyiotest.Run(t, func(ctx context.Context) error {
					waiting := make(chan struct{})
					var childErr error
					childScope := anyio.NewCancelScope()
					nativeWait := func(ctx context.Context) error {
						close(waiting)
						<-ctx.Done()
						childErr = ctx.Err()
						return childErr
					}
					var tgScope *anyio.CancelScope
					err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tgScope = tg.CancelScope()
						tg.StartSoon(func(ctx context.Context) error {
							if inScope {
								return childScope.Run(ctx, nativeWait)
							}
							return nativeWait(ctx)
						})
						if waitFirst {
							<-waiting
						}
						tg.CancelScope().Cancel()
						return nil
					})
					if err != nil {
						t.Errorf("WithTaskGroup: got %v, want nil", err)
					}
					if !errors.Is(childErr, context.Canceled) {
						t.Errorf("the child's native wait ended with %v, want context.Canceled", childErr)
					}
					if !tgScope.CancelledCaught() {
						t.Errorf("group scope CancelledCaught() = false, want true")
					}
					if inScope && (childScope.CancelledCaught() || childScope.CancelCalled()) {
						t.Errorf("child scope CancelCalled()=%v CancelledCaught()=%v, want false, false",
							childScope.CancelCalled(), childScope.CancelledCaught())
					}
					return nil
				})
			})
		}
	}
}

// TestTaskGroupEmptyInCancelledScope: a group whose tasks never met the
// cancellation has nothing to report (AnyIO's
// test_cancel_before_entering_task_group).
func TestTaskGroupEmptyInCancelledScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.NewCancelScope()
		var tgErr error
		s.Run(ctx, func(ctx context.Context) error {
			s.Cancel()
			tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error { return nil })
			return nil
		})
		if tgErr != nil {
			t.Errorf("empty WithTaskGroup in a cancelled scope: got %v, want nil", tgErr)
		}
		return nil
	})
}

func TestTaskGroupCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		// block is the child's first blocking call.
		block       func(ctx context.Context) error
		cancelFirst bool
	}{
		// AnyIO's test_level_cancellation: the child starts in a group that
		// is already cancelled.
		{"started after the cancel", lowlevel.Checkpoint, true},
		// AnyIO's test_cancel: whether the child blocks before or after the
		// cancel, its blocking call fails.
		{"started before the cancel", func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, false},
	} {
		t.Run("from body, child "+tc.name, func(t *testing.T) {
			var marker atomic.Int32
			var blockErr error
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				if tc.cancelFirst {
					tg.CancelScope().Cancel()
				}
				tg.StartSoon(func(ctx context.Context) error {
					marker.Store(1)
					blockErr = tc.block(ctx)
					if blockErr == nil {
						marker.Store(2)
					}
					return blockErr
				})
				tg.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				t.Fatalf("WithTaskGroup: got %v, want nil", err)
			}
			if got := marker.Load(); got != 1 {
				t.Fatalf("marker: got %d, want 1 (child ran up to its first blocking call)", got)
			}
			if !errors.Is(blockErr, anyio.ErrCancelled) {
				t.Fatalf("child's blocking call: got %v, want a cancellation", blockErr)
			}
			if !tgScope.CancelCalled() || !tgScope.CancelledCaught() {
				t.Fatalf("group scope: CancelCalled %v CancelledCaught %v, want both true", tgScope.CancelCalled(), tgScope.CancelledCaught())
			}
		})
	}
	t.Run("from a child", func(t *testing.T) {
		var bodyErr, siblingErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				siblingErr = anyio.SleepForever(ctx)
				return siblingErr
			})
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			bodyErr = anyio.SleepForever(ctx)
			return bodyErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !errors.Is(bodyErr, anyio.ErrCancelled) || !errors.Is(siblingErr, anyio.ErrCancelled) {
			t.Fatalf("body and sibling: got (%v, %v), want cancellations", bodyErr, siblingErr)
		}
	})
	t.Run("with reason", func(t *testing.T) {
		var cpErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().CancelWithReason("test reason")
			cpErr = lowlevel.Checkpoint(ctx)
			return cpErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if cpErr == nil || !strings.Contains(cpErr.Error(), "test reason") {
			t.Fatalf("Checkpoint: got %v, want a cancellation mentioning %q", cpErr, "test reason")
		}
	})
	t.Run("escaping cancellation of the body", func(t *testing.T) {
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
	})
	t.Run("completed child", func(t *testing.T) {
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan struct{})
			tg.StartSoon(func(ctx context.Context) error { close(done); return nil })
			<-done
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
	})
	t.Run("twice in a row", func(t *testing.T) {
		// AnyIO's test_cancel_twice: the same task is cancelled by two groups.
		anyiotest.Run(t, func(ctx context.Context) error {
			for i := range 2 {
				reached := false
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
						tg.CancelScope().Cancel()
						return nil
					})
					if err := anyio.Sleep(ctx, time.Hour); err != nil {
						return err
					}
					reached = true
					return nil
				})
				if err != nil || reached {
					t.Errorf("round %d: WithTaskGroup got %v (sleep completed %v), want nil and a cancelled sleep", i, err, reached)
				}
			}
			return nil
		})
	})
	t.Run("child's own scope", func(t *testing.T) {
		// AnyIO's test_cancel_scope_in_child_task: cancelling a scope inside a
		// child does not cancel the group.
		childScope := anyio.NewCancelScope()
		hostDone := false
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				return childScope.Run(ctx, func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			childScope.Cancel()
			if err := lowlevel.Checkpoint(ctx); err != nil {
				return err
			}
			hostDone = true
			return nil
		})
		if err != nil || !hostDone {
			t.Fatalf("WithTaskGroup: got %v (host done %v), want nil and the host to finish", err, hostDone)
		}
		if tgScope.CancelCalled() {
			t.Fatal("group scope CancelCalled() = true, want false")
		}
		if !childScope.CancelledCaught() {
			t.Fatal("child scope CancelledCaught() = false, want true")
		}
	})
}

// TaskGroup.Cancel is the shortcut for cancelling the group's scope
// (AnyIO 4.14's TaskGroup.cancel, test_taskgroup_cancel): the body and every
// child are cancelled, and the group swallows its own cancellation.
func TestTaskGroupCancelShortcut(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var bodyErr error
		childDone := anyio.NewEvent()
		var childErr error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer childDone.Set()
				childErr = anyio.SleepForever(ctx)
				return childErr
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.Cancel()
			if !tg.CancelScope().CancelCalled() {
				t.Error("CancelScope().CancelCalled() after Cancel: got false, want true")
			}
			bodyErr = lowlevel.Checkpoint(ctx)
			return bodyErr
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil (the group's own cancellation is swallowed)", err)
		}
		if !childDone.IsSet() || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("child: got %v, want a cancellation error", childErr)
		}
		if !errors.Is(bodyErr, anyio.ErrCancelled) {
			t.Errorf("body's Checkpoint after Cancel: got %v, want a cancellation error", bodyErr)
		}
		if ctx.Err() != nil {
			t.Error("the enclosing task was cancelled too; want only the group's scope cancelled")
		}
		return nil
	})
}

// TaskGroup.CancelWithReason passes its reason to the tasks' cancellation
// errors and to context.Cause; only the first reason is kept.
func TestTaskGroupCancelWithReason(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var childErr, cause error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				childErr = anyio.SleepForever(ctx)
				cause = context.Cause(ctx)
				return childErr
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelWithReason("deploy finished")
			tg.CancelWithReason("second reason")
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if childErr == nil || !strings.Contains(childErr.Error(), "deploy finished") || strings.Contains(childErr.Error(), "second reason") {
			t.Errorf("child's SleepForever: got %v, want a cancellation naming only the first reason", childErr)
		}
		if cause == nil || !strings.Contains(cause.Error(), "deploy finished") {
			t.Errorf("context.Cause in the child: got %v, want the reason", cause)
		}
		return nil
	})
}

// TestTaskGroupCancelPropagatesToNestedGroups covers AnyIO's
// test_cancel_propagation, test_cancel_cascade, test_cancel_exiting_task_group
// and test_cancel_propagation_with_inner_spawn.
func TestTaskGroupCancelPropagatesToNestedGroups(t *testing.T) {
	for _, tc := range []struct {
		name      string
		innerBody func(ctx context.Context, tg *anyio.TaskGroup) error
	}{
		{"inner body sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			return anyio.Sleep(ctx, time.Hour)
		}},
		{"inner child sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, anyio.TaskName("sleep"))
			return nil
		}},
		{"inner child and body sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
			return anyio.Sleep(ctx, time.Hour)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var innerErr error
			reachedAfterInner := false
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					innerErr = anyio.WithTaskGroup(ctx, tc.innerBody)
					if innerErr != nil {
						return innerErr
					}
					reachedAfterInner = true
					return nil
				}, anyio.TaskName("do_something"))
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				t.Fatalf("outer WithTaskGroup: got %v, want nil", err)
			}
			if reachedAfterInner {
				t.Fatal("the child went on after its inner group was cancelled")
			}
			tgWantSingleCancellation(t, "inner WithTaskGroup", innerErr)
		})
	}
}

// TestTaskGroupStartSoonIntoCancelledGroup: a task started into a cancelled
// group still starts, and sees the cancellation at its first blocking call
// (AnyIO's test_cancelled_parent and test_level_cancellation).
func TestTaskGroupStartSoonIntoCancelledGroup(t *testing.T) {
	var ran, pastScope atomic.Bool
	var pending atomic.Bool
	var childErr atomic.Value
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.SleepForever(ctx); !errors.Is(err, anyio.ErrCancelled) {
				return fmt.Errorf("SleepForever: got %v, want a cancellation", err)
			}
			// The group is cancelled now; start one more task.
			tg.StartSoon(func(ctx context.Context) error {
				ran.Store(true)
				pending.Store(anyio.GetCurrentTask(ctx).HasPendingCancellation())
				err := anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
					return anyio.Sleep(ctx, time.Hour)
				})
				childErr.Store(fmt.Sprint(err))
				if err != nil {
					return err
				}
				pastScope.Store(true)
				return errors.New("foo")
			})
			return nil
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelScope().Cancel()
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !ran.Load() {
		t.Fatal("the task started into the cancelled group did not run")
	}
	if !pending.Load() {
		t.Error("HasPendingCancellation() in the late task: got false, want true")
	}
	if pastScope.Load() {
		t.Fatalf("the late task's inner scope swallowed the group's cancellation (Run returned %v)", childErr.Load())
	}
}

// TestTaskGroupHostShieldedChildCancelled: cancellation reaches a child even
// while the host sits in a shielded scope (AnyIO's
// test_cancel_child_task_when_host_is_shielded).
func TestTaskGroupHostShieldedChildCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		parent := anyio.NewCancelScope()
		cancelled := tgNewGate()
		var waitErr error
		err := parent.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.SleepForever(ctx)
					cancelled.open()
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(tgSafetyTimeout).Run(ctx, func(ctx context.Context) error {
						parent.Cancel()
						waitErr = cancelled.wait(ctx)
						return waitErr
					})
				})
			})
		})
		if waitErr != nil {
			t.Errorf("waiting for the child's cancellation in a shielded scope: %v", waitErr)
		}
		if err != nil || !parent.CancelledCaught() {
			t.Errorf("parent scope Run: got (%v, caught %v), want (nil, true)", err, parent.CancelledCaught())
		}
		return nil
	})
}
