package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Every misuse of a synchronization primitive returns an exported sentinel
// that errors.Is matches.
func TestMisuseErrorsAreSentinels(t *testing.T) {
	cases := []struct {
		name string
		want error
		call func(ctx context.Context, tg *anyio.TaskGroup) error
	}{
		{"Lock.Acquire by the holder", anyio.ErrLockAlreadyHeld, func(ctx context.Context, _ *anyio.TaskGroup) error {
			l := anyio.NewLock()
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			return l.Acquire(ctx)
		}},
		{"Lock.TryAcquire by the holder", anyio.ErrLockAlreadyHeld, func(ctx context.Context, _ *anyio.TaskGroup) error {
			l := anyio.NewLock()
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			return l.TryAcquire(ctx)
		}},
		{"Lock.Release unlocked", anyio.ErrLockNotLocked, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewLock().Release(ctx)
		}},
		{"Lock.Release by another task", anyio.ErrLockNotOwner, func(ctx context.Context, tg *anyio.TaskGroup) error {
			l := anyio.NewLock()
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			errc := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				errc <- l.Release(ctx)
				return nil
			})
			return <-errc
		}},
		{"Condition.Notify without the lock", anyio.ErrConditionNotHeld, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCondition(nil).Notify(ctx, 1)
		}},
		{"Condition.NotifyAll without the lock", anyio.ErrConditionNotHeld, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCondition(nil).NotifyAll(ctx)
		}},
		{"Condition.Wait without the lock", anyio.ErrConditionNotHeld, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCondition(nil).Wait(ctx)
		}},
		{"Condition.Notify with a negative count", anyio.ErrInvalidArgument, func(ctx context.Context, _ *anyio.TaskGroup) error {
			c := anyio.NewCondition(nil)
			if err := c.Acquire(ctx); err != nil {
				return err
			}
			return c.Notify(ctx, -1)
		}},
		{"CapacityLimiter.Acquire twice", anyio.ErrBorrowerHolding, func(ctx context.Context, _ *anyio.TaskGroup) error {
			l := anyio.NewCapacityLimiter(2)
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			return l.Acquire(ctx)
		}},
		{"CapacityLimiter.Release not holding", anyio.ErrBorrowerNotHolding, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCapacityLimiter(1).Release(ctx)
		}},
		{"CapacityLimiter.Acquire without a task", anyio.ErrNoBorrowerTask, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCapacityLimiter(1).Acquire(context.Background())
		}},
		{"CapacityLimiter.AcquireOnBehalfOf(nil)", anyio.ErrNilBorrower, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCapacityLimiter(1).AcquireOnBehalfOf(ctx, nil)
		}},
		{"CapacityLimiter.AcquireOnBehalfOf(slice)", anyio.ErrBorrowerNotComparable, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCapacityLimiter(1).AcquireOnBehalfOf(ctx, []int{1})
		}},
		{"CapacityLimiter.SetTotalTokens(-1)", anyio.ErrInvalidArgument, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewCapacityLimiter(1).SetTotalTokens(-1)
		}},
		{"Semaphore.Release past its maximum", anyio.ErrSemaphoreFull, func(ctx context.Context, _ *anyio.TaskGroup) error {
			return anyio.NewSemaphore(1, anyio.MaxValue(1)).Release()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var got error
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					got = tc.call(ctx, tg)
					return nil
				})
				if !errors.Is(got, tc.want) {
					t.Errorf("%s: got %v, want an error matching %v", tc.name, got, tc.want)
				}
				if got != nil && !strings.HasPrefix(got.Error(), "anyio: ") {
					t.Errorf("%s: message %q does not start with \"anyio: \"", tc.name, got)
				}
				return err
			})
		})
	}
}

// The errors that anyio returns are anyio's own types, whatever made them.
func TestErrorTypesAreAnyioTypes(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		groupErr := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(context.Context) error { return boom })
			return nil
		})
		var cancelErr error
		s := anyio.NewCancelScope()
		s.Run(ctx, func(ctx context.Context) error {
			s.CancelWithReason("enough")
			cancelErr = anyio.Sleep(ctx, 1)
			return cancelErr
		})
		var panicked any
		func() {
			defer func() { panicked = recover() }()
			anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(context.Context) error { panic("oops") })
				return nil
			})
		}()
		for _, tc := range []struct {
			what string
			v    any
			want string
		}{
			{"WithTaskGroup's error", groupErr, "*anyio.ExceptionGroup"},
			{"a cancelled Sleep's error", cancelErr, "*anyio.CancelledError"},
			{"a re-raised task panic", panicked, "*anyio.PanicError"},
		} {
			if got := fmt.Sprintf("%T", tc.v); got != tc.want {
				t.Errorf("%s: %%T = %s, want %s", tc.what, got, tc.want)
			}
		}
		var ce *anyio.CancelledError
		if !errors.As(cancelErr, &ce) || ce.Reason() != "enough" || ce.Deadline() {
			t.Errorf("errors.As(%v, *CancelledError): Reason() = %q, Deadline() = %v; want \"enough\", false", cancelErr, ce.Reason(), ce.Deadline())
		}
		var pe *anyio.PanicError
		if err, _ := panicked.(error); !errors.As(err, &pe) || pe.Value != "oops" || !strings.Contains(pe.Error(), "oops") {
			t.Errorf("errors.As(recovered, *PanicError): got %v", panicked)
		}
		return nil
	})
}
