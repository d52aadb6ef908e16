package anyio_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestLimiterBadInit(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.HasPrefix(msg, "anyio: ") || !strings.Contains(msg, ">= 0") {
			t.Errorf("panic of NewCapacityLimiter(-1) = %q, want an anyio: message saying >= 0", msg)
		}
	}()
	anyio.NewCapacityLimiter(-1)
}

func TestLimiterZeroTokens(t *testing.T) {
	l := anyio.NewCapacityLimiter(0)
	if n := l.TotalTokens(); n != 0 {
		t.Errorf("TotalTokens() = %d, want 0", n)
	}
	if err := l.TryAcquireOnBehalfOf("x"); !errors.Is(err, anyio.ErrWouldBlock) {
		t.Errorf("TryAcquireOnBehalfOf with no tokens = %v, want ErrWouldBlock", err)
	}
	if err := l.SetTotalTokens(0); err != nil || l.TotalTokens() != 0 {
		t.Errorf("SetTotalTokens(0) = %v, TotalTokens() = %d", err, l.TotalTokens())
	}
}

// A CapacityLimiter made, and resized, outside any Run keeps the new total
// and works inside a Run. AnyIO's
// TestCapacityLimiter::test_instantiate_outside_event_loop (its TypeError
// checks have no Go counterpart: the total is an int).
func TestLimiterOutsideRun(t *testing.T) {
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
// making one with zero tokens. AnyIO's
// TestCapacityLimiter::test_zero_tokens_outside_event_loop.
func TestLimiterZeroTokensOutsideRun(t *testing.T) {
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
// outside a Run. AnyIO's TestCapacityLimiter::test_float_infinity_outside_event_loop
// (anyio.Unlimited is Go's math.inf).
func TestLimiterUnlimitedOutsideRun(t *testing.T) {
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

func TestLimiterBorrow(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(2)
		check := func(when string, avail, borrowed int) {
			t.Helper()
			if tot, a, b := l.TotalTokens(), l.AvailableTokens(), l.BorrowedTokens(); tot != 2 || a != avail || b != borrowed {
				t.Errorf("%s: total, available, borrowed = %d, %d, %d, want 2, %d, %d", when, tot, a, b, avail, borrowed)
			}
		}
		check("new", 2, 0)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		check("after Acquire", 1, 1)
		if err := l.Release(ctx); err != nil {
			return err
		}
		check("after Release", 2, 0)
		return nil
	})
}

// With one token, never two tasks hold it at once (AnyIO's test_limit).
func TestLimiterLimit(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		value := 0
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 3 {
				tg.StartSoon(func(ctx context.Context) error {
					for range 5 {
						if err := l.Acquire(ctx); err != nil {
							return err
						}
						if value != 0 {
							t.Error("two tasks hold the only token")
						}
						value = 1
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
						value = 0
						if err := l.Release(ctx); err != nil {
							return err
						}
					}
					return nil
				})
			}
			return nil
		})
	})
}

func TestLimiterBorrowTwice(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(2)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		for name, f := range map[string]func() error{
			"Acquire":    func() error { return l.Acquire(ctx) },
			"TryAcquire": func() error { return l.TryAcquire(ctx) },
		} {
			if err := f(); err == nil || !strings.Contains(err.Error(), "already holding one of this CapacityLimiter's tokens") {
				t.Errorf("second %s by the same task = %v, want an 'already holding' error", name, err)
			}
		}
		if err := l.AcquireOnBehalfOf(ctx, "b"); err != nil {
			return err
		}
		if err := l.TryAcquireOnBehalfOf("b"); err == nil || !strings.Contains(err.Error(), "already holding") {
			t.Errorf("second TryAcquireOnBehalfOf = %v, want an 'already holding' error", err)
		}
		if n := l.BorrowedTokens(); n != 2 {
			t.Errorf("BorrowedTokens() = %d, want 2", n)
		}
		if err := l.ReleaseOnBehalfOf("b"); err != nil {
			return err
		}
		return l.Release(ctx)
	})
}

func TestLimiterBadRelease(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.Release(ctx); err == nil || !strings.Contains(err.Error(), "isn't holding any of this CapacityLimiter's tokens") {
			t.Errorf("Release by a non-borrower = %v, want an 'isn't holding' error", err)
		}
		if err := l.ReleaseOnBehalfOf("nobody"); err == nil || !strings.Contains(err.Error(), "isn't holding") {
			t.Errorf("ReleaseOnBehalfOf a non-borrower = %v, want an 'isn't holding' error", err)
		}
		if err := l.AcquireOnBehalfOf(ctx, "someone"); err != nil {
			return err
		}
		if err := l.Release(ctx); err == nil {
			t.Error("Release by the task of a token lent to another borrower = nil, want an error")
		}
		return l.ReleaseOnBehalfOf("someone")
	})
}

