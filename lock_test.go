package anyio_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// syncTestTimeout bounds the waits of the tests that run outside any Run
// (anyiotest.Run bounds the others): a deadlock fails the test instead of
// hanging it.
const syncTestTimeout = 20 * time.Second

// withGroup runs body with a task group under ctx.
func withGroup(ctx context.Context, body func(ctx context.Context, tg *anyio.TaskGroup) error) error {
	return anyio.WithTaskGroup(ctx, body)
}

// startParked starts fn in tg and returns once every other task of the Run is
// parked in an anyio wait (fn blocked in the primitive it waits on).
func startParked(ctx context.Context, tg *anyio.TaskGroup, fn func(ctx context.Context) error, opts ...anyio.TaskOption) error {
	tg.StartSoon(fn, opts...)
	return anyio.WaitAllTasksBlocked(ctx)
}

// inScope runs fn in a new cancel scope started by a task of tg, parks until
// fn blocks, and returns the scope and a channel that receives fn's error.
func inScope(ctx context.Context, tg *anyio.TaskGroup, fn func(ctx context.Context) error) (*anyio.CancelScope, <-chan error, error) {
	scope := anyio.NewCancelScope()
	res := make(chan error, 1)
	err := startParked(ctx, tg, func(ctx context.Context) error {
		return scope.Run(ctx, func(ctx context.Context) error {
			res <- fn(ctx)
			return nil
		})
	})
	return scope, res, err
}

// oneProc runs the rest of the test with GOMAXPROCS(1), so that a task woken
// by the test's goroutine runs only once that goroutine blocks: what makes "a
// hand-off and a cancellation at the same instant" reproducible.
func oneProc(t *testing.T) {
	t.Helper()
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// recv receives from ch. Should ctx end first (the test's deadline: a bug
// made something hang), it reports that and returns the zero value, so that
// the test fails instead of hanging.
func recv[T any](t *testing.T, ctx context.Context, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Errorf("gave up waiting for a result: %v", context.Cause(ctx))
		var zero T
		return zero
	}
}

// recvPlain is recv for a test that runs outside any Run.
func recvPlain[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(syncTestTimeout):
		t.Fatal("gave up waiting for a result")
		panic("unreachable")
	}
}

// pollUntil lets other goroutines run until cond holds: how a test waits
// for a goroutine with a plain context (which WaitAllTasksBlocked does not
// see) to reach its wait.
func pollUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(syncTestTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting for a goroutine to block")
		}
		runtime.Gosched()
	}
}

// isCancel reports whether err is a cancellation error.
func isCancel(err error) bool { return errors.Is(err, anyio.ErrCancelled) }

func TestLockAcquireRelease(t *testing.T) {
	var l anyio.Lock
	var results []string
	anyiotest.Run(t, func(ctx context.Context) error {
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			err := startParked(ctx, tg, func(ctx context.Context) error {
				if !l.Locked() {
					t.Error("Locked() = false while the host holds the lock")
				}
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				results = append(results, "2")
				return l.Release(ctx)
			})
			if err != nil {
				return err
			}
			results = append(results, "1")
			return l.Release(ctx)
		})
		if err != nil {
			return err
		}
		if l.Locked() {
			t.Error("Locked() = true after everyone released")
		}
		return nil
	})
	if !slices.Equal(results, []string{"1", "2"}) {
		t.Errorf("results = %q, want [1 2]", results)
	}
}

func TestLockTryAcquire(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		l := anyio.NewLock()
		if err := l.TryAcquire(ctx); err != nil {
			t.Fatalf("TryAcquire of a free lock = %v, want nil", err)
		}
		if !l.Locked() {
			t.Error("Locked() = false after TryAcquire")
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := l.TryAcquire(ctx); !errors.Is(err, anyio.ErrWouldBlock) {
					t.Errorf("TryAcquire of a held lock from another task = %v, want ErrWouldBlock", err)
				}
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		return l.Release(ctx)
	})
}

func TestLockAcquireTwice(t *testing.T) {
	for _, fast := range []bool{false, true} {
		for _, try := range []bool{false, true} {
			name := map[bool]string{false: "Acquire", true: "TryAcquire"}[try]
			if fast {
				name += "/FastAcquire"
			}
			t.Run(name, func(t *testing.T) {
				anyiotest.Run(t, func(ctx context.Context) error {
					var opts []anyio.LockOption
					if fast {
						opts = append(opts, anyio.FastAcquire())
					}
					l := anyio.NewLock(opts...)
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					second := l.Acquire
					if try {
						second = l.TryAcquire
					}
					err := second(ctx)
					if err == nil || errors.Is(err, anyio.ErrWouldBlock) || !strings.Contains(err.Error(), "already holds") {
						t.Errorf("%s by the owner = %v, want an 'already holds' error", name, err)
					}
					if owner := l.Statistics().Owner; owner == nil || owner.ID != anyio.GetCurrentTask(ctx).ID {
						t.Errorf("owner after the failed re-acquire = %v, want the current task", owner)
					}
					if err := l.Release(ctx); err != nil {
						t.Errorf("Release after the failed re-acquire = %v", err)
					}
					if l.Locked() {
						t.Error("lock still held after one Release")
					}
					return nil
				})
			})
		}
	}
}

