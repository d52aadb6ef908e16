package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestStartReturnsStartedValue(t *testing.T) {
	type point struct{ X, Y int }
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			i, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				st.Started(42)
				return nil
			})
			if err != nil || i != 42 {
				t.Errorf("Start[int]: got (%v, %v), want (42, nil)", i, err)
			}
			s, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[string]) error {
				st.Started("foo")
				return anyio.SleepForever(ctx) // the child runs on after Started
			})
			if err != nil || s != "foo" {
				t.Errorf("Start[string]: got (%q, %v), want (foo, nil)", s, err)
			}
			p, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[*point]) error {
				st.Started(&point{1, 2})
				return nil
			})
			if err != nil || p == nil || *p != (point{1, 2}) {
				t.Errorf("Start[*point]: got (%v, %v), want (&{1 2}, nil)", p, err)
			}
			e, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[error]) error {
				st.Started(nil) // a nil interface value
				return nil
			})
			if err != nil || e != nil {
				t.Errorf("Start[error] with Started(nil): got (%v, %v), want (nil, nil)", e, err)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// TestStartChildMovesToGroupScope: after Started the child runs in the
// group's scope, not in the scope of the Start caller.
func TestStartChildMovesToGroupScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var childCtx context.Context
		var childErr error
		childDone := make(chan struct{})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			caller := anyio.NewCancelScope()
			err := caller.Run(ctx, func(ctx context.Context) error {
				v, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
					defer close(childDone)
					childCtx = ctx
					st.Started(1)
					childErr = anyio.SleepForever(ctx)
					return childErr
				})
				if err != nil || v != 1 {
					return fmt.Errorf("Start: got (%v, %v), want (1, nil)", v, err)
				}
				caller.Cancel()
				if ctx.Err() == nil {
					return errors.New("the caller's scope is not cancelled after Cancel")
				}
				return anyio.SleepForever(ctx)
			})
			if err != nil || !caller.CancelledCaught() {
				return fmt.Errorf("caller scope Run: got (%v, caught %v), want (nil, true)", err, caller.CancelledCaught())
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if childCtx.Err() != nil {
				return errors.New("cancelling the Start caller's scope after Started cancelled the child")
			}
			if anyio.GetCurrentTask(childCtx).HasPendingCancellation() {
				return errors.New("the started child has a pending cancellation after its caller's scope was cancelled")
			}
			tg.CancelScope().Cancel()
			<-childDone
			if !errors.Is(childErr, anyio.ErrCancelled) {
				return fmt.Errorf("child after the group was cancelled: got %v, want a cancellation", childErr)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: %v", err)
		}
		return nil
	})
}

// TestStartErrorBeforeStarted: the error goes to the Start caller, not to the
// group (AnyIO's test_start_crash_before_started_call).
func TestStartErrorBeforeStarted(t *testing.T) {
	foo := errors.New("foo")
	anyiotest.Run(t, func(ctx context.Context) error {
		var siblingCtx context.Context
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				siblingCtx = ctx
				return anyio.SleepForever(ctx)
			})
			v, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				return fmt.Errorf("wrapped: %w", foo)
			})
			if !errors.Is(err, foo) || v != 0 {
				t.Errorf("Start: got (%v, %v), want (0, foo)", v, err)
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if tg.CancelScope().CancelCalled() || siblingCtx.Err() != nil {
				t.Error("a Start child failing before Started cancelled the group")
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil (the error belonged to the Start caller)", err)
		}
		return nil
	})
}

// TestStartErrorAfterStarted: after Started, the child's error is the group's
// (AnyIO's test_start_crash_after_started_call).
func TestStartErrorAfterStarted(t *testing.T) {
	foo := errors.New("foo")
	var v int
	var startErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		v, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
			st.Started(2)
			return foo
		})
		return nil
	})
	if startErr != nil || v != 2 {
		t.Fatalf("Start: got (%v, %v), want (2, nil)", v, startErr)
	}
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
}

func TestStartStartedTwice(t *testing.T) {
	var second any
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		v, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
			st.Started(1)
			second = tgMustPanic(t, "second Started", func() { st.Started(2) })
			return nil
		})
		if err != nil || v != 1 {
			return fmt.Errorf("Start: got (%v, %v), want (1, nil)", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: %v", err)
	}
	msg := fmt.Sprint(second)
	if !strings.HasPrefix(msg, "anyio:") || !strings.Contains(msg, "Started") {
		t.Fatalf("second Started: panic %q, want an \"anyio:\" message about Started", msg)
	}
}

