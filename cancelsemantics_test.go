package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// The programs below were run on Python AnyIO 4.4 with Trio 0.24 in virtual
// time; each test checks every step's outcome, the virtual time at which it
// ended, each scope's CancelledCaught and the final result against what
// AnyIO gives (or, where anyio keeps its own rule, against that rule, which
// docs/api-mapping.md records).

// trace records how each step of a program ended and when, in virtual time.
type trace struct {
	start time.Time
	mu    sync.Mutex
	steps []string
}

func newTrace() *trace { return &trace{start: time.Now()} }

// step runs fn and records "name: outcome @t".
func (tr *trace) step(name string, fn func() error) error {
	err := fn()
	tr.record(name, err)
	return err
}

func (tr *trace) record(name string, err error) {
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(err, anyio.ErrTimeout):
		outcome = "timeout"
	case errors.Is(err, anyio.ErrCancelled):
		outcome = "cancelled"
	default:
		outcome = "error " + err.Error()
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.steps = append(tr.steps, fmt.Sprintf("%s: %s @%v", name, outcome, time.Since(tr.start)))
}

func (tr *trace) check(t *testing.T, want ...string) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	got := slices.Clone(tr.steps)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("steps:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
}

// sleepThen sleeps d, then returns err (nil, or a failure).
func sleepThen(d time.Duration, err error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if serr := anyio.Sleep(ctx, d); serr != nil {
			return serr
		}
		return err
	}
}

// shieldedSleep sleeps d in a shielded scope.
func shieldedSleep(ctx context.Context, d time.Duration) error {
	return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
		return anyio.Sleep(ctx, d)
	})
}

// groupOnly returns the members of err's exception group, or fails.
func groupOnly(t *testing.T, what string, err error) []error {
	t.Helper()
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) || error(eg) != err {
		t.Fatalf("%s: got %v (%T), want an *anyio.ExceptionGroup", what, err, err)
	}
	return eg.Errors
}

// A: a task group that failed caught the cancellation it gave the sibling.
//
//	async with create_task_group() as tg:
//	    tg.start_soon(sleep, 2)              # cancelled at t=1
//	    tg.start_soon(sleep_1_then_raise_E2)
//	# E2; tg.cancel_scope.cancelled_caught is True
func TestSemanticsFailedGroupCaughtItsCancellation(t *testing.T) {
	e2 := errors.New("E2")
	var tr *trace
	var tgScope *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				return tr.step("sleep 2", func() error { return anyio.Sleep(ctx, 2*time.Second) })
			})
			tg.StartSoon(func(ctx context.Context) error {
				return tr.step("raise E2", func() error { return sleepThen(time.Second, e2)(ctx) })
			})
			return nil
		})
		tr.record("group", err)
		if errs := groupOnly(t, "WithTaskGroup", err); len(errs) != 1 || errs[0] != e2 {
			t.Errorf("WithTaskGroup errors: got %v, want [E2]", errs)
		}
		return nil
	})
	tr.check(t, "sleep 2: cancelled @1s", "raise E2: error E2 @1s", "group: error anyio: unhandled error in a task group: E2 @1s")
	if !tgScope.CancelledCaught() {
		t.Error("task group scope CancelledCaught() = false, want true (as AnyIO)")
	}
}

// B: a failing group keeps the cancellation that came from an outer scope,
// and the outer scope removes it.
//
//	with fail_after(1) as outer:
//	    async with create_task_group() as tg:
//	        tg.start_soon(shielded_sleep_4_then_raise_E1)
//	        tg.start_soon(sleep, 2)          # cancelled by outer's deadline at t=1
//	# E1 (not a timeout); outer.cancelled_caught is True
func TestSemanticsGroupKeepsOuterCancellation(t *testing.T) {
	e1 := errors.New("E1")
	var tr *trace
	var tgScope *anyio.CancelScope
	var outer *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		outer = anyio.FailAfter(time.Second)
		var tgErr error
		err := outer.Run(ctx, func(ctx context.Context) error {
			tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					return tr.step("shielded 4 then E1", func() error {
						if err := shieldedSleep(ctx, 4*time.Second); err != nil {
							return err
						}
						return e1
					})
				})
				tg.StartSoon(func(ctx context.Context) error {
					return tr.step("sleep 2", func() error { return anyio.Sleep(ctx, 2*time.Second) })
				})
				return nil
			})
			return tgErr
		})
		tr.record("outer", err)
		errs := groupOnly(t, "WithTaskGroup", tgErr)
		if len(errs) != 2 || !errors.Is(errs[0], anyio.ErrCancelled) || errs[1] != e1 {
			t.Errorf("WithTaskGroup errors: got %v, want [the cancellation of sleep 2, E1]", errs)
		}
		if errs := groupOnly(t, "outer Run", err); len(errs) != 1 || errs[0] != e1 {
			t.Errorf("outer Run errors: got %v, want [E1]", errs)
		}
		return nil
	})
	tr.check(t, "sleep 2: cancelled @1s", "shielded 4 then E1: error E1 @4s", "outer: error anyio: unhandled error in a task group: E1 @4s")
	if tgScope.CancelledCaught() {
		t.Error("task group scope CancelledCaught() = true, want false: the cancellation came from outside")
	}
	if !outer.CancelledCaught() {
		t.Error("outer CancelledCaught() = false, want true (as AnyIO on Trio)")
	}
}

