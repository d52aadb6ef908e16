package anyio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// TaskGroup.Cancel is the shortcut for cancelling the group's scope
// (AnyIO 4.14's TaskGroup.cancel, test_taskgroup_cancel): the body and every
// child are cancelled, and the group swallows its own cancellation.
func TestTaskGroupCancelShortcut(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var bodyErr error
		childDone := anyio.NewEvent()
		var childErr error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer childDone.Set()
				childErr = anyio.SleepForever(ctx)
				return childErr
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.Cancel()
			if !tg.CancelScope().CancelCalled() {
				t.Error("CancelScope().CancelCalled() after Cancel: got false, want true")
			}
			bodyErr = lowlevel.Checkpoint(ctx)
			return bodyErr
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil (the group's own cancellation is swallowed)", err)
		}
		if !childDone.IsSet() || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("child: got %v, want a cancellation error", childErr)
		}
		if !errors.Is(bodyErr, anyio.ErrCancelled) {
			t.Errorf("body's Checkpoint after Cancel: got %v, want a cancellation error", bodyErr)
		}
		if ctx.Err() != nil {
			t.Error("the enclosing task was cancelled too; want only the group's scope cancelled")
		}
		return nil
	})
}

// TaskGroup.CancelWithReason passes its reason to the tasks' cancellation
// errors and to context.Cause; only the first reason is kept.
func TestTaskGroupCancelWithReason(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var childErr, cause error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				childErr = anyio.SleepForever(ctx)
				cause = context.Cause(ctx)
				return childErr
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelWithReason("deploy finished")
			tg.CancelWithReason("second reason")
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if childErr == nil || !strings.Contains(childErr.Error(), "deploy finished") || strings.Contains(childErr.Error(), "second reason") {
			t.Errorf("child's SleepForever: got %v, want a cancellation naming only the first reason", childErr)
		}
		if cause == nil || !strings.Contains(cause.Error(), "deploy finished") {
			t.Errorf("context.Cause in the child: got %v, want the reason", cause)
		}
		return nil
	})
}

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
