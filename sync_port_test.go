package anyio_test

// Ports of the AnyIO tests/test_synchronization.py tests that had no Go
// counterpart yet. The helpers (runSync, withGroup, startParked, inScope,
// oneProc, recv, isCancel) live in lock_test.go.

import (
	"context"
	"errors"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// A task holding a primitive is cancelled while it waits inside its critical
// section; releasing on the way out hands the primitive to the task queued
// behind it, which must get it instead of deadlocking. Ports
// TestLock::test_asyncio_deadlock, TestSemaphore::test_asyncio_deadlock and
// TestCapacityLimiter::test_asyncio_deadlock (AnyIO #398), with an anyio
// cancel scope in place of a native asyncio cancellation.
func TestPortSyncHolderCancelledHandsOver(t *testing.T) {
	type prim struct {
		acquire, release func(ctx context.Context) error
		free             func() bool
	}
	for _, tc := range []struct {
		name string
		make func() prim
	}{
		{"Lock", func() prim {
			l := anyio.NewLock()
			return prim{l.Acquire, l.Release, func() bool { return !l.Locked() }}
		}},
		{"Semaphore", func() prim {
			s := anyio.NewSemaphore(1)
			return prim{s.Acquire, func(context.Context) error { return s.Release() }, func() bool { return s.Value() == 1 }}
		}},
		{"CapacityLimiter", func() prim {
			l := anyio.NewCapacityLimiter(1)
			return prim{l.Acquire, l.Release, func() bool { return l.BorrowedTokens() == 0 }}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.make()
			anyiotest.Run(t, func(ctx context.Context) error {
				err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					holder, res1, err := inScope(ctx, tg, func(ctx context.Context) error {
						if err := p.acquire(ctx); err != nil {
							return err
						}
						err := anyio.SleepForever(ctx)
						if rerr := p.release(ctx); rerr != nil {
							t.Errorf("release by the cancelled holder = %v", rerr)
						}
						return err
					})
					if err != nil {
						return err
					}
					got := make(chan error, 1)
					err = startParked(ctx, tg, func(ctx context.Context) error {
						err := p.acquire(ctx)
						got <- err
						if err != nil {
							return err
						}
						return p.release(ctx)
					})
					if err != nil {
						return err
					}
					select {
					case err := <-got:
						t.Errorf("the second task acquired (%v) while the first held the primitive", err)
					default:
					}
					holder.Cancel()
					if err := recv(t, ctx, res1); !isCancel(err) {
						t.Errorf("the holder's wait = %v, want a cancellation error", err)
					}
					if err := recv(t, ctx, got); err != nil {
						t.Errorf("acquire of the task queued behind the cancelled holder = %v, want nil", err)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if !p.free() {
					t.Error("the primitive is still held at the end")
				}
				return nil
			})
		})
	}
}

// The lock handed to the only waiter at the moment its scope is cancelled is
// released again by the failed Acquire: the lock ends free, with no owner and
// nobody waiting, and can be taken at once. Ports
// TestLock::test_cancel_after_release (TestLockHandOffToCancelledWaiter covers
// the case with a second waiter).
func TestPortSyncLockCancelAfterRelease(t *testing.T) {
	oneProc(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		if err := l.TryAcquire(ctx); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope := anyio.NewCancelScope()
			res := make(chan error, 1)
			err := startParked(ctx, tg, func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					res <- l.Acquire(ctx)
					return nil
				})
			}, anyio.TaskName("task1"))
			if err != nil {
				return err
			}
			if err := l.Release(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if owner := l.Statistics().Owner; owner == nil || owner.Name != "task1" {
				t.Errorf("owner right after Release = %v, want task1 (the lock was handed over)", owner)
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Acquire cancelled as it was handed the lock = %v, want a cancellation error", err)
			}
			if st := l.Statistics(); st.Locked || st.Owner != nil || st.TasksWaiting != 0 {
				t.Errorf("Statistics after the cancelled Acquire = %+v, want a free lock, nobody waiting", st)
			}
			if err := l.TryAcquire(ctx); err != nil {
				t.Errorf("TryAcquire after the cancelled Acquire = %v, want nil", err)
				return nil
			}
			return l.Release(ctx)
		})
	})
}

