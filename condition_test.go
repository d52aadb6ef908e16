package anyio_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestConditionNotifyAll(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		c := anyio.NewCondition(nil)
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			if !c.Locked() {
				t.Error("Locked() = false after Acquire")
			}
			tg.StartSoon(func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if err := c.NotifyAll(ctx); err != nil {
					return err
				}
				return c.Release(ctx)
			})
			if err := c.Wait(ctx); err != nil {
				return err
			}
			return c.Release(ctx)
		})
	})
}

func TestConditionTryAcquire(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var c anyio.Condition
		if err := c.TryAcquire(ctx); err != nil {
			t.Fatalf("TryAcquire = %v, want nil", err)
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := c.TryAcquire(ctx); !errors.Is(err, anyio.ErrWouldBlock) {
					t.Errorf("TryAcquire from another task = %v, want ErrWouldBlock", err)
				}
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		return c.Release(ctx)
	})
}

// A waiter cancelled in Wait returns the cancellation holding the lock again
// (AnyIO's test_wait_cancel).
func TestConditionWaitCancel(t *testing.T) {
	var c anyio.Condition
	notified := false
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := startParked(ctx, tg, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				err := c.Wait(ctx)
				if !isCancel(err) {
					t.Errorf("Wait = %v, want a cancellation error", err)
				}
				if owner := c.Statistics().LockStatistics.Owner; owner == nil || owner.ID != anyio.GetCurrentTask(ctx).ID {
					t.Errorf("owner after the cancelled Wait = %v, want the waiter", owner)
				}
				if rerr := c.Release(ctx); rerr != nil {
					t.Errorf("Release after the cancelled Wait = %v", rerr)
				}
				if err == nil {
					notified = true
				}
				return err
			})
			tg.CancelScope().Cancel()
			return err
		})
	})
	if notified || c.Locked() {
		t.Errorf("notified, locked = %v, %v, want false, false", notified, c.Locked())
	}
}

// Wait re-acquires the lock before it returns, also when cancelled: while
// another task holds the lock, the cancelled waiter waits for it.
func TestConditionWaitReacquiresWhenCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var c anyio.Condition
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, res, err := inScope(ctx, tg, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				err := c.Wait(ctx)
				if rerr := c.Release(ctx); rerr != nil {
					t.Errorf("Release after Wait = %v (Wait did not re-acquire)", rerr)
				}
				return err
			})
			if err != nil {
				return err
			}
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			select {
			case err := <-res:
				t.Fatalf("Wait returned (%v) while another task held the lock", err)
			default:
			}
			if st := c.Statistics(); st.TasksWaiting != 0 || st.LockStatistics.TasksWaiting != 1 {
				t.Errorf("Statistics = %+v, want the cancelled waiter waiting for the lock, not in Wait", st)
			}
			if err := c.Release(ctx); err != nil {
				return err
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Wait = %v, want a cancellation error", err)
			}
			return nil
		})
	})
}

// A notification that reaches a waiter being cancelled goes to the next
// waiter (AnyIO's test_notification_handover_on_cancel), whether the cancel
// comes just before the notification or just after it.
func TestConditionNotificationHandoverOnCancel(t *testing.T) {
	oneProc(t)
	for _, cancelFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "cancel-then-notify", false: "notify-then-cancel"}[cancelFirst], func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var c anyio.Condition
				waiter := func(ctx context.Context) error {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					err := c.Wait(ctx)
					if rerr := c.Release(ctx); rerr != nil {
						t.Errorf("Release after Wait = %v", rerr)
					}
					return err
				}
				return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					scope1, res1, err := inScope(ctx, tg, waiter)
					if err != nil {
						return err
					}
					_, res2, err := inScope(ctx, tg, waiter)
					if err != nil {
						return err
					}
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					if cancelFirst {
						scope1.Cancel()
					}
					if err := c.Notify(ctx, 1); err != nil {
						return err
					}
					if !cancelFirst {
						scope1.Cancel()
					}
					if err := c.Release(ctx); err != nil {
						return err
					}
					if err := recv(t, ctx, res1); !isCancel(err) {
						t.Errorf("Wait of the cancelled waiter = %v, want a cancellation error", err)
					}
					if err := recv(t, ctx, res2); err != nil {
						t.Errorf("Wait of the second waiter = %v, want nil (notified in place of the first)", err)
					}
					return nil
				})
			})
		})
	}
}