// B, nested: cancellations are removed through nested groups, and the groups
// they leave empty are dropped.
func TestSemanticsNestedGroupsKeepOuterCancellations(t *testing.T) {
	e1 := errors.New("E1")
	var outer *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		outer = anyio.MoveOnAfter(time.Second)
		err := outer.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					// A group of cancellations only: one cancellation error.
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tg.StartSoon(anyio.SleepForever)
						return anyio.SleepForever(ctx)
					})
				})
				tg.StartSoon(func(ctx context.Context) error {
					// A group of an error and a cancellation.
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tg.StartSoon(anyio.SleepForever)
						if err := shieldedSleep(ctx, 2*time.Second); err != nil {
							return err
						}
						return e1
					})
				})
				return nil
			})
		})
		errs := groupOnly(t, "outer Run", err)
		if len(errs) != 1 {
			t.Fatalf("outer Run errors: got %v, want one nested group", errs)
		}
		inner := groupOnly(t, "the nested group", errs[0])
		if len(inner) != 1 || inner[0] != e1 {
			t.Errorf("nested group: got %v, want [E1]", inner)
		}
		return nil
	})
	if !outer.CancelledCaught() {
		t.Error("outer CancelledCaught() = false, want true")
	}
}

// A group cancelled only from outside gives one cancellation error, not a
// group of them (AnyIO's task group raises a single Cancelled).
func TestSemanticsGroupCancelledFromOutsideGivesOneCancellation(t *testing.T) {
	var outer *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		outer = anyio.MoveOnAfter(time.Second)
		var tgErr error
		err := outer.Run(ctx, func(ctx context.Context) error {
			tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever)
				tg.StartSoon(anyio.SleepForever)
				return anyio.SleepForever(ctx)
			})
			return tgErr
		})
		var eg *anyio.ExceptionGroup
		if !errors.Is(tgErr, anyio.ErrCancelled) || errors.As(tgErr, &eg) {
			t.Errorf("WithTaskGroup: got %v, want one cancellation error", tgErr)
		}
		if err != nil || !outer.CancelledCaught() {
			t.Errorf("outer Run: got %v, caught %v; want nil, true", err, outer.CancelledCaught())
		}
		return nil
	})
}

// C: FailAfter cancelled by hand, then caught after its deadline, is no
// timeout in anyio (AnyIO raises TimeoutError: it compares the clock with
// the deadline at exit).
//
//	with fail_after(4) as s:
//	    await sleep(1); s.cancel()
//	    with CancelScope(shield=True): await sleep(8)
//	    await checkpoint()                   # caught here, at t=9
func TestSemanticsFailAfterCancelledByHandIsNoTimeout(t *testing.T) {
	var tr *trace
	var s *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		s = anyio.FailAfter(4 * time.Second)
		err := s.Run(ctx, func(ctx context.Context) error {
			tr.step("sleep 1", func() error { return anyio.Sleep(ctx, time.Second) })
			s.Cancel()
			tr.step("shielded 8", func() error { return shieldedSleep(ctx, 8*time.Second) })
			return tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
		})
		tr.record("fail_after", err)
		return nil
	})
	tr.check(t, "sleep 1: ok @1s", "shielded 8: ok @9s", "checkpoint: cancelled @9s", "fail_after: ok @9s")
	if !s.CancelledCaught() || !s.CancelCalled() {
		t.Errorf("CancelledCaught() = %v, CancelCalled() = %v; want true, true", s.CancelledCaught(), s.CancelCalled())
	}
}

// D1: FailAfter whose deadline fired while shielded, then moved later: anyio
// reports the timeout (the deadline did cut the body short); AnyIO does not
// (the deadline in force at exit was not reached).
//
//	with fail_after(1) as s:
//	    with CancelScope(shield=True): await sleep(2)
//	    s.deadline = now + 4
//	    await checkpoint()
func TestSemanticsFailAfterDeadlineMovedLaterAfterFiring(t *testing.T) {
	var tr *trace
	var s *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		s = anyio.FailAfter(time.Second)
		err := s.Run(ctx, func(ctx context.Context) error {
			tr.step("shielded 2", func() error { return shieldedSleep(ctx, 2*time.Second) })
			s.SetDeadline(time.Now().Add(4 * time.Second))
			return tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
		})
		tr.record("fail_after", err)
		return nil
	})
	tr.check(t, "shielded 2: ok @2s", "checkpoint: cancelled @2s", "fail_after: timeout @2s")
	if !s.CancelledCaught() || !s.CancelCalled() {
		t.Errorf("CancelledCaught() = %v, CancelCalled() = %v; want true, true", s.CancelledCaught(), s.CancelCalled())
	}
}

