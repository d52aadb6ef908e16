package anyio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Sleep returns nil after exactly d (virtual time).
func TestSleep(t *testing.T) {
	for _, d := range []time.Duration{time.Nanosecond, time.Millisecond, time.Second, time.Hour, 1000 * time.Hour} {
		t.Run(d.String(), func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				took, err := scElapsed(func() error { return anyio.Sleep(ctx, d) })
				if err != nil || took != d {
					t.Errorf("Sleep(ctx, %v): got %v after %v, want nil after %v", d, err, took, d)
				}
				return nil
			}, anyiotest.Timeout(2*d)) // the default (24h) is shorter than the longest sleep
		})
	}
}

// Sleep with d <= 0 is a checkpoint: it returns at once, nil unless ctx is
// cancelled.
func TestSleepZero(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			took, err := scElapsed(func() error { return anyio.Sleep(ctx, d) })
			if err != nil || took != 0 {
				t.Errorf("Sleep(ctx, %v): got %v after %v, want nil at once", d, err, took)
			}
			c, cancel := context.WithCancel(ctx)
			cancel()
			if err := anyio.Sleep(c, d); !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Sleep(cancelled, %v): got %v, want a cancellation", d, err)
			}
			return nil
		})
	}
}

// SleepUntil sleeps until the deadline; one in the past returns at once
// (AnyIO's test_sleep_until, test_sleep_until_in_past).
func TestSleepUntil(t *testing.T) {
	cases := []struct {
		name   string
		offset time.Duration
		want   time.Duration
	}{
		{"future", 500*time.Second + 102352*time.Microsecond, 500*time.Second + 102352*time.Microsecond},
		{"now", 0, 0},
		{"past", -500 * time.Second, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				deadline := anyio.CurrentTime().Add(tc.offset)
				took, err := scElapsed(func() error { return anyio.SleepUntil(ctx, deadline) })
				if err != nil || took != tc.want {
					t.Errorf("SleepUntil(now%+v): got %v after %v, want nil after %v", tc.offset, err, took, tc.want)
				}
				return nil
			})
		})
	}
}

// SleepForever returns only when its context is cancelled, with the
// cancellation error.
func TestSleepForever(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(1000 * time.Hour)
		var took time.Duration
		err := scope.Run(ctx, func(ctx context.Context) error {
			var err error
			took, err = scElapsed(func() error { return anyio.SleepForever(ctx) })
			if !scIsCancel(ctx, err) {
				t.Errorf("SleepForever: got %v, want a cancellation", err)
			}
			return err
		})
		if err != nil || !scope.CancelledCaught() || took != 1000*time.Hour {
			t.Errorf("got %v, caught=%v after %v; want nil, true after 1000h", err, scope.CancelledCaught(), took)
		}
		return nil
	}, anyiotest.Timeout(2000*time.Hour)) // the default (24h) is shorter than the scope's deadline
}

// The time functions work on plain contexts too: a plain deadline ends them
// with context.DeadlineExceeded.
func TestSleepPlainContext(t *testing.T) {
	// Plain contexts, no Run: a bare synctest bubble for the virtual clock.
	synctest.Test(t, func(t *testing.T) {
		if err := anyio.Sleep(context.Background(), time.Minute); err != nil {
			t.Errorf("Sleep(Background, 1m): got %v, want nil", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for name, f := range map[string]func() error{
			"Sleep":        func() error { return anyio.Sleep(ctx, time.Hour) },
			"SleepUntil":   func() error { return anyio.SleepUntil(ctx, time.Now().Add(time.Hour)) },
			"SleepForever": func() error { return anyio.SleepForever(ctx) },
		} {
			err := f()
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, ctx.Err()) {
				t.Errorf("%s with a 1m plain deadline: got %v, want a cancellation matching context.DeadlineExceeded", name, err)
			}
		}
	})
}

// CurrentTime is monotonic: it never goes back, it carries the monotonic
// clock reading, and it advances with sleeps.
func TestCurrentTime(t *testing.T) {
	prev := anyio.CurrentTime()
	if !strings.Contains(prev.String(), "m=") {
		t.Errorf("CurrentTime() = %v, want a monotonic clock reading (m=...)", prev)
	}
	for range 1000 {
		now := anyio.CurrentTime()
		if now.Before(prev) {
			t.Fatalf("CurrentTime went back: %v after %v", now, prev)
		}
		prev = now
	}
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		before := anyio.CurrentTime()
		if err := anyio.Sleep(ctx, 10*time.Second); err != nil {
			return err
		}
		if got := anyio.CurrentTime().Sub(before); got != 10*time.Second {
			t.Errorf("CurrentTime advanced %v over Sleep(10s), want 10s", got)
		}
		return nil
	})
}

// A sleep cut short by a cancellation returns at once, not at its end.
func TestSleepCancelledEarly(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var took time.Duration
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				var err error
				took, err = scElapsed(func() error { return anyio.Sleep(ctx, time.Hour) })
				return err
			})
			if err := anyio.Sleep(ctx, time.Minute); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil || took != time.Minute {
			t.Errorf("got %v, child slept %v; want nil, 1m", err, took)
		}
		return nil
	})
}

// scElapsed runs body and returns how much (virtual) time it took and its
// error.
func scElapsed(body func() error) (time.Duration, error) {
	start := time.Now()
	err := body()
	return time.Since(start), err
}