func TestConditionWithoutLock(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		c := anyio.NewCondition(nil)
		calls := map[string]func() error{
			"Wait":      func() error { return c.Wait(ctx) },
			"WaitFor":   func() error { return c.WaitFor(ctx, func() bool { return true }) },
			"Notify":    func() error { return c.Notify(ctx, 1) },
			"NotifyAll": func() error { return c.NotifyAll(ctx) },
		}
		check := func(when string) {
			for name, call := range calls {
				if err := call(); err == nil || !strings.Contains(err.Error(), "not holding the underlying lock") {
					t.Errorf("%s %s = %v, want a 'not holding the underlying lock' error", name, when, err)
				}
			}
		}
		check("without the lock")
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		if err := c.Notify(ctx, -1); err == nil || !strings.Contains(err.Error(), "-1") {
			t.Errorf("Notify(ctx, -1) = %v, want an error naming the bad n", err)
		}
		if err := c.Release(ctx); err != nil {
			return err
		}
		held := anyio.NewEvent()
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := startParked(ctx, tg, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if err := held.Wait(ctx); err != nil {
					return err
				}
				return c.Release(ctx)
			})
			if err != nil {
				return err
			}
			check("while another task holds the lock")
			held.Set()
			return nil
		})
	})
}

func TestConditionStatistics(t *testing.T) {
	var c anyio.Condition
	anyiotest.Run(t, func(ctx context.Context) error {
		waiter := func(ctx context.Context) error {
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			if err := c.Wait(ctx); err != nil {
				return err
			}
			return c.Release(ctx)
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if st := c.Statistics(); st.LockStatistics.Locked || st.TasksWaiting != 0 {
				t.Errorf("Statistics of a new condition = %+v", st)
			}
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			if st := c.Statistics(); !st.LockStatistics.Locked || st.TasksWaiting != 0 {
				t.Errorf("Statistics while holding the lock = %+v", st)
			}
			if err := c.Release(ctx); err != nil {
				return err
			}
			for i := 1; i <= 2; i++ {
				if err := startParked(ctx, tg, waiter); err != nil {
					return err
				}
				if n := c.Statistics().TasksWaiting; n != i {
					t.Errorf("TasksWaiting = %d, want %d", n, i)
				}
			}
			for i := 1; i >= 0; i-- {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if err := c.Notify(ctx, 1); err != nil {
					return err
				}
				if err := c.Release(ctx); err != nil {
					return err
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if n := c.Statistics().TasksWaiting; n != i {
					t.Errorf("TasksWaiting after a Notify(1) = %d, want %d", n, i)
				}
			}
			return nil
		})
		if st := c.Statistics(); st.LockStatistics.Locked || st.TasksWaiting != 0 {
			t.Errorf("Statistics at the end = %+v", st)
		}
		return err
	})
}

// WaitFor checks its predicate at once and after every wake-up (AnyIO's
// test_wait_for).
func TestConditionWaitFor(t *testing.T) {
	var c anyio.Condition
	value := ""
	result := ""
	anyiotest.Run(t, func(ctx context.Context) error {
		notifyAll := func(ctx context.Context) error {
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			if err := c.NotifyAll(ctx); err != nil {
				return err
			}
			return c.Release(ctx)
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := startParked(ctx, tg, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if err := c.WaitFor(ctx, func() bool { return value != "" }); err != nil {
					return err
				}
				result = value
				return c.Release(ctx)
			})
			if err != nil {
				return err
			}
			if err := notifyAll(ctx); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if n := c.Statistics().TasksWaiting; n != 1 {
				t.Errorf("TasksWaiting after a wake-up with a false predicate = %d, want 1", n)
			}
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			value = "foo"
			if err := c.Release(ctx); err != nil {
				return err
			}
			return notifyAll(ctx)
		})
	})
	if result != "foo" {
		t.Errorf("result = %q, want foo", result)
	}
}