// TestStartNeverStarted: a child that returns nil without Started gives
// ErrNeverStarted to the caller (AnyIO's test_start_no_started_call).
func TestStartNeverStarted(t *testing.T) {
	var startErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[string]) error {
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !errors.Is(startErr, anyio.ErrNeverStarted) {
		t.Fatalf("Start: got %v, want ErrNeverStarted", startErr)
	}
}

func TestStartGoexitBeforeStarted(t *testing.T) {
	var startErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
			runtime.Goexit()
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	var ge *anyio.GoexitError
	if !errors.As(startErr, &ge) {
		t.Fatalf("Start: got %v, want a *GoexitError", startErr)
	}
}

// TestStartCancelCallerWhileWaiting: cancelling the Start caller before
// Started cancels the child, and not the group it was started into.
func TestStartCancelCallerWhileWaiting(t *testing.T) {
	t.Run("caller's scope", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			var childErr, startErr error
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				caller := anyio.NewCancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					caller.Cancel()
					return nil
				})
				err := caller.Run(ctx, func(ctx context.Context) error {
					_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
						childErr = anyio.SleepForever(ctx)
						return childErr
					})
					return startErr
				})
				if err != nil || !caller.CancelledCaught() {
					return fmt.Errorf("caller scope Run: got (%v, caught %v), want (nil, true)", err, caller.CancelledCaught())
				}
				return nil
			})
			if err != nil {
				t.Fatalf("WithTaskGroup: got %v, want nil", err)
			}
			if !errors.Is(childErr, anyio.ErrCancelled) || !errors.Is(startErr, anyio.ErrCancelled) {
				t.Fatalf("child and Start: got (%v, %v), want cancellations", childErr, startErr)
			}
			if tgScope.CancelCalled() {
				t.Fatal("the group was cancelled; want only the Start caller's scope")
			}
			return nil
		})
	})
	t.Run("caller's own group", func(t *testing.T) {
		// AnyIO's test_start_native_host_cancelled: the task waiting in Start
		// belongs to another group, which is cancelled.
		var started, finished atomic.Bool
		var startErr atomic.Value
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, target *anyio.TaskGroup) error {
			var targetCtx context.Context = ctx
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, callers *anyio.TaskGroup) error {
				callers.StartSoon(func(ctx context.Context) error {
					_, err := anyio.Start(ctx, target, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
						started.Store(true)
						if err := anyio.Sleep(ctx, time.Hour); err != nil {
							return err
						}
						finished.Store(true)
						return nil
					})
					startErr.Store(fmt.Sprint(err))
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				callers.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				return fmt.Errorf("callers' WithTaskGroup: got %v, want nil", err)
			}
			if targetCtx.Err() != nil {
				return errors.New("the target group was cancelled with the caller's group")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: %v", err)
		}
		if !started.Load() || finished.Load() {
			t.Fatalf("child: started %v finished %v, want started and not finished", started.Load(), finished.Load())
		}
		if s, _ := startErr.Load().(string); !strings.Contains(s, "cancelled") {
			t.Fatalf("Start: got %q, want a cancellation", s)
		}
	})
	t.Run("target group", func(t *testing.T) {
		// The Start caller is the body: cancelling the group cancels both.
		var startErr, childErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				childErr = anyio.SleepForever(ctx)
				return childErr
			})
			return startErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !errors.Is(childErr, anyio.ErrCancelled) || !errors.Is(startErr, anyio.ErrCancelled) {
			t.Fatalf("child and Start: got (%v, %v), want cancellations", childErr, startErr)
		}
	})
}

// AnyIO's test_start_native_host_cancelled with a native cancellation: the
// Go counterpart of cancelling the asyncio task that waits in start() is
// cancelling the plain context it passed to Start. The child, not started
// yet, is cancelled with it; Start returns that cancellation; the target
// group goes on unharmed.
func TestStartNativeHostCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var started, finished atomic.Bool
		var startErr, childErr error
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			callerCtx, cancelCaller := context.WithCancel(ctx)
			defer cancelCaller()
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				cancelCaller()
				return nil
			}, anyio.TaskName("native canceller"))
			_, startErr = anyio.Start(callerCtx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				started.Store(true)
				childErr = anyio.Sleep(ctx, time.Hour)
				if childErr != nil {
					return childErr
				}
				finished.Store(true)
				st.Started(1)
				return nil
			})
			if ctx.Err() != nil {
				t.Errorf("the group's body context is cancelled after the Start caller's native cancellation")
			}
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if !started.Load() || finished.Load() {
			t.Errorf("child: started %v finished %v, want started and not finished", started.Load(), finished.Load())
		}
		if !errors.Is(childErr, context.Canceled) || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("the child's Sleep: got %v, want the caller's native cancellation", childErr)
		}
		if !errors.Is(startErr, context.Canceled) || !errors.Is(startErr, anyio.ErrCancelled) {
			t.Errorf("Start: got %v, want a cancellation matching context.Canceled", startErr)
		}
		if tgScope.CancelCalled() {
			t.Errorf("the target group's scope was cancelled; want only the Start caller's context")
		}
		return nil
	})
}

