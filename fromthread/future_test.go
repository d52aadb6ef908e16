package fromthread_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fromthread"
)

// Port of AnyIO's test_start_task_soon.
func TestStartTaskSoon(t *testing.T) {
	p := startPortal(t)
	event1, _ := fromthread.Call(p, func(context.Context) (*anyio.Event, error) { return anyio.NewEvent(), nil })
	event2, _ := fromthread.Call(p, func(context.Context) (*anyio.Event, error) { return anyio.NewEvent(), nil })
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (string, error) {
		if err := event1.Wait(ctx); err != nil {
			return "", err
		}
		event2.Set()
		return "test", nil
	})
	if _, err := fromthread.Call(p, func(context.Context) (struct{}, error) { event1.Set(); return struct{}{}, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) { return struct{}{}, event2.Wait(ctx) }); err != nil {
		t.Fatal(err)
	}
	<-f.Done()
	if v, err := f.Result(); v != "test" || err != nil {
		t.Errorf("Result = %q, %v; want \"test\", nil", v, err)
	}
}

// Port of AnyIO's test_start_task_soon_cancel_later.
func TestStartTaskSoonCancelLater(t *testing.T) {
	p := startPortal(t)
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (int, error) { return 1, anyio.Sleep(ctx, time.Hour) })
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) { return struct{}{}, anyio.WaitAllTasksBlocked(ctx) }); err != nil {
		t.Fatal(err)
	}
	f.Cancel()
	if v, err := f.Result(); v != 0 || !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Result after Cancel = %d, %v; want 0 and a cancellation error", v, err)
	}
}

// Port of AnyIO's test_start_task_soon_cancel_immediately: the task sees
// the cancellation.
func TestStartTaskSoonCancelImmediately(t *testing.T) {
	p := startPortal(t)
	var cancelled atomic.Bool
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (int, error) {
		err := anyio.Sleep(ctx, 3*time.Second)
		cancelled.Store(errors.Is(err, anyio.ErrCancelled))
		return 1, err
	})
	f.Cancel()
	if _, err := f.Result(); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Result = %v, want a cancellation error", err)
	}
	if !cancelled.Load() {
		t.Error("the task did not see its cancellation")
	}
}

// Port of AnyIO's test_start_task_soon_cancel_after_stop: a portal stopped
// from one of its own tasks (Stop returns at once there) still runs its
// tasks, which can still be cancelled.
func TestStartTaskSoonCancelAfterStop(t *testing.T) {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		t.Fatal(err)
	}
	var cancelled atomic.Bool
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (struct{}, error) {
		err := anyio.Sleep(ctx, 10*time.Second)
		cancelled.Store(errors.Is(err, anyio.ErrCancelled))
		return struct{}{}, err
	})
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) { return struct{}{}, anyio.WaitAllTasksBlocked(ctx) }); err != nil {
		t.Fatal(err)
	}
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) { return struct{}{}, p.Stop(ctx, false) }); err != nil {
		t.Fatalf("Stop from a task of the portal = %v", err)
	}
	f.Cancel()
	<-f.Done()
	if err := p.Stop(context.Background(), false); err != nil {
		t.Errorf("Stop = %v", err)
	}
	if !cancelled.Load() {
		t.Error("the task was not cancelled")
	}
}

// Ports of AnyIO's test_start_task_soon_with_name and test_start_with_name:
// tasks are named by TaskName, or after their function.
func TestPortalTaskNames(t *testing.T) {
	p := startPortal(t)
	name := func(ctx context.Context) (string, error) { return anyio.GetCurrentTask(ctx).Name, nil }
	if got, _ := fromthread.StartTaskSoon(p, name, anyio.TaskName("testname")).Result(); got != "testname" {
		t.Errorf("StartTaskSoon with TaskName: the task's name = %q, want \"testname\"", got)
	}
	if got, _ := fromthread.Call(p, taskNameOf); !strings.HasSuffix(got, "taskNameOf") {
		t.Errorf("Call: the task's name = %q, want the function's name", got)
	}
	_, got, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[string]) (int, error) {
		st.Started(anyio.GetCurrentTask(ctx).Name)
		return 0, nil
	}, anyio.TaskName("testname"))
	if got != "testname" || err != nil {
		t.Errorf("StartTask with TaskName: the task's name = %q, %v; want \"testname\"", got, err)
	}
}

func taskNameOf(ctx context.Context) (string, error) { return anyio.GetCurrentTask(ctx).Name, nil }

// Ports of AnyIO's test_start_no_value, test_start_with_value,
// test_start_crash_before_started_call, test_start_crash_after_started_call
// and test_start_no_started_call.
func TestStartTask(t *testing.T) {
	p := startPortal(t)
	errFoo := errors.New("foo")
	t.Run("no value", func(t *testing.T) {
		f, v, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[any]) (any, error) {
			st.Started(nil)
			return nil, nil
		})
		if v != nil || err != nil {
			t.Fatalf("StartTask = %v, %v; want nil, nil", v, err)
		}
		if r, err := f.Result(); r != nil || err != nil {
			t.Errorf("Result = %v, %v; want nil, nil", r, err)
		}
	})
	t.Run("with value", func(t *testing.T) {
		f, v, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[string]) (int, error) {
			st.Started("foo")
			return 5, nil
		})
		if v != "foo" || err != nil {
			t.Fatalf("StartTask = %q, %v; want \"foo\", nil", v, err)
		}
		if r, err := f.Result(); r != 5 || err != nil {
			t.Errorf("Result = %d, %v; want 5, nil", r, err)
		}
	})
	t.Run("crash before started", func(t *testing.T) {
		f, _, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (int, error) {
			return 0, errFoo
		})
		if f != nil || err != errFoo {
			t.Errorf("StartTask = %v, %v; want nil, %v", f, err, errFoo)
		}
	})
	t.Run("crash after started", func(t *testing.T) {
		f, v, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (int, error) {
			st.Started(2)
			return 0, errFoo
		})
		if v != 2 || err != nil {
			t.Fatalf("StartTask = %d, %v; want 2, nil", v, err)
		}
		if _, err := f.Result(); err != errFoo {
			t.Errorf("Result = %v, want %v", err, errFoo)
		}
		// The failure went to the future only: the portal still works.
		if v, err := fromthread.Call(p, asyncAdd(1, 2)); v != 3 || err != nil {
			t.Errorf("Call after a failed task = %d, %v; want 3, nil", v, err)
		}
	})
	t.Run("no started call", func(t *testing.T) {
		_, _, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (int, error) {
			return 0, nil
		})
		if !errors.Is(err, anyio.ErrNeverStarted) {
			t.Errorf("StartTask = %v, want ErrNeverStarted", err)
		}
	})
	t.Run("panic before started", func(t *testing.T) {
		// A panic fails the portal's group too: use a portal of its own.
		p, err := fromthread.StartBlockingPortal()
		if err != nil {
			t.Fatal(err)
		}
		var pe *anyio.PanicError
		func() {
			defer func() { pe, _ = recover().(*anyio.PanicError) }()
			_, _, _ = fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (int, error) {
				panic("boom")
			})
		}()
		if pe == nil || pe.Value != "boom" {
			t.Errorf("StartTask re-panicked with %v, want the task's *anyio.PanicError", pe)
		}
		func() {
			defer func() {
				if r := recover(); r != pe {
					t.Errorf("Stop re-panicked with %v, want the same *anyio.PanicError", r)
				}
			}()
			_ = p.Stop(context.Background(), false)
		}()
	})
}