// Notify(n) wakes exactly the first n waiters, in the order in which they
// began to wait.
func TestConditionNotifyN(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var c anyio.Condition
		var woken []int
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 6 {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					if err := c.Wait(ctx); err != nil {
						return err
					}
					woken = append(woken, i)
					return c.Release(ctx)
				})
				if err != nil {
					return err
				}
			}
			notify := func(n int) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if err := c.Notify(ctx, n); err != nil {
					return err
				}
				if err := c.Release(ctx); err != nil {
					return err
				}
				return anyio.WaitAllTasksBlocked(ctx)
			}
			for _, step := range []struct {
				n     int
				woken []int
			}{
				{0, nil},
				{2, []int{0, 1}},
				{1, []int{0, 1, 2}},
				{10, []int{0, 1, 2, 3, 4, 5}},
			} {
				if err := notify(step.n); err != nil {
					return err
				}
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if !slices.Equal(woken, step.woken) {
					t.Errorf("woken after Notify(%d) = %v, want %v", step.n, woken, step.woken)
				}
				if n, want := c.Statistics().TasksWaiting, 6-len(step.woken); n != want {
					t.Errorf("TasksWaiting after Notify(%d) = %d, want %d", step.n, n, want)
				}
				if err := c.Release(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// A Condition over an existing Lock shares it; the zero Condition has a lock
// of its own.
func TestConditionOverLock(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewLock()
		c := anyio.NewCondition(l)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		if !c.Locked() {
			t.Error("Condition.Locked() = false while its Lock is held")
		}
		if err := c.Notify(ctx, 1); err != nil {
			t.Errorf("Notify while holding the condition's Lock = %v", err)
		}
		if err := c.Release(ctx); err != nil {
			return err
		}
		if l.Locked() {
			t.Error("Condition.Release did not release its Lock")
		}
		var zero anyio.Condition
		if err := zero.Acquire(ctx); err != nil {
			return err
		}
		if l.Locked() || !zero.Locked() {
			t.Error("the zero Condition shares a lock with another")
		}
		return zero.Release(ctx)
	})
}

// In a cancelled scope Wait fails at once, keeping the lock.
func TestConditionWaitInCancelledScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var c anyio.Condition
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		s := anyio.NewCancelScope()
		s.Cancel()
		err := s.Run(ctx, func(ctx context.Context) error {
			if err := c.Wait(ctx); !isCancel(err) {
				t.Errorf("Wait in a cancelled scope = %v, want a cancellation error", err)
			}
			if err := c.WaitFor(ctx, func() bool { return false }); !isCancel(err) {
				t.Errorf("WaitFor in a cancelled scope = %v, want a cancellation error", err)
			}
			if err := c.WaitFor(ctx, func() bool { return true }); err != nil {
				t.Errorf("WaitFor with a true predicate in a cancelled scope = %v, want nil (it does not wait)", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return c.Release(ctx)
	})
}

// A Condition made outside any Run reports an unlocked, unwaited state and
// then works inside a Run. AnyIO's TestCondition::test_instantiate_outside_event_loop.
func TestConditionOutsideRun(t *testing.T) {
	c := anyio.NewCondition(nil)
	if st := c.Statistics(); st.TasksWaiting != 0 || st.LockStatistics.Locked || st.LockStatistics.Owner != nil || st.LockStatistics.TasksWaiting != 0 {
		t.Fatalf("Statistics of a new Condition outside a Run = %+v", st)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		if owner := c.Statistics().LockStatistics.Owner; !c.Locked() || owner == nil || owner.ID != anyio.GetCurrentTask(ctx).ID {
			t.Errorf("after Acquire in a Run: Locked %v, owner %v, want held by the current task", c.Locked(), owner)
		}
		return c.Release(ctx)
	})
	if c.Locked() {
		t.Error("Condition still locked after the Run")
	}
}