// TestStartParentID: before Started the child's parent is the Start caller,
// after Started it is the group's host (AnyIO's test_start_parent_id).
func TestStartParentID(t *testing.T) {
	var hostID, callerID, initialParent, permanentParent atomic.Uint64
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		hostID.Store(anyio.GetCurrentTask(ctx).ID)
		tg.StartSoon(func(ctx context.Context) error {
			callerID.Store(anyio.GetCurrentTask(ctx).ID)
			_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				initialParent.Store(anyio.GetCurrentTask(ctx).ParentID)
				st.Started(struct{}{})
				permanentParent.Store(anyio.GetCurrentTask(ctx).ParentID)
				return nil
			})
			return err
		})
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: %v", err)
	}
	if initialParent.Load() != callerID.Load() || callerID.Load() == hostID.Load() {
		t.Errorf("ParentID before Started: got %d, want the caller's ID %d (host %d)", initialParent.Load(), callerID.Load(), hostID.Load())
	}
	if permanentParent.Load() != hostID.Load() {
		t.Errorf("ParentID after Started: got %d, want the host's ID %d", permanentParent.Load(), hostID.Load())
	}
}

func tgPanickingStartChild(ctx context.Context, st *anyio.TaskStatus[int]) error {
	panic("start boom")
}

// TestStartPanicBeforeStarted: the panic reaches the Start caller.
func TestStartPanicBeforeStarted(t *testing.T) {
	t.Run("recovered by the caller", func(t *testing.T) {
		var r any
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			r = tgMustPanic(t, "Start", func() { anyio.Start(ctx, tg, tgPanickingStartChild) })
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		pe, ok := r.(*anyio.PanicError)
		if !ok || pe.Value != "start boom" {
			t.Fatalf("Start panicked with %#v, want *PanicError{Value: start boom}", r)
		}
		if !strings.Contains(string(pe.Stack), "tgPanickingStartChild") {
			t.Errorf("PanicError.Stack does not name tgPanickingStartChild:\n%s", pe.Stack)
		}
		if tgScope.CancelCalled() {
			t.Error("a panic before Started cancelled the group; it belongs to the caller")
		}
	})
	t.Run("not recovered", func(t *testing.T) {
		r := tgMustPanic(t, "WithTaskGroup", func() {
			anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever)
				anyio.Start(ctx, tg, tgPanickingStartChild)
				return nil
			})
		})
		if pe, ok := r.(*anyio.PanicError); !ok || pe.Value != "start boom" {
			t.Fatalf("WithTaskGroup panicked with %#v, want *PanicError{Value: start boom}", r)
		}
	})
}

func TestStartPanicAfterStarted(t *testing.T) {
	var v int
	r := tgMustPanic(t, "WithTaskGroup", func() {
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			v, _ = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				st.Started(3)
				panic("after started")
			})
			return anyio.SleepForever(ctx)
		})
	})
	if pe, ok := r.(*anyio.PanicError); !ok || pe.Value != "after started" {
		t.Fatalf("WithTaskGroup panicked with %#v, want *PanicError{Value: after started}", r)
	}
	if v != 3 {
		t.Fatalf("Start: got %d, want 3", v)
	}
}

// TestStartContextValues: a Start child sees the values of the ctx given to
// Start; a StartSoon child those of the ctx given to WithTaskGroup.
func TestStartContextValues(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, tgCtxKey("tg"), "group value")
		type seen struct{ tg, start any }
		var startChild, soonChild seen
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			sctx := context.WithValue(ctx, tgCtxKey("start"), "start value")
			_, err := anyio.Start(sctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				st.Started(0)
				startChild = seen{ctx.Value(tgCtxKey("tg")), ctx.Value(tgCtxKey("start"))}
				return nil
			})
			if err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error {
				soonChild = seen{ctx.Value(tgCtxKey("tg")), ctx.Value(tgCtxKey("start"))}
				return nil
			})
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: %v", err)
		}
		if startChild != (seen{"group value", "start value"}) {
			t.Errorf("Start child values: got %+v, want {tg:group value start:start value}", startChild)
		}
		if soonChild != (seen{"group value", nil}) {
			t.Errorf("StartSoon child values: got %+v, want {tg:group value start:<nil>}", soonChild)
		}
		return nil
	})
}