// Raising the total lets a waiter in (AnyIO's test_increase_tokens).
func TestLimiterIncreaseTokens(t *testing.T) {
	l := anyio.NewCapacityLimiter(1)
	var ev1, ev2 anyio.Event
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := ev1.Wait(ctx); err != nil {
					return err
				}
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				ev2.Set() // only possible once the total was raised
				return l.Release(ctx)
			})
			tg.StartSoon(func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				ev1.Set()
				if err := ev2.Wait(ctx); err != nil {
					return err
				}
				return l.Release(ctx)
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if !ev1.IsSet() || ev2.IsSet() {
				t.Errorf("before raising: ev1, ev2 set = %v, %v, want true, false", ev1.IsSet(), ev2.IsSet())
			}
			return l.SetTotalTokens(2)
		})
	})
	if !ev2.IsSet() {
		t.Error("the second borrower never got in")
	}
}

// Raising the total by n hands n tokens to waiters at once, before they run.
func TestLimiterRaiseWakesThatMany(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		release := anyio.NewEvent()
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 4 {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					if err := release.Wait(ctx); err != nil {
						return err
					}
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
			}
			if err := l.SetTotalTokens(3); err != nil {
				return err
			}
			if b, a := l.BorrowedTokens(), l.AvailableTokens(); b != 3 || a != 0 {
				t.Errorf("right after raising to 3: borrowed, available = %d, %d, want 3, 0", b, a)
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if n := l.Statistics().TasksWaiting; n != 2 {
				t.Errorf("TasksWaiting after raising to 3 = %d, want 2", n)
			}
			release.Set()
			return l.Release(ctx)
		})
		if b := l.BorrowedTokens(); b != 0 {
			t.Errorf("BorrowedTokens() at the end = %d, want 0", b)
		}
		return err
	})
}

// Lowering the total takes no token back: borrowers finish, and waiters get
// in once fewer than the new total are borrowed.
func TestLimiterLowerLetsBorrowersFinish(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(2)
		for _, b := range []string{"a", "b"} {
			if err := l.TryAcquireOnBehalfOf(b); err != nil {
				return err
			}
		}
		if err := l.SetTotalTokens(1); err != nil {
			return err
		}
		if b, a := l.BorrowedTokens(), l.AvailableTokens(); b != 2 || a != 0 {
			t.Errorf("after lowering to 1: borrowed, available = %d, %d, want 2, 0", b, a)
		}
		if err := l.TryAcquireOnBehalfOf("c"); !errors.Is(err, anyio.ErrWouldBlock) {
			t.Errorf("TryAcquireOnBehalfOf above the lowered total = %v, want ErrWouldBlock", err)
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := startParked(ctx, tg, func(ctx context.Context) error { return l.AcquireOnBehalfOf(ctx, "c") }); err != nil {
				return err
			}
			if err := l.ReleaseOnBehalfOf("a"); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if n := l.Statistics().TasksWaiting; n != 1 {
				t.Errorf("TasksWaiting with 1 borrowed of 1 = %d, want 1", n)
			}
			if err := l.ReleaseOnBehalfOf("b"); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if st := l.Statistics(); st.TasksWaiting != 0 || !slices.Equal(st.Borrowers, []any{"c"}) {
				t.Errorf("Statistics after both released = %+v, want c borrowing, nobody waiting", st)
			}
			return l.ReleaseOnBehalfOf("c")
		})
	})
}

