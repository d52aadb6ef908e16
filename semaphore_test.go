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

func TestSemaphoreAcquireRelease(t *testing.T) {
	s := anyio.NewSemaphore(2)
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 2 {
				tg.StartSoon(func(ctx context.Context) error {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					if v := s.Value(); v != 0 && v != 1 {
						t.Errorf("Value() while one unit is held = %d, want 0 or 1", v)
					}
					return s.Release()
				}, anyio.TaskName("task "+string(rune('1'+i))))
			}
			return nil
		})
	})
	if v := s.Value(); v != 2 {
		t.Errorf("Value() at the end = %d, want 2", v)
	}
}

func TestSemaphoreTryAcquire(t *testing.T) {
	s := anyio.NewSemaphore(1)
	if err := s.TryAcquire(); err != nil {
		t.Fatalf("TryAcquire = %v, want nil", err)
	}
	if v := s.Value(); v != 0 {
		t.Errorf("Value() = %d, want 0", v)
	}
	if err := s.TryAcquire(); !errors.Is(err, anyio.ErrWouldBlock) {
		t.Errorf("TryAcquire at zero = %v, want ErrWouldBlock", err)
	}
}

func TestSemaphoreCancelDuringAcquire(t *testing.T) {
	for _, releaseFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "releaselast", true: "releasefirst"}[releaseFirst], func(t *testing.T) {
			s := anyio.NewSemaphore(1)
			acquired := false
			anyiotest.Run(t, func(ctx context.Context) error {
				return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
						st.Started(struct{}{})
						if err := s.Acquire(ctx); err != nil {
							return err
						}
						acquired = true
						return s.Release()
					})
					if err != nil {
						return err
					}
					tg.CancelScope().Cancel()
					return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
						if releaseFirst {
							if err := s.Release(); err != nil {
								return err
							}
							return anyio.WaitAllTasksBlocked(ctx)
						}
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
						return s.Release()
					})
				})
			})
			if acquired {
				t.Error("a task in a cancelled scope acquired the semaphore")
			}
			if v := s.Value(); v != 1 {
				t.Errorf("Value() at the end = %d, want 1", v)
			}
		})
	}
}

func TestSemaphoreMaxValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []anyio.SemaphoreOption
		max  int
		ok   bool
	}{
		{"none", nil, 0, false},
		{"2", []anyio.SemaphoreOption{anyio.MaxValue(2)}, 2, true},
		{"2/FastAcquire", []anyio.SemaphoreOption{anyio.FastAcquire(), anyio.MaxValue(2)}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := anyio.NewSemaphore(0, tc.opts...)
			if m, ok := s.MaxValue(); m != tc.max || ok != tc.ok {
				t.Errorf("MaxValue() = %d, %v, want %d, %v", m, ok, tc.max, tc.ok)
			}
		})
	}
}

func TestSemaphoreMaxValueExceeded(t *testing.T) {
	s := anyio.NewSemaphore(1, anyio.MaxValue(2))
	if err := s.Release(); err != nil {
		t.Fatalf("Release up to the maximum = %v", err)
	}
	err := s.Release()
	if err == nil || !strings.Contains(err.Error(), "maximum value 2") {
		t.Errorf("Release past the maximum = %v, want an error naming the maximum", err)
	}
	if v := s.Value(); v != 2 {
		t.Errorf("Value() after the failed Release = %d, want 2", v)
	}
}

func TestSemaphoreStatistics(t *testing.T) {
	s := anyio.NewSemaphore(1)
	anyiotest.Run(t, func(ctx context.Context) error {
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if n := s.Statistics().TasksWaiting; n != 0 {
				t.Errorf("TasksWaiting = %d, want 0", n)
			}
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			for i := 1; i <= 2; i++ {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					return s.Release()
				})
				if err != nil {
					return err
				}
				if n := s.Statistics().TasksWaiting; n != i {
					t.Errorf("TasksWaiting = %d, want %d", n, i)
				}
			}
			return s.Release()
		})
		if n := s.Statistics().TasksWaiting; n != 0 {
			t.Errorf("TasksWaiting at the end = %d, want 0", n)
		}
		return err
	})
}

// A unit released while a task waits is reserved for it: TryAcquire cannot
// take it (AnyIO's test_acquire_race, and bug #1170).
func TestSemaphoreReleaseReservesForWaiter(t *testing.T) {
	s := anyio.NewSemaphore(1)
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if err := s.TryAcquire(); err != nil {
				return err
			}
			if err := startParked(ctx, tg, s.Acquire); err != nil {
				return err
			}
			if err := s.Release(); err != nil {
				return err
			}
			if err := s.TryAcquire(); !errors.Is(err, anyio.ErrWouldBlock) {
				t.Errorf("TryAcquire right after a Release to a waiter = %v, want ErrWouldBlock", err)
			}
			if v := s.Value(); v != 0 {
				t.Errorf("Value() = %d, want 0", v)
			}
			return nil
		})
	})
	if v := s.Value(); v != 0 {
		t.Errorf("Value() at the end = %d, want 0 (the waiter holds the unit)", v)
	}
}

