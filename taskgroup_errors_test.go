package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// Task group tests: the errors of a group's tasks, their order and nesting,
// and how one failure cancels the rest.

// tgAsyncError returns a child that, like AnyIO's async_error helper, waits
// until it is cancelled and then fails with err.
func tgAsyncError(err error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_ = anyio.SleepForever(ctx)
		return err
	}
}

func TestTaskGroupErrorsInOrderOfOccurrence(t *testing.T) {
	first, second, third := errors.New("first"), errors.New("second"), errors.New("third")
	cases := []struct {
		name string
		body func(ctx context.Context, tg *anyio.TaskGroup) error
		want []error
	}{
		{
			name: "one child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error { return first })
				return nil
			},
			want: []error{first},
		},
		{
			name: "body",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever) // cancelled; not an error of the group
				return first
			},
			want: []error{first},
		},
		{
			name: "two children",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(tgAsyncError(second))
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					return first
				})
				return nil
			},
			want: []error{first, second},
		},
		{
			name: "body then child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(tgAsyncError(second))
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return first
			},
			want: []error{first, second},
		},
		{
			name: "child then body then child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					return first
				})
				_ = anyio.SleepForever(ctx)
				// The body fails in its cleanup, after it started a last
				// child that fails once the host is joining (its wait is
				// shielded, as the group is cancelled by now).
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, anyio.WaitAllTasksBlocked)
					if err != nil {
						return err
					}
					return third
				})
				return second
			},
			want: []error{first, second, third},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			anyiotest.Run(t, func(ctx context.Context) error {
				err = anyio.WithTaskGroup(ctx, tc.body)
				return nil
			})
			eg := tgAsGroup(t, "WithTaskGroup", err)
			if !slices.Equal(eg.Errors, tc.want) {
				t.Fatalf("WithTaskGroup errors: got %v, want %v", eg.Errors, tc.want)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(WithTaskGroup error, %v) = false, want true", w)
				}
				if !strings.Contains(err.Error(), w.Error()) {
					t.Errorf("WithTaskGroup error message %q does not mention %q", err.Error(), w)
				}
			}
			if errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("WithTaskGroup error %v matches ErrCancelled: the group's own cancellations must be filtered out", err)
			}
		})
	}
}

type tgCodeError struct{ code int }

func (e *tgCodeError) Error() string { return fmt.Sprintf("code %d", e.code) }

func TestTaskGroupErrorsAs(t *testing.T) {
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return fmt.Errorf("wrapped: %w", &tgCodeError{7}) })
		return nil
	})
	var ce *tgCodeError
	if !errors.As(err, &ce) || ce.code != 7 {
		t.Fatalf("errors.As(WithTaskGroup error, *tgCodeError): got %v (%v), want code 7", ce, err)
	}
}

// TestTaskGroupKeepsErrorsJoinedWithCancellation: an error that merely
// travels together with a cancellation is not a cancellation and must not be
// dropped by the group.
func TestTaskGroupKeepsErrorsJoinedWithCancellation(t *testing.T) {
	cleanup := errors.New("cleanup failed")
	for _, tc := range []struct {
		name string
		join func(cancelErr error) error
	}{
		{"errors.Join", func(c error) error { return errors.Join(cleanup, c) }},
		{"ExceptionGroup", func(c error) error { return &anyio.ExceptionGroup{Errors: []error{c, cleanup}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					return tc.join(anyio.SleepForever(ctx))
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			if !errors.Is(err, cleanup) {
				t.Fatalf("WithTaskGroup: got %v, want an error matching %q", err, cleanup)
			}
		})
	}
}

// TestTaskGroupDropsCancellationOnlyErrors: errors made only of
// cancellations caused by the group's scope are filtered out, however they
// are wrapped or grouped (AnyIO's test_reraise_cancelled_in_excgroup).
func TestTaskGroupDropsCancellationOnlyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(cancelErr error) error
	}{
		{"bare", func(c error) error { return c }},
		{"fmt.Errorf %w", func(c error) error { return fmt.Errorf("receive: %w", c) }},
		{"errors.Join", func(c error) error { return errors.Join(c, c) }},
		{"ExceptionGroup", func(c error) error { return &anyio.ExceptionGroup{Errors: []error{c}} }},
		{"context.Canceled", func(c error) error { return fmt.Errorf("http: %w", context.Canceled) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					return tc.wrap(anyio.SleepForever(ctx))
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return tc.wrap(lowlevel.Checkpoint(ctx))
			})
			if err != nil {
				t.Fatalf("WithTaskGroup: got %v, want nil", err)
			}
			if !tgScope.CancelledCaught() {
				t.Fatal("group scope CancelledCaught() = false, want true")
			}
		})
	}
}