func TestLimiterStatistics(t *testing.T) {
	l := anyio.NewCapacityLimiter(1)
	if st := l.Statistics(); st.TotalTokens != 1 || st.BorrowedTokens != 0 || st.TasksWaiting != 0 || len(st.Borrowers) != 0 {
		t.Errorf("Statistics of a new limiter = %+v", st)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			st := l.Statistics()
			me := anyio.GetCurrentTask(ctx)
			if st.BorrowedTokens != 1 || st.TasksWaiting != 0 || len(st.Borrowers) != 1 {
				t.Errorf("Statistics while borrowed = %+v", st)
			} else if ti, ok := st.Borrowers[0].(anyio.TaskInfo); !ok || ti.ID != me.ID {
				t.Errorf("Borrowers = %v, want the TaskInfo of the current task %v", st.Borrowers, me)
			}
			for i := 1; i <= 2; i++ {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
				if n := l.Statistics().TasksWaiting; n != i {
					t.Errorf("TasksWaiting = %d, want %d", n, i)
				}
			}
			return l.Release(ctx)
		})
		if st := l.Statistics(); st.TasksWaiting != 0 || st.BorrowedTokens != 0 || len(st.Borrowers) != 0 {
			t.Errorf("Statistics at the end = %+v", st)
		}
		// Borrowers are listed in the order in which they got their tokens.
		l2 := anyio.NewCapacityLimiter(anyio.Unlimited)
		for _, b := range []any{"z", 1, "a"} {
			if err := l2.TryAcquireOnBehalfOf(b); err != nil {
				return err
			}
		}
		if err := l2.Acquire(ctx); err != nil {
			return err
		}
		if err := l2.ReleaseOnBehalfOf(1); err != nil {
			return err
		}
		bs := l2.Statistics().Borrowers
		if len(bs) != 3 || bs[0] != "z" || bs[1] != "a" {
			t.Errorf("Borrowers = %v, want [z a <task>]", bs)
		} else if _, ok := bs[2].(anyio.TaskInfo); !ok {
			t.Errorf("Borrowers[2] = %#v, want a TaskInfo", bs[2])
		}
		return err
	})
}

// Waiters get tokens in the order in which they began to wait (AnyIO's
// test_ordered_queue).
func TestLimiterOrderedQueue(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		var results []int
		var ev anyio.Event
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 3 {
				_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
					st.Started(struct{}{})
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					if err := ev.Wait(ctx); err != nil {
						return err
					}
					results = append(results, i)
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
				// Start returns before the task waits: let it queue up.
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
			}
			ev.Set()
			return nil
		})
		if !slices.Equal(results, []int{0, 1, 2}) {
			t.Errorf("results = %v, want [0 1 2]", results)
		}
		return err
	})
}

// AnyIO's test_increase_tokens_lets_others_acquire.
func TestLimiterIncreaseTokensLetsOthersAcquire(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		entered := []*anyio.Event{anyio.NewEvent(), anyio.NewEvent(), anyio.NewEvent()}
		var cont anyio.Event
		worker := func(ev *anyio.Event) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				ev.Set()
				if err := cont.Wait(ctx); err != nil {
					return err
				}
				return l.Release(ctx)
			}
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(worker(entered[0]))
			tg.StartSoon(worker(entered[1]))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if n := countSet(entered); n != 1 {
				t.Errorf("tasks in with one token = %d, want 1", n)
			}
			if err := l.SetTotalTokens(3); err != nil {
				return err
			}
			tg.StartSoon(worker(entered[2]))
			for _, ev := range entered {
				if err := ev.Wait(ctx); err != nil {
					return err
				}
			}
			cont.Set()
			return nil
		})
	})
}

func countSet(evs []*anyio.Event) int {
	n := 0
	for _, ev := range evs {
		if ev.IsSet() {
			n++
		}
	}
	return n
}

func TestLimiterUnlimited(t *testing.T) {
	l := anyio.NewCapacityLimiter(anyio.Unlimited)
	for i := range 1000 {
		if err := l.TryAcquireOnBehalfOf(i); err != nil {
			t.Fatalf("TryAcquireOnBehalfOf(%d) of an unlimited limiter = %v", i, err)
		}
	}
	if tot, a := l.TotalTokens(), l.AvailableTokens(); tot != anyio.Unlimited || a != anyio.Unlimited-1000 {
		t.Errorf("TotalTokens, AvailableTokens = %d, %d, want Unlimited, Unlimited-1000", tot, a)
	}
	if n := len(l.Statistics().Borrowers); n != 1000 {
		t.Errorf("%d borrowers listed, want 1000", n)
	}
	for i := range 1000 {
		if err := l.ReleaseOnBehalfOf(i); err != nil {
			t.Fatalf("ReleaseOnBehalfOf(%d) = %v", i, err)
		}
	}
	// Few borrowers again, after many.
	for _, b := range []string{"x", "y"} {
		if err := l.TryAcquireOnBehalfOf(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.TryAcquireOnBehalfOf("x"); err == nil {
		t.Error("a second TryAcquireOnBehalfOf(x) succeeded")
	}
	if st := l.Statistics(); st.BorrowedTokens != 2 || !slices.Equal(st.Borrowers, []any{"x", "y"}) {
		t.Errorf("Statistics = %+v, want x and y borrowing", st)
	}
}

// A waiter cancelled while it waits is skipped: the next one gets the token
// (AnyIO's test_acquire_cancelled, regression #947).
func TestLimiterAcquireCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope1, res1, err := inScope(ctx, tg, l.Acquire)
			if err != nil {
				return err
			}
			var ev2 anyio.Event
			err = startParked(ctx, tg, func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				ev2.Set()
				return l.Release(ctx)
			})
			if err != nil {
				return err
			}
			scope1.Cancel()
			if err := l.Release(ctx); err != nil {
				return err
			}
			if err := recv(t, ctx, res1); !isCancel(err) {
				t.Errorf("Acquire of the cancelled borrower = %v, want a cancellation error", err)
			}
			return ev2.Wait(ctx)
		})
	})
}