// A unit handed to a waiter at the moment it is cancelled goes back (AnyIO's
// test_cancel_after_release) or to the next waiter.
func TestSemaphoreHandOffToCancelledWaiter(t *testing.T) {
	oneProc(t)
	for _, next := range []bool{false, true} {
		t.Run(map[bool]string{false: "back", true: "next"}[next], func(t *testing.T) {
			s := anyio.NewSemaphore(0, anyio.MaxValue(1))
			anyiotest.Run(t, func(ctx context.Context) error {
				return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					scope, res, err := inScope(ctx, tg, s.Acquire)
					if err != nil {
						return err
					}
					got := make(chan error, 1)
					if next {
						err := startParked(ctx, tg, func(ctx context.Context) error {
							got <- s.Acquire(ctx)
							return nil
						})
						if err != nil {
							return err
						}
					}
					if err := s.Release(); err != nil {
						return err
					}
					scope.Cancel()
					if v := s.Value(); v != 0 {
						t.Errorf("Value() right after Release = %d, want 0 (handed to the waiter)", v)
					}
					if err := recv(t, ctx, res); !isCancel(err) {
						t.Errorf("Acquire of the waiter cancelled as it was handed a unit = %v, want a cancellation error", err)
					}
					want := 1
					if next {
						if err := recv(t, ctx, got); err != nil {
							t.Errorf("Acquire of the next waiter = %v, want nil", err)
						}
						want = 0
					}
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					if v, n := s.Value(), s.Statistics().TasksWaiting; v != want || n != 0 {
						t.Errorf("Value(), TasksWaiting = %d, %d, want %d, 0", v, n, want)
					}
					return nil
				})
			})
		})
	}
}

// A waiter cancelled before the Release is skipped (AnyIO's
// test_cancelled_after_acquire).
func TestSemaphoreCancelledBeforeHandOff(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.NewSemaphore(1, anyio.MaxValue(1))
		if err := s.TryAcquire(); err != nil {
			return err
		}
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, res, err := inScope(ctx, tg, s.Acquire)
			if err != nil {
				return err
			}
			scope.Cancel()
			if err := s.Release(); err != nil {
				return err
			}
			if n := s.Statistics().TasksWaiting; n != 0 {
				t.Errorf("TasksWaiting = %d, want 0", n)
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Acquire of the cancelled waiter = %v, want a cancellation error", err)
			}
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			return s.Release()
		})
	})
}

func TestSemaphoreBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { anyio.NewSemaphore(-1) }, "initial value must be >= 0"},
		{"above max", func() { anyio.NewSemaphore(3, anyio.MaxValue(2)) }, "must not exceed the maximum"},
		{"negative max", func() { anyio.NewSemaphore(0, anyio.MaxValue(-1)) }, "must not exceed the maximum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "anyio: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("panic = %q, want an anyio: message containing %q", msg, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func TestSemaphoreFIFO(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.NewSemaphore(0)
		var order []int
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 6 {
				err := startParked(ctx, tg, func(ctx context.Context) error {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					order = append(order, i)
					return s.Release()
				})
				if err != nil {
					return err
				}
			}
			return s.Release()
		})
		if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(order, want) {
			t.Errorf("acquisition order = %v, want %v", order, want)
		}
		return err
	})
}

// In a cancelled scope Acquire fails even when a unit is free, FastAcquire
// or not.
func TestSemaphoreAcquireInCancelledScope(t *testing.T) {
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "FastAcquire"}[fast], func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var opts []anyio.SemaphoreOption
				if fast {
					opts = append(opts, anyio.FastAcquire())
				}
				s := anyio.NewSemaphore(1, opts...)
				scope := anyio.NewCancelScope()
				scope.Cancel()
				return scope.Run(ctx, func(ctx context.Context) error {
					if err := s.Acquire(ctx); !isCancel(err) {
						t.Errorf("Acquire in a cancelled scope = %v, want a cancellation error", err)
					}
					if v := s.Value(); v != 1 {
						t.Errorf("Value() after the failed Acquire = %d, want 1", v)
					}
					return nil
				})
			})
		})
	}
}

// A Semaphore works outside a Run and with plain contexts.
func TestSemaphorePlainContext(t *testing.T) {
	s := anyio.NewSemaphore(1, anyio.MaxValue(3))
	if v, n := s.Value(), s.Statistics().TasksWaiting; v != 1 || n != 0 {
		t.Fatalf("Value, TasksWaiting = %d, %d", v, n)
	}
	ctx := context.Background()
	if err := s.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Acquire(ctx) }()
	pollUntil(t, func() bool { return s.Statistics().TasksWaiting == 1 })
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if err := recvPlain(t, done); err != nil {
		t.Errorf("Acquire with a plain context = %v", err)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := s.Acquire(ctx); err != nil {
			t.Errorf("Acquire in a Run = %v", err)
		}
		return nil
	})
}