func TestLockReleaseErrors(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		if err := l.Release(ctx); err == nil || !strings.Contains(err.Error(), "not held") {
			t.Errorf("Release of a free lock = %v, want a 'not held' error", err)
		}
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := l.Release(ctx); err == nil || !strings.Contains(err.Error(), "does not hold") {
					t.Errorf("Release by a task that does not hold the lock = %v, want a 'does not hold' error", err)
				}
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		if err := l.Release(context.Background()); err == nil {
			t.Error("Release through a plain context of a lock held by a task = nil, want an error")
		}
		if !l.Locked() {
			t.Fatal("a failed Release released the lock")
		}
		return l.Release(ctx)
	})
}

func TestLockCancelDuringAcquire(t *testing.T) {
	for _, releaseFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "releaselast", true: "releasefirst"}[releaseFirst], func(t *testing.T) {
			var l anyio.Lock
			acquired := false
			anyiotest.Run(t, func(ctx context.Context) error {
				return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
						st.Started(struct{}{})
						if err := l.Acquire(ctx); err != nil {
							return err
						}
						acquired = true
						return l.Release(ctx)
					})
					if err != nil {
						return err
					}
					tg.CancelScope().Cancel()
					return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
						if releaseFirst {
							if err := l.Release(ctx); err != nil {
								return err
							}
							return anyio.WaitAllTasksBlocked(ctx)
						}
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
						return l.Release(ctx)
					})
				})
			})
			if acquired {
				t.Error("a task in a cancelled scope acquired the lock")
			}
			if l.Locked() {
				t.Error("lock still held at the end")
			}
		})
	}
}

// A waiter cancelled before the lock is released is skipped: the lock stays
// free for the next Acquire (AnyIO's test_cancelled_after_acquire).
func TestLockCancelledBeforeHandOff(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		if err := l.TryAcquire(ctx); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, res, err := inScope(ctx, tg, l.Acquire)
			if err != nil {
				return err
			}
			scope.Cancel()
			if err := l.Release(ctx); err != nil {
				return err
			}
			if n := l.Statistics().TasksWaiting; n != 0 {
				t.Errorf("TasksWaiting after the only waiter was cancelled = %d, want 0", n)
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Acquire of the cancelled waiter = %v, want a cancellation error", err)
			}
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			return l.Release(ctx)
		})
	})
}

// The lock handed to a waiter at the moment its scope is cancelled goes on to
// the next waiter (AnyIO's test_cancel_after_release, with a second waiter).
func TestLockHandOffToCancelledWaiter(t *testing.T) {
	oneProc(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			var first anyio.TaskInfo
			scope, res, err := inScope(ctx, tg, func(ctx context.Context) error {
				first = anyio.GetCurrentTask(ctx)
				return l.Acquire(ctx)
			})
			if err != nil {
				return err
			}
			got := make(chan anyio.TaskInfo, 1)
			err = startParked(ctx, tg, func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				got <- anyio.GetCurrentTask(ctx)
				return l.Release(ctx)
			})
			if err != nil {
				return err
			}
			if err := l.Release(ctx); err != nil {
				return err
			}
			// Handed over, not yet running: the first waiter owns the lock.
			if owner := l.Statistics().Owner; owner == nil || owner.ID != first.ID {
				t.Errorf("owner right after Release = %v, want the first waiter %v", owner, first)
			}
			scope.Cancel()
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Acquire of the waiter cancelled as it was handed the lock = %v, want a cancellation error", err)
			}
			if second := recv(t, ctx, got); second.ID == first.ID {
				t.Error("the cancelled waiter got the lock")
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if st := l.Statistics(); st.Locked || st.Owner != nil || st.TasksWaiting != 0 {
				t.Errorf("Statistics at the end = %+v, want a free lock", st)
			}
			return nil
		})
	})
}

