package anyio_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// The zero time means "no deadline" wherever a deadline is given, as None
// does for AnyIO's move_on_at and fail_at (test_move_on_at_no_timeout,
// test_fail_at_no_timeout) and as it does for net.Conn.SetDeadline.
func TestZeroTimeMeansNoDeadline(t *testing.T) {
	scopes := map[string]func() *anyio.CancelScope{
		"MoveOnAt":        func() *anyio.CancelScope { return anyio.MoveOnAt(time.Time{}) },
		"FailAt":          func() *anyio.CancelScope { return anyio.FailAt(time.Time{}) },
		"Deadline option": func() *anyio.CancelScope { return anyio.NewCancelScope(anyio.Deadline(time.Time{})) },
	}
	for name, mk := range scopes {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s := mk()
				if d, ok := s.Deadline(); ok {
					t.Errorf("Deadline() before Run: got %v, true; want no deadline", d)
				}
				err := s.Run(ctx, func(ctx context.Context) error {
					if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
						t.Errorf("CurrentEffectiveDeadline: got %v, want none", d)
					}
					if err := lowlevel.Checkpoint(ctx); err != nil {
						t.Errorf("Checkpoint: got %v, want nil (no deadline, nothing cancelled)", err)
					}
					return nil
				})
				if err != nil || s.CancelledCaught() || s.CancelCalled() {
					t.Errorf("Run: got %v, CancelledCaught()=%v, CancelCalled()=%v; want nil, false, false", err, s.CancelledCaught(), s.CancelCalled())
				}
				return nil
			})
		})
	}
}

// SetDeadline with the zero time removes the deadline, also after the scope
// was entered: the earlier deadline no longer applies.
func TestSetDeadlineZeroClears(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.MoveOnAfter(time.Hour)
		err := s.Run(ctx, func(ctx context.Context) error {
			if _, ok := anyio.CurrentEffectiveDeadline(ctx); !ok {
				t.Error("CurrentEffectiveDeadline inside MoveOnAfter(1h): got none, want one")
			}
			s.SetDeadline(time.Time{})
			if d, ok := s.Deadline(); ok {
				t.Errorf("Deadline() after SetDeadline(zero): got %v, true; want none", d)
			}
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
				t.Errorf("CurrentEffectiveDeadline after SetDeadline(zero): got %v, want none", d)
			}
			// A past deadline set afterwards still cancels at once.
			s.SetDeadline(time.Now().Add(-time.Second))
			return anyio.SleepForever(ctx)
		})
		if err != nil || !s.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught()=%v; want nil, true", err, s.CancelledCaught())
		}
		return nil
	})
}