func TestLimiterTryAcquire(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.TryAcquire(ctx); err != nil {
			return err
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := l.TryAcquire(ctx); !errors.Is(err, anyio.ErrWouldBlock) {
					t.Errorf("TryAcquire from another task = %v, want ErrWouldBlock", err)
				}
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		if err := l.Release(ctx); err != nil {
			return err
		}
		b1, b2 := new(int), new(int)
		if err := l.TryAcquireOnBehalfOf(b1); err != nil {
			return err
		}
		if err := l.TryAcquireOnBehalfOf(b2); !errors.Is(err, anyio.ErrWouldBlock) {
			t.Errorf("TryAcquireOnBehalfOf of a second borrower = %v, want ErrWouldBlock", err)
		}
		return l.ReleaseOnBehalfOf(b1)
	})
}

// A token released while a borrower waits is reserved for it: a concurrent
// TryAcquire gets ErrWouldBlock and cannot oversubscribe (AnyIO bug #1170).
func TestLimiterNoOversubscribe(t *testing.T) {
	l := anyio.NewCapacityLimiter(1)
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := l.TryAcquireOnBehalfOf("A"); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := startParked(ctx, tg, func(ctx context.Context) error { return l.AcquireOnBehalfOf(ctx, "B") }); err != nil {
				return err
			}
			if n := l.Statistics().TasksWaiting; n != 1 {
				t.Errorf("TasksWaiting = %d, want 1", n)
			}
			if err := l.ReleaseOnBehalfOf("A"); err != nil {
				return err
			}
			if err := l.TryAcquireOnBehalfOf("X"); !errors.Is(err, anyio.ErrWouldBlock) {
				t.Errorf("TryAcquireOnBehalfOf right after a release to a waiter = %v, want ErrWouldBlock", err)
			}
			return nil
		})
	})
	if b, tot := l.BorrowedTokens(), l.TotalTokens(); b > tot || l.AvailableTokens() < 0 {
		t.Errorf("borrowed %d of %d tokens", b, tot)
	}
	if bs := l.Statistics().Borrowers; !slices.Equal(bs, []any{"B"}) {
		t.Errorf("Borrowers = %v, want [B]", bs)
	}
	if err := l.ReleaseOnBehalfOf("B"); err != nil {
		t.Error(err)
	}
}

// A token handed to a borrower at the moment its scope is cancelled goes to
// the next waiter.
func TestLimiterHandOffToCancelledWaiter(t *testing.T) {
	oneProc(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.TryAcquireOnBehalfOf("A"); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, res, err := inScope(ctx, tg, func(ctx context.Context) error { return l.AcquireOnBehalfOf(ctx, "B") })
			if err != nil {
				return err
			}
			got := make(chan error, 1)
			if err := startParked(ctx, tg, func(ctx context.Context) error {
				got <- l.AcquireOnBehalfOf(ctx, "C")
				return nil
			}); err != nil {
				return err
			}
			if err := l.ReleaseOnBehalfOf("A"); err != nil {
				return err
			}
			scope.Cancel()
			if bs := l.Statistics().Borrowers; !slices.Equal(bs, []any{"B"}) {
				t.Errorf("Borrowers right after the release = %v, want [B]", bs)
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("AcquireOnBehalfOf(B), cancelled as it was handed the token = %v, want a cancellation error", err)
			}
			if err := recv(t, ctx, got); err != nil {
				t.Errorf("AcquireOnBehalfOf(C) = %v, want nil", err)
			}
			if st := l.Statistics(); st.BorrowedTokens != 1 || !slices.Equal(st.Borrowers, []any{"C"}) || st.TasksWaiting != 0 {
				t.Errorf("Statistics at the end = %+v, want C borrowing", st)
			}
			return l.ReleaseOnBehalfOf("C")
		})
	})
}