// D2: a scope's deadline passes while the scope is cancelled from outside;
// the scope still records it, and catches the cancellation once its shield
// hides the outer one.
//
//	with move_on_after(1) as outer:
//	    with CancelScope(deadline=now + 2) as inner:
//	        with CancelScope(shield=True): await sleep(4)
//	        inner.shield = True
//	        await checkpoint()
//	# inner.cancelled_caught is True, outer's is False
func TestSemanticsDeadlineReachedWhileCancelledFromOutside(t *testing.T) {
	var tr *trace
	var outer, inner *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		outer = anyio.MoveOnAfter(time.Second)
		inner = anyio.NewCancelScope(anyio.Deadline(time.Now().Add(2 * time.Second)))
		err := outer.Run(ctx, func(ctx context.Context) error {
			err := inner.Run(ctx, func(ctx context.Context) error {
				tr.step("shielded 4", func() error { return shieldedSleep(ctx, 4*time.Second) })
				inner.SetShield(true)
				return tr.step("checkpoint", func() error { return lowlevel.Checkpoint(ctx) })
			})
			tr.record("inner", err)
			return err
		})
		tr.record("outer", err)
		return nil
	})
	tr.check(t, "shielded 4: ok @4s", "checkpoint: cancelled @4s", "inner: ok @4s", "outer: ok @4s")
	if !inner.CancelCalled() || !inner.CancelledCaught() {
		t.Errorf("inner CancelCalled() = %v, CancelledCaught() = %v; want true, true", inner.CancelCalled(), inner.CancelledCaught())
	}
	if outer.CancelledCaught() {
		t.Error("outer CancelledCaught() = true, want false: inner caught the cancellation")
	}
}

// D3: Started while the caller of Start is cancelled: the child is not moved
// into the group; Start waits for it and reports the cancellation, and the
// group's other task is untouched.
//
//	async with create_task_group() as tg:
//	    tg.start_soon(sleep, 8)              # t2
//	    with move_on_after(1):
//	        await tg.start(child)            # shielded sleep 2, started(5), sleep 4
func TestSemanticsStartedWhileCallerCancelled(t *testing.T) {
	var tr *trace
	var callerScope *anyio.CancelScope
	var v int
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = newTrace()
		callerScope = anyio.MoveOnAfter(time.Second)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return tr.step("t2 sleep 8", func() error { return anyio.Sleep(ctx, 8*time.Second) })
			})
			err := callerScope.Run(ctx, func(ctx context.Context) error {
				return tr.step("start", func() error {
					var err error
					v, err = anyio.Start(ctx, tg, func(ctx context.Context, status *anyio.TaskStatus[int]) error {
						tr.step("child shielded 2", func() error { return shieldedSleep(ctx, 2*time.Second) })
						status.Started(5)
						return tr.step("child sleep 4", func() error { return anyio.Sleep(ctx, 4*time.Second) })
					})
					return err
				})
			})
			tr.record("caller scope", err)
			return nil
		})
		tr.record("group", err)
		return nil
	})
	tr.check(t,
		"child shielded 2: ok @2s",
		"child sleep 4: cancelled @2s",
		"start: cancelled @2s",
		"caller scope: ok @2s",
		"t2 sleep 8: ok @8s",
		"group: ok @8s",
	)
	if !callerScope.CancelledCaught() {
		t.Error("caller scope CancelledCaught() = false, want true")
	}
	if v != 0 {
		t.Errorf("Start returned %d, want the zero value with its cancellation", v)
	}
}

// D3, the child finishes normally: Start returns the value it gave Started.
func TestSemanticsStartedWhileCallerCancelledChildReturnsNil(t *testing.T) {
	var callerScope *anyio.CancelScope
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		callerScope = anyio.MoveOnAfter(time.Second)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			var v int
			var err error
			callerScope.Run(ctx, func(ctx context.Context) error {
				v, err = anyio.Start(ctx, tg, func(ctx context.Context, status *anyio.TaskStatus[int]) error {
					if err := shieldedSleep(ctx, 2*time.Second); err != nil {
						return err
					}
					status.Started(7)
					return nil
				})
				return err
			})
			if v != 7 || err != nil {
				t.Errorf("Start: got (%d, %v), want (7, nil)", v, err)
			}
			if n := len(anyio.GetRunningTasks(ctx)); n != 1 {
				t.Errorf("GetRunningTasks after Start: %d tasks, want 1 (the child never joined the group)", n)
			}
			return nil
		})
	})
}