// A task holding a primitive is cancelled while it waits inside its critical
// section; releasing on the way out hands the primitive to the task queued
// behind it, which must get it instead of deadlocking. AnyIO's
// TestLock::test_asyncio_deadlock, TestSemaphore::test_asyncio_deadlock and
// TestCapacityLimiter::test_asyncio_deadlock (AnyIO #398), with an anyio
// cancel scope in place of a native asyncio cancellation.
func TestHolderCancelledHandsOver(t *testing.T) {
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
// nobody waiting, and can be taken at once. AnyIO's
// TestLock::test_cancel_after_release (TestLockHandOffToCancelledWaiter covers
// the case with a second waiter).
func TestLockCancelAfterRelease(t *testing.T) {
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

func TestLockStatistics(t *testing.T) {
	var l anyio.Lock
	if st := l.Statistics(); st.Locked || st.Owner != nil || st.TasksWaiting != 0 {
		t.Errorf("Statistics of a new lock outside a Run = %+v", st)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			st := l.Statistics()
			if !st.Locked || st.TasksWaiting != 0 || st.Owner == nil || st.Owner.ID != anyio.GetCurrentTask(ctx).ID {
				t.Errorf("Statistics while held = %+v, want locked by the current task, nobody waiting", st)
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
		if err != nil {
			return err
		}
		if st := l.Statistics(); st.Locked || st.Owner != nil || st.TasksWaiting != 0 {
			t.Errorf("Statistics at the end = %+v, want a free lock", st)
		}
		return nil
	})
}

// Release hands the lock to the first waiter at once: it is the owner before
// it runs (AnyIO's test_owner_after_release).
func TestLockOwnerAfterRelease(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		ev := anyio.NewEvent()
		checked := anyio.NewEvent() // task2 holds the lock until task1 has looked
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := startParked(ctx, tg, func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				if owner := l.Statistics().Owner; owner == nil || owner.Name != "task1" {
					t.Errorf("owner = %v, want task1", owner)
				}
				if err := ev.Wait(ctx); err != nil {
					return err
				}
				if err := l.Release(ctx); err != nil {
					return err
				}
				if owner := l.Statistics().Owner; owner == nil || owner.Name != "task2" {
					t.Errorf("owner right after Release = %v, want task2", owner)
				}
				checked.Set()
				return nil
			}, anyio.TaskName("task1"))
			if err != nil {
				return err
			}
			err = startParked(ctx, tg, func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				if err := checked.Wait(ctx); err != nil {
					return err
				}
				return l.Release(ctx)
			}, anyio.TaskName("task2"))
			if err != nil {
				return err
			}
			ev.Set()
			return nil
		})
	})
}

// Waiters acquire the lock in the order in which they started to wait.
func TestLockFIFO(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		var order []int
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 8 {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					order = append(order, i)
					return l.Release(ctx)
				})
				if err != nil {
					return err
				}
			}
			return l.Release(ctx)
		})
		if err != nil {
			return err
		}
		if want := []int{0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(order, want) {
			t.Errorf("acquisition order = %v, want %v", order, want)
		}
		return nil
	})
}

// Cancellation is level-triggered: in a cancelled scope Acquire fails even
// when the lock is free, with FastAcquire too; TryAcquire does not wait and
// still succeeds.
func TestLockAcquireInCancelledScope(t *testing.T) {
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "FastAcquire"}[fast], func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var opts []anyio.LockOption
				if fast {
					opts = append(opts, anyio.FastAcquire())
				}
				l := anyio.NewLock(opts...)
				s := anyio.NewCancelScope()
				s.Cancel()
				return s.Run(ctx, func(ctx context.Context) error {
					if err := l.Acquire(ctx); !isCancel(err) {
						t.Errorf("Acquire of a free lock in a cancelled scope = %v, want a cancellation error", err)
					}
					if l.Locked() {
						t.Error("the failed Acquire left the lock held")
					}
					if err := l.TryAcquire(ctx); err != nil {
						t.Errorf("TryAcquire in a cancelled scope = %v, want nil", err)
					}
					return l.Release(ctx)
				})
			})
		})
	}
}

// With a plain context a Lock is a plain FIFO mutex: no owner, released
// through any context.
func TestLockPlainContext(t *testing.T) {
	var l anyio.Lock
	ctx := context.Background()
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if st := l.Statistics(); !st.Locked || st.Owner != nil {
		t.Errorf("Statistics while held through a plain context = %+v, want locked with no owner", st)
	}
	if err := l.TryAcquire(ctx); !errors.Is(err, anyio.ErrWouldBlock) {
		t.Errorf("TryAcquire through a plain context of a held lock = %v, want ErrWouldBlock", err)
	}
	var wg sync.WaitGroup
	order := make(chan int, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
			if err := l.Release(context.TODO()); err != nil {
				t.Error(err)
			}
		}()
		pollUntil(t, func() bool { return l.Statistics().TasksWaiting == i+1 })
	}
	// A task may release a lock held through a plain context: it has no owner.
	anyiotest.Run(t, func(ctx context.Context) error { return l.Release(ctx) })
	wg.Wait()
	close(order)
	var got []int
	for i := range order {
		got = append(got, i)
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("acquisition order of plain-context waiters = %v, want [0 1 2]", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- l.Acquire(cctx) }()
	pollUntil(t, func() bool { return l.Statistics().TasksWaiting == 1 })
	cancel()
	if err := recvPlain(t, done); !isCancel(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled plain context = %v, want an error matching ErrCancelled and context.Canceled", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Error(err)
	}
	if l.Locked() {
		t.Error("lock held at the end")
	}
}