// Bad borrowers and totals are errors that say what was wrong; a plain
// context has no task to borrow for.
func TestLimiterBadInput(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		type withSlice struct{ _ []int } // a slice field makes it not comparable
		for _, tc := range []struct {
			name     string
			borrower any
			want     string
		}{
			{"nil", nil, "nil"},
			{"slice", []int{1}, "[]int is not comparable"},
			{"map", map[string]int{}, "map[string]int is not comparable"},
			{"struct with a slice", withSlice{}, "withSlice is not comparable"},
			{"func", func() {}, "is not comparable"},
		} {
			for name, f := range map[string]func() error{
				"AcquireOnBehalfOf":    func() error { return l.AcquireOnBehalfOf(ctx, tc.borrower) },
				"TryAcquireOnBehalfOf": func() error { return l.TryAcquireOnBehalfOf(tc.borrower) },
				"ReleaseOnBehalfOf":    func() error { return l.ReleaseOnBehalfOf(tc.borrower) },
			} {
				if err := f(); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s(%s) = %v, want an error containing %q", name, tc.name, err, tc.want)
				}
			}
		}
		if err := l.SetTotalTokens(-1); err == nil || !strings.Contains(err.Error(), ">= 0") {
			t.Errorf("SetTotalTokens(-1) = %v, want an error saying >= 0", err)
		}
		if n := l.TotalTokens(); n != 1 {
			t.Errorf("TotalTokens() after the failed SetTotalTokens = %d, want 1", n)
		}
		plain := context.Background()
		for name, f := range map[string]func() error{
			"Acquire":    func() error { return l.Acquire(plain) },
			"TryAcquire": func() error { return l.TryAcquire(plain) },
			"Release":    func() error { return l.Release(plain) },
		} {
			if err := f(); err == nil || !strings.Contains(err.Error(), "AcquireOnBehalfOf") {
				t.Errorf("%s with a plain context = %v, want an error pointing to AcquireOnBehalfOf", name, err)
			}
		}
		if n := l.BorrowedTokens(); n != 0 {
			t.Errorf("BorrowedTokens() = %d, want 0", n)
		}
		return nil
	})
}

// A borrower that waits for a token cannot wait a second time.
func TestLimiterBorrowerWaitingTwice(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(0)
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := startParked(ctx, tg, func(ctx context.Context) error { return l.AcquireOnBehalfOf(ctx, "x") }); err != nil {
				return err
			}
			if err := l.AcquireOnBehalfOf(ctx, "x"); err == nil || !strings.Contains(err.Error(), "already waiting") {
				t.Errorf("a second AcquireOnBehalfOf for a waiting borrower = %v, want an 'already waiting' error", err)
			}
			if err := l.SetTotalTokens(1); err != nil {
				return err
			}
			return nil
		})
	})
}

// Two goroutines of one task (a bare go statement shares its task) that wait
// for a token: the first gets it, the second the error of a second Acquire.
func TestLimiterOneTaskWaitingTwice(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(0)
		res := make(chan error, 2)
		for range 2 {
			go func() { res <- l.Acquire(ctx) }()
		}
		pollUntil(t, func() bool { return l.Statistics().TasksWaiting == 2 })
		if err := l.SetTotalTokens(2); err != nil {
			return err
		}
		errs := []error{recv(t, ctx, res), recv(t, ctx, res)}
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("Acquire results = %v, want one nil and one error", errs)
		}
		for _, err := range errs {
			if err != nil && !strings.Contains(err.Error(), "already holding") {
				t.Errorf("the second Acquire = %v, want an 'already holding' error", err)
			}
		}
		if b := l.BorrowedTokens(); b != 1 {
			t.Errorf("BorrowedTokens() = %d, want 1", b)
		}
		return l.Release(ctx)
	})
}

// Any comparable value can borrow, an error value too.
func TestLimiterErrorBorrower(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewCapacityLimiter(1)
		if err := l.TryAcquireOnBehalfOf("a"); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			res := make(chan error, 1)
			if err := startParked(ctx, tg, func(ctx context.Context) error {
				res <- l.AcquireOnBehalfOf(ctx, io.EOF)
				return nil
			}); err != nil {
				return err
			}
			if err := l.ReleaseOnBehalfOf("a"); err != nil {
				return err
			}
			if err := recv(t, ctx, res); err != nil {
				t.Errorf("AcquireOnBehalfOf(io.EOF) = %v, want nil", err)
			}
			if bs := l.Statistics().Borrowers; !slices.Equal(bs, []any{io.EOF}) {
				t.Errorf("Borrowers = %v, want [EOF]", bs)
			}
			return l.ReleaseOnBehalfOf(io.EOF)
		})
	})
}
