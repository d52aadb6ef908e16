package anyio_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Tests of time under testing/synctest: an hour passes in no wall time, and
// every deadline fires at exactly its virtual instant.

func TestVirtualMoveOnAfterHour(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(time.Hour)
		took, err := scElapsed(func() error { return scope.Run(ctx, anyio.SleepForever) })
		if err != nil || !scope.CancelledCaught() || took != time.Hour {
			t.Errorf("MoveOnAfter(1h).Run(SleepForever): got %v, caught=%v after %v; want nil, true after 1h", err, scope.CancelledCaught(), took)
		}
		return nil
	})
}

func TestVirtualFailAfterHour(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		took, err := scElapsed(func() error {
			return anyio.FailAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
				return anyio.Sleep(ctx, 2*time.Hour)
			})
		})
		if !errors.Is(err, anyio.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || took != time.Hour {
			t.Errorf("FailAfter(1h).Run(Sleep 2h): got %v after %v; want ErrTimeout after 1h", err, took)
		}
		return nil
	})
}

// Sleep(ctx, time.Hour) in the tasks of a group cancelled by a deadline: the
// group's own deadline, or that of a scope around it.
func TestVirtualGroupCancelledByDeadline(t *testing.T) {
	for _, where := range []string{"group deadline", "enclosing scope deadline"} {
		t.Run(where, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				var cancelled atomic.Int32
				group := func(ctx context.Context) error {
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						if where == "group deadline" {
							tg.CancelScope().SetDeadline(time.Now().Add(time.Minute))
						}
						for range 5 {
							tg.StartSoon(func(ctx context.Context) error {
								err := anyio.Sleep(ctx, time.Hour)
								if errors.Is(err, anyio.ErrCancelled) {
									cancelled.Add(1)
								}
								return err
							})
						}
						return anyio.Sleep(ctx, time.Hour)
					})
				}
				var took time.Duration
				var err error
				if where == "group deadline" {
					took, err = scElapsed(func() error { return group(ctx) })
				} else {
					scope := anyio.MoveOnAfter(time.Minute)
					took, err = scElapsed(func() error { return scope.Run(ctx, group) })
					if !scope.CancelledCaught() {
						t.Errorf("enclosing scope CancelledCaught() = false, want true")
					}
				}
				if err != nil || took != time.Minute || cancelled.Load() != 5 {
					t.Errorf("got %v after %v with %d children cancelled; want nil after 1m with 5", err, took, cancelled.Load())
				}
				return nil
			})
		})
	}
}

// Many scopes with different deadlines each end at their own instant.
func TestVirtualManyDeadlines(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		const n = 50
		var ended [n]time.Duration
		start := time.Now()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range n {
				tg.StartSoon(func(ctx context.Context) error {
					d := time.Duration(n-i) * time.Second
					err := anyio.MoveOnAfter(d).Run(ctx, anyio.SleepForever)
					ended[i] = time.Since(start)
					return err
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, got := range ended {
			if want := time.Duration(n-i) * time.Second; got != want {
				t.Errorf("scope %d ended after %v, want %v", i, got, want)
			}
		}
		return nil
	})
}

// Nested timeouts: the earlier deadline acts; an outer MoveOnAfter swallows
// its own cancellation of an inner FailAfter, but never an inner timeout.
func TestVirtualNestedTimeouts(t *testing.T) {
	t.Run("outer earlier", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			outer := anyio.MoveOnAfter(time.Hour)
			var innerErr error
			took, err := scElapsed(func() error {
				return outer.Run(ctx, func(ctx context.Context) error {
					innerErr = anyio.FailAfter(2*time.Hour).Run(ctx, anyio.SleepForever)
					return innerErr
				})
			})
			if err != nil || took != time.Hour || !outer.CancelledCaught() {
				t.Errorf("outer: got %v after %v, caught=%v; want nil after 1h, true", err, took, outer.CancelledCaught())
			}
			if errors.Is(innerErr, anyio.ErrTimeout) || !errors.Is(innerErr, anyio.ErrCancelled) {
				t.Errorf("inner FailAfter: got %v, want the outer cancellation", innerErr)
			}
			return nil
		})
	})
	t.Run("inner earlier", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			outer := anyio.MoveOnAfter(2 * time.Hour)
			took, err := scElapsed(func() error {
				return outer.Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(time.Hour).Run(ctx, anyio.SleepForever)
				})
			})
			if err != anyio.ErrTimeout || took != time.Hour || outer.CancelledCaught() {
				t.Errorf("outer: got %v after %v, caught=%v; want ErrTimeout after 1h, false", err, took, outer.CancelledCaught())
			}
			return nil
		})
	})
}

// WaitAllTasksBlocked works in a bubble and does not advance the clock.
func TestVirtualWaitAllTasksBlocked(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		start := time.Now()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 3 {
				tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if got := time.Since(start); got != 0 {
				t.Errorf("WaitAllTasksBlocked took %v of virtual time, want 0", got)
			}
			synctest.Wait()
			tg.CancelScope().Cancel()
			return nil
		})
	})
}