// A Condition made outside any Run reports an unlocked, unwaited state and
// then works inside a Run. Ports TestCondition::test_instantiate_outside_event_loop.
func TestPortSyncConditionOutsideRun(t *testing.T) {
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

// A CapacityLimiter made, and resized, outside any Run keeps the new total
// and works inside a Run. Ports
// TestCapacityLimiter::test_instantiate_outside_event_loop (its TypeError
// checks have no Go counterpart: the total is an int).
func TestPortSyncLimiterOutsideRun(t *testing.T) {
	l := anyio.NewCapacityLimiter(1)
	if err := l.SetTotalTokens(2); err != nil {
		t.Fatalf("SetTotalTokens(2) outside a Run = %v", err)
	}
	if tot, b := l.TotalTokens(), l.BorrowedTokens(); tot != 2 || b != 0 {
		t.Errorf("TotalTokens, BorrowedTokens = %d, %d, want 2, 0", tot, b)
	}
	if st := l.Statistics(); st.TotalTokens != 2 || st.BorrowedTokens != 0 || len(st.Borrowers) != 0 || st.TasksWaiting != 0 {
		t.Errorf("Statistics outside a Run = %+v, want 2 tokens, none borrowed, nobody waiting", st)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		if b, a := l.BorrowedTokens(), l.AvailableTokens(); b != 1 || a != 1 {
			t.Errorf("in a Run after Acquire: borrowed, available = %d, %d, want 1, 1", b, a)
		}
		return l.Release(ctx)
	})
	if b := l.BorrowedTokens(); b != 0 {
		t.Errorf("BorrowedTokens after the Run = %d, want 0", b)
	}
}

// Lowering the total of a limiter to zero outside a Run is allowed, and so is
// making one with zero tokens. Ports
// TestCapacityLimiter::test_zero_tokens_outside_event_loop.
func TestPortSyncLimiterZeroTokensOutsideRun(t *testing.T) {
	l := anyio.NewCapacityLimiter(1)
	if err := l.SetTotalTokens(0); err != nil {
		t.Fatalf("SetTotalTokens(0) = %v, want nil", err)
	}
	if n := l.TotalTokens(); n != 0 {
		t.Errorf("TotalTokens() after SetTotalTokens(0) = %d, want 0", n)
	}
	if err := l.TryAcquireOnBehalfOf("x"); !errors.Is(err, anyio.ErrWouldBlock) {
		t.Errorf("TryAcquireOnBehalfOf with zero tokens = %v, want ErrWouldBlock", err)
	}
	if n := anyio.NewCapacityLimiter(0).TotalTokens(); n != 0 {
		t.Errorf("NewCapacityLimiter(0).TotalTokens() = %d, want 0", n)
	}
}

// An unlimited total is accepted by the constructor and by SetTotalTokens
// outside a Run. Ports TestCapacityLimiter::test_float_infinity_outside_event_loop
// (anyio.Unlimited is Go's math.inf).
func TestPortSyncLimiterUnlimitedOutsideRun(t *testing.T) {
	if n := anyio.NewCapacityLimiter(anyio.Unlimited).TotalTokens(); n != anyio.Unlimited {
		t.Errorf("NewCapacityLimiter(Unlimited).TotalTokens() = %d, want Unlimited", n)
	}
	l := anyio.NewCapacityLimiter(1)
	if err := l.SetTotalTokens(anyio.Unlimited); err != nil {
		t.Fatalf("SetTotalTokens(Unlimited) = %v, want nil", err)
	}
	if n := l.TotalTokens(); n != anyio.Unlimited {
		t.Errorf("TotalTokens() after SetTotalTokens(Unlimited) = %d, want Unlimited", n)
	}
	for _, b := range []string{"a", "b", "c"} {
		if err := l.TryAcquireOnBehalfOf(b); err != nil {
			t.Errorf("TryAcquireOnBehalfOf(%s) of an unlimited limiter = %v", b, err)
		}
	}
	if a := l.AvailableTokens(); a != anyio.Unlimited-3 {
		t.Errorf("AvailableTokens() = %d, want Unlimited-3", a)
	}
}
