package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// These tests are about anyio.Run itself (its result, its context, its root
// task, several Runs), so they call it directly rather than through
// anyiotest.Run.

func TestRunReturnsError(t *testing.T) {
	boom := errors.New("boom")
	if err := anyio.Run(context.Background(), func(ctx context.Context) error { return boom }); err != boom {
		t.Errorf("Run: got %v, want boom itself", err)
	}
}

// Run and WithTaskGroup return an untyped nil on success, so that err == nil
// holds even after passing through an interface.
func TestRunReturnsUntypedNil(t *testing.T) {
	var err error = anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return nil })
			return nil
		})
	})
	if err != nil {
		t.Errorf("Run: got %#v, want an untyped nil", err)
	}
	err = anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			return anyio.SleepForever(ctx)
		})
	}, anyio.WithBackend("go"))
	if err != nil {
		t.Errorf("Run with a cancelled group inside: got %#v, want an untyped nil", err)
	}
}

func TestGetAllBackends(t *testing.T) {
	got := anyio.GetAllBackends()
	if !slices.Equal(got, []string{"go"}) {
		t.Fatalf("GetAllBackends() = %q, want [\"go\"]", got)
	}
	got[0] = "changed"
	if again := anyio.GetAllBackends(); !slices.Equal(again, []string{"go"}) {
		t.Errorf("GetAllBackends() after the caller changed its result = %q, want [\"go\"]", again)
	}
}

func TestRunBackend(t *testing.T) {
	for _, name := range anyio.GetAllBackends() {
		called := false
		err := anyio.Run(context.Background(), func(ctx context.Context) error {
			called = true
			return nil
		}, anyio.WithBackend(name))
		if err != nil || !called {
			t.Errorf("Run(WithBackend(%q)): got %v, called=%v; want nil, true", name, err, called)
		}
	}
	for _, name := range []string{"asyncio", "trio", "somebackend", "Go"} {
		called := false
		err := anyio.Run(context.Background(), func(ctx context.Context) error {
			called = true
			return nil
		}, anyio.WithBackend(name))
		if !errors.Is(err, anyio.ErrBackendNotFound) {
			t.Errorf("Run(WithBackend(%q)): got %v, want ErrBackendNotFound", name, err)
		}
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("Run(WithBackend(%q)): error %q does not name the backend", name, err)
		}
		if called {
			t.Errorf("Run(WithBackend(%q)) called fn", name)
		}
	}
}

// The values of Run's context are visible in the root task and every child.
func TestRunContextValues(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, 42)
	err := anyio.Run(parent, func(ctx context.Context) error {
		if ctx.Value(key{}) != 42 {
			t.Errorf("root ctx.Value = %v, want 42", ctx.Value(key{}))
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.MoveOnAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
					if ctx.Value(key{}) != 42 {
						t.Errorf("child scope ctx.Value = %v, want 42", ctx.Value(key{}))
					}
					return nil
				})
			})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Cancelling Run's context cancels the run; the cancellation reaches Run's
// caller and is not swallowed by the scopes inside.
func TestRunCancelledByContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var scope *anyio.CancelScope
	err := anyio.Run(ctx, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				cancel()
				return nil
			})
			scope = anyio.MoveOnAfter(time.Hour)
			return scope.Run(ctx, anyio.SleepForever)
		})
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Run: got %v, want the context's cancellation", err)
	}
	if scope.CancelledCaught() {
		t.Errorf("MoveOnAfter scope caught the outside cancellation")
	}
}

// A Run whose context is already cancelled calls fn with a cancelled context.
func TestRunAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := anyio.Run(ctx, func(ctx context.Context) error {
		called = true
		return lowlevel.Checkpoint(ctx)
	})
	if !called || !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Run: got %v, called=%v; want a cancellation, true", err, called)
	}
}

// A context from signal.NotifyContext cancels a Run when the signal arrives.
func TestRunCancelledBySignal(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR1)
	defer stop()
	err := anyio.Run(ctx, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return syscall.Kill(os.Getpid(), syscall.SIGUSR1)
			})
			return anyio.SleepForever(ctx)
		})
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Run: got %v, want the signal context's cancellation", err)
	}
}

// A panic in fn goes through Run unchanged.
func TestRunPanic(t *testing.T) {
	defer func() {
		if r := recover(); r != "oops" {
			t.Errorf("recovered %v, want the panic value oops", r)
		}
	}()
	_ = anyio.Run(context.Background(), func(ctx context.Context) error { panic("oops") })
	t.Errorf("Run returned, want a panic")
}

// The root task of a Run: an ID, no parent, named after fn (AnyIO's
// test_main_task_name).
func TestRunRootTask(t *testing.T) {
	var info anyio.TaskInfo
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		info = anyio.GetCurrentTask(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == 0 || info.ParentID != 0 {
		t.Errorf("root TaskInfo = %+v, want a non-zero ID and ParentID 0", info)
	}
	if !strings.Contains(info.Name, "TestRunRootTask") {
		t.Errorf("root task name = %q, want it to contain the function name TestRunRootTask", info.Name)
	}
	_ = anyio.Run(context.Background(), runTestMainFunc)
	if want := "github.com/anyio-go/anyio_test.runTestMainFunc"; capturedRootName != want {
		t.Errorf("root task name = %q, want %q", capturedRootName, want)
	}
}

var capturedRootName string

func runTestMainFunc(ctx context.Context) error {
	capturedRootName = anyio.GetCurrentTask(ctx).Name
	return nil
}

// Runs are independent: each has its own tasks, and a Run inside a task is a
// Run of its own.
func TestRunsAreIndependent(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		outer := anyio.GetRunningTasks(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever, anyio.TaskName("outer sleeper"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			err := anyio.Run(ctx, func(ctx context.Context) error {
				tasks := anyio.GetRunningTasks(ctx)
				if len(tasks) != 1 || tasks[0].ParentID != 0 {
					t.Errorf("GetRunningTasks in a nested Run = %v, want its root only", tasks)
				}
				for _, o := range outer {
					if o.ID == tasks[0].ID {
						t.Errorf("nested Run's root has the ID %d of an outer task", o.ID)
					}
				}
				// The outer Run's tasks do not hold up this Run.
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(anyio.SleepForever)
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					tg.CancelScope().Cancel()
					return nil
				})
			})
			tg.CancelScope().Cancel()
			return err
		})
	})
}

// Several Runs at once, in parallel goroutines, do not interfere.
func TestConcurrentRuns(t *testing.T) {
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- anyio.Run(context.Background(), func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					for j := range 5 {
						tg.StartSoon(anyio.SleepForever, anyio.TaskName(fmt.Sprintf("run %d task %d", i, j)))
					}
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					if got := len(anyio.GetRunningTasks(ctx)); got != 6 {
						return fmt.Errorf("run %d: GetRunningTasks has %d tasks, want 6", i, got)
					}
					tg.CancelScope().Cancel()
					return nil
				})
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// The deadline of Run's context counts as the effective deadline inside.
func TestRunContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		pd, _ := parent.Deadline()
		start := time.Now()
		err := anyio.Run(parent, func(ctx context.Context) error {
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Equal(pd) {
				t.Errorf("CurrentEffectiveDeadline in Run = %v, %v; want the parent's %v", d, ok, pd)
			}
			return anyio.SleepForever(ctx)
		})
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) || time.Since(start) != time.Minute {
			t.Errorf("Run: got %v after %v, want the parent's deadline error after 1m", err, time.Since(start))
		}
	})
}