// TestStartIntoCancelledGroup: the child still runs, is cancelled at its
// first blocking call, and the body's cancellation is swallowed by the group
// (AnyIO's test_start_cancelled and test_no_called_started_twice).
func TestStartIntoCancelledGroup(t *testing.T) {
	t.Run("never started", func(t *testing.T) {
		var started, finished bool
		var startErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				started = true
				if err := anyio.Sleep(ctx, time.Hour); err != nil {
					return err
				}
				finished = true
				return nil
			})
			return startErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !started || finished {
			t.Fatalf("child: started %v finished %v, want started and not finished", started, finished)
		}
		if !errors.Is(startErr, anyio.ErrCancelled) {
			t.Fatalf("Start: got %v, want a cancellation", startErr)
		}
	})
	t.Run("started at once", func(t *testing.T) {
		var v int
		var startErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			v, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				st.Started(7)
				return nil
			})
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if startErr != nil || v != 7 {
			t.Fatalf("Start: got (%v, %v), want (7, nil)", v, startErr)
		}
	})
}

// TestStartInCancelledCallerScope: a Start call whose own scope is cancelled
// does not cancel the group (AnyIO's test_start_cancels_parent_scope).
func TestStartInCancelledCallerScope(t *testing.T) {
	var started bool
	var tgScope *anyio.CancelScope
	var startErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tgScope = tg.CancelScope()
		inner := anyio.NewCancelScope()
		return inner.Run(ctx, func(ctx context.Context) error {
			inner.Cancel()
			_, startErr = anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				started = true
				return anyio.SleepForever(ctx)
			})
			return startErr
		})
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !started {
		t.Fatal("the child did not run")
	}
	if !errors.Is(startErr, anyio.ErrCancelled) {
		t.Fatalf("Start: got %v, want a cancellation", startErr)
	}
	if tgScope.CancelCalled() {
		t.Fatal("group scope CancelCalled() = true, want false")
	}
}

// TestStartCancelAfterError: a Start call waiting in a group that fails is
// cancelled, and its child with it (AnyIO's test_start_cancel_after_error).
func TestStartCancelAfterError(t *testing.T) {
	boom := errors.New("this should cancel the Start call")
	var sleepCompleted atomic.Bool
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, outer *anyio.TaskGroup) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, inner *anyio.TaskGroup) error {
			inner.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return boom
			})
			_, err := anyio.Start(ctx, outer, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				if err := anyio.Sleep(ctx, time.Hour); err != nil {
					return err
				}
				sleepCompleted.Store(true)
				st.Started(struct{}{})
				return nil
			})
			return err
		})
	})
	eg := tgAsGroup(t, "outer WithTaskGroup", err)
	if len(eg.Errors) != 1 {
		t.Fatalf("outer errors: got %v, want one inner group", eg.Errors)
	}
	inner, ok := eg.Errors[0].(*anyio.ExceptionGroup)
	if !ok || len(inner.Errors) != 1 || inner.Errors[0] != boom {
		t.Fatalf("outer errors[0]: got %v, want a group of [%v]", eg.Errors[0], boom)
	}
	if sleepCompleted.Load() {
		t.Fatal("the Start child's sleep completed; want it cancelled")
	}
}

// TestStartShieldedChild: a shielded scope in a Start child protects it from
// the cancellation of its caller (AnyIO's test_cancel_shielding_start).
func TestStartShieldedChild(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		resume := tgNewGate()
		var shieldedErr, afterErr error
		outer := anyio.NewCancelScope()
		err := outer.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
						shieldedErr = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, resume.wait)
						afterErr = anyio.Sleep(ctx, 0)
						return afterErr
					})
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				outer.Cancel()
				resume.open()
				return nil
			})
		})
		if err != nil {
			t.Errorf("outer scope Run: got %v, want nil", err)
		}
		if shieldedErr != nil {
			t.Errorf("shielded wait in the Start child: got %v, want nil", shieldedErr)
		}
		if !errors.Is(afterErr, anyio.ErrCancelled) {
			t.Errorf("checkpoint after the shielded scope: got %v, want a cancellation", afterErr)
		}
		return nil
	})
}

// TestStartFromChild: a Start call made by a child of the group (AnyIO's
// tg.start_soon(tg.start, ...)).
func TestStartFromChild(t *testing.T) {
	var got atomic.Int64
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			v, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int64]) error {
				st.Started(99)
				return anyio.SleepForever(ctx)
			})
			got.Store(v)
			return err
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelScope().Cancel()
		return nil
	})
	if err != nil || got.Load() != 99 {
		t.Fatalf("WithTaskGroup: got (%v, value %d), want (nil, 99)", err, got.Load())
	}
}