// TestTaskGroupManyFailingChildren: every failure is kept, none twice.
func TestTaskGroupManyFailingChildren(t *testing.T) {
	const n = 100
	errs := make([]error, n)
	for i := range errs {
		errs[i] = fmt.Errorf("child %d failed", i)
	}
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		for _, e := range errs {
			tg.StartSoon(func(ctx context.Context) error { return e })
		}
		return nil
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != n {
		t.Fatalf("WithTaskGroup: got %d errors, want %d", len(eg.Errors), n)
	}
	for _, e := range errs {
		if !slices.Contains(eg.Errors, e) {
			t.Fatalf("WithTaskGroup errors lack %v", e)
		}
	}
}

func TestTaskGroupFailingChildCancelsHost(t *testing.T) {
	foo := errors.New("foo")
	var sleepErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return foo
		})
		sleepErr = anyio.Sleep(ctx, time.Hour)
		return sleepErr
	})
	if !errors.Is(sleepErr, anyio.ErrCancelled) {
		t.Errorf("body Sleep: got %v, want a cancellation", sleepErr)
	}
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
}

func TestTaskGroupFailingBodyCancelsChildren(t *testing.T) {
	foo := errors.New("foo")
	var sleepCompleted atomic.Bool
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			sleepCompleted.Store(true)
			return nil
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		return foo
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
	if sleepCompleted.Load() {
		t.Fatal("child's Sleep completed; want it cancelled by the failing body")
	}
}

func TestTaskGroupExceptionCancelsSiblings(t *testing.T) {
	foo := errors.New("foo")
	var sleepCompleted atomic.Bool
	child := func(fail bool) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if fail {
				return foo
			}
			if err := anyio.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			sleepCompleted.Store(true)
			return nil
		}
	}
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(child(false))
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.StartSoon(child(true))
		return nil
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
	if sleepCompleted.Load() {
		t.Fatal("sibling's Sleep completed; want it cancelled")
	}
}

// TestTaskGroupNestedErrors: nested groups give nested groups, with every
// cancellation filtered out (AnyIO's test_nested_task_group_filtering).
func TestTaskGroupNestedErrors(t *testing.T) {
	parentFailed := errors.New("parent task failed")
	childFailed := errors.New("child task failed")
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return parentFailed
		})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg2 *anyio.TaskGroup) error {
			tg2.StartSoon(tgAsyncError(childFailed))
			return anyio.Sleep(ctx, time.Hour)
		})
	})
	eg := tgAsGroup(t, "outer WithTaskGroup", err)
	if len(eg.Errors) != 2 || eg.Errors[0] != parentFailed {
		t.Fatalf("outer errors: got %v, want [parent task failed, group(child task failed)]", eg.Errors)
	}
	inner, ok := eg.Errors[1].(*anyio.ExceptionGroup)
	if !ok {
		t.Fatalf("outer errors[1]: got %T %v, want *anyio.ExceptionGroup", eg.Errors[1], eg.Errors[1])
	}
	if len(inner.Errors) != 1 || inner.Errors[0] != childFailed {
		t.Fatalf("inner errors: got %v, want [child task failed]", inner.Errors)
	}
	if !errors.Is(err, childFailed) {
		t.Error("errors.Is(outer error, childFailed) = false, want true")
	}
	if errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("outer error %v contains a cancellation, want them filtered out", err)
	}
}
