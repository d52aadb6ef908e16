package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// wantStatus fails the test if h's status is not want.
func wantStatus[T any](t *testing.T, h *anyio.TaskHandle[T], want anyio.TaskStatusCode) {
	t.Helper()
	if got := h.Status(); got != want {
		t.Errorf("%s: Status() = %v, want %v", h.Name(), got, want)
	}
}

// wantTaskFailed fails the test unless err is a *TaskFailedError wrapping
// cause (compared with errors.Is) and naming the task name.
func wantTaskFailed(t *testing.T, what string, err error, name string, cause error) *anyio.TaskFailedError {
	t.Helper()
	var tf *anyio.TaskFailedError
	if !errors.As(err, &tf) {
		t.Fatalf("%s: got %v (%T), want a *anyio.TaskFailedError", what, err, err)
	}
	if tf.Task != name {
		t.Errorf("%s: TaskFailedError.Task = %q, want %q", what, tf.Task, name)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("%s: got %v, want it to wrap %v", what, err, cause)
	}
	return tf
}

// Ports AnyIO's TestCreateTask.test_return_value.
func TestCreateTaskReturnValue(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var h *anyio.TaskHandle[int]
		release := anyio.NewEvent()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				if err := release.Wait(ctx); err != nil {
					return 0, err
				}
				return 2 + 4, nil
			})
			if _, err := h.Result(); !errors.Is(err, anyio.ErrTaskNotFinished) {
				t.Errorf("Result of a running task: got %v, want ErrTaskNotFinished", err)
			}
			wantStatus(t, h, anyio.TaskPending)
			if !strings.Contains(h.String(), "pending") {
				t.Errorf("String() = %q, want it to say pending", h.String())
			}
			release.Set()
			v, err := h.Wait(ctx)
			if v != 6 || err != nil {
				t.Errorf("Wait = %v, %v; want 6, nil", v, err)
			}
			wantStatus(t, h, anyio.TaskFinished)
			if !strings.Contains(h.String(), "finished") {
				t.Errorf("String() = %q, want it to say finished", h.String())
			}
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup = %v, want nil", err)
		}
		if v, err := h.Result(); v != 6 || err != nil {
			t.Errorf("Result after the group = %v, %v; want 6, nil", v, err)
		}
		return nil
	})
}

// Ports AnyIO's TestCreateTask.test_exception: the error reaches both the
// handle (as TaskFailedError) and the group.
func TestCreateTaskError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("dummy error")
		var h *anyio.TaskHandle[int]
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			// The task fails once the body waits for it: a Wait that came
			// after the failure would meet the group's cancellation first.
			h = anyio.CreateTask(tg, failOnceBlocked(boom), anyio.TaskName("failing"))
			_, err := h.Wait(ctx)
			wantTaskFailed(t, "Wait", err, "failing", boom)
			wantStatus(t, h, anyio.TaskFailed)
			if !strings.Contains(h.String(), "failed") {
				t.Errorf("String() = %q, want it to say failed", h.String())
			}
			return nil
		})
		eg := tgAsGroup(t, "WithTaskGroup", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != boom {
			t.Errorf("WithTaskGroup errors = %v, want [%v]", eg.Errors, boom)
		}
		_, rerr := h.Result()
		if tf := wantTaskFailed(t, "Result", rerr, "failing", boom); tf.Err != boom {
			t.Errorf("TaskFailedError.Err = %v, want %v", tf.Err, boom)
		}
		return nil
	})
}

// failOnceBlocked returns a task function that fails with err once every
// other task is blocked (its waiters have parked).
func failOnceBlocked(err error) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if werr := anyio.WaitAllTasksBlocked(ctx); werr != nil {
			return 0, werr
		}
		return 0, err
	}
}

// A failing handle's task fails its group, which cancels the others.
func TestCreateTaskErrorCancelsGroup(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		var other *anyio.TaskHandle[int]
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			other = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				return 0, anyio.SleepForever(ctx)
			})
			anyio.CreateTask(tg, func(ctx context.Context) (int, error) { return 0, boom })
			return nil
		})
		eg := tgAsGroup(t, "WithTaskGroup", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != boom {
			t.Errorf("WithTaskGroup errors = %v, want [%v]", eg.Errors, boom)
		}
		wantStatus(t, other, anyio.TaskCancelled)
		if _, err := other.Result(); err != anyio.ErrTaskCancelled {
			t.Errorf("Result of the task the group cancelled = %v, want ErrTaskCancelled", err)
		}
		return nil
	})
}

// Ports AnyIO's TestCreateTask.test_base_exception: a panicking task's handle
// is failed, and the group re-raises the panic.
func TestCreateTaskPanic(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var h *anyio.TaskHandle[int]
		var waitErr error
		release := anyio.NewEvent()
		r := tgMustPanic(t, "WithTaskGroup", func() {
			_ = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				h = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
					if err := release.Wait(ctx); err != nil {
						return 0, err
					}
					panic("exit 5")
				}, anyio.TaskName("panicky"))
				// A waiter parked before the panic is handed the outcome
				// before the panic cancels the group.
				tg.StartSoon(func(ctx context.Context) error {
					_, waitErr = h.Wait(ctx)
					return nil
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				release.Set()
				return nil
			})
		})
		pe, ok := r.(*anyio.PanicError)
		if !ok || pe.Value != "exit 5" {
			t.Fatalf("WithTaskGroup panicked with %v (%T), want a *PanicError of \"exit 5\"", r, r)
		}
		tf := wantTaskFailed(t, "Wait", waitErr, "panicky", nil)
		if tf.Err != pe {
			t.Errorf("TaskFailedError.Err = %v, want the *PanicError the group re-raised", tf.Err)
		}
		wantStatus(t, h, anyio.TaskFailed)
		return nil
	})
}

// A task that calls runtime.Goexit fails its handle with a *GoexitError.
func TestCreateTaskGoexit(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var h *anyio.TaskHandle[int]
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				runtime.Goexit()
				return 1, nil
			}, anyio.TaskName("quitter"))
			return nil
		})
		var ge *anyio.GoexitError
		if !errors.As(err, &ge) {
			t.Errorf("WithTaskGroup = %v, want a *GoexitError in it", err)
		}
		_, rerr := h.Result()
		tf := wantTaskFailed(t, "Result", rerr, "quitter", nil)
		if !errors.As(tf, &ge) || ge.Task != "quitter" {
			t.Errorf("TaskFailedError.Err = %v, want a *GoexitError of task quitter", tf.Err)
		}
		return nil
	})
}

// Ports AnyIO's TestCreateTask.test_cancel (wait_until_running True and
// False): Cancel stops that task only, and the group does not see it.
func TestCreateTaskCancel(t *testing.T) {
	for _, untilRunning := range []bool{true, false} {
		name := "right after CreateTask"
		if untilRunning {
			name = "once blocked"
		}
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var started atomic.Bool
				never, proceed := anyio.NewEvent(), anyio.NewEvent()
				var h *anyio.TaskHandle[int]
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					h = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
						started.Store(true)
						err := never.Wait(ctx)
						// Stay cancelling until the body has looked.
						_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, proceed.Wait)
						return 0, err
					})
					if untilRunning {
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
					}
					h.Cancel()
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					wantStatus(t, h, anyio.TaskCancelling)
					if !strings.Contains(h.String(), "cancelling") {
						t.Errorf("String() = %q, want it to say cancelling", h.String())
					}
					if _, err := h.Result(); err != anyio.ErrTaskCancelled {
						t.Errorf("Result while cancelling = %v, want ErrTaskCancelled", err)
					}
					proceed.Set()
					if _, err := h.Wait(ctx); err != anyio.ErrTaskCancelled {
						t.Errorf("Wait = %v, want ErrTaskCancelled", err)
					}
					if ctx.Err() != nil {
						t.Errorf("the group's context is cancelled (%v); Cancel must cancel the task only", ctx.Err())
					}
					return nil
				})
				if err != nil {
					t.Errorf("WithTaskGroup = %v, want nil: a handle's cancellation is not the group's", err)
				}
				if _, err := h.Wait(ctx); err != anyio.ErrTaskCancelled {
					t.Errorf("Wait after the group = %v, want ErrTaskCancelled", err)
				}
				if errors.Is(anyio.ErrTaskCancelled, anyio.ErrCancelled) {
					t.Errorf("ErrTaskCancelled matches ErrCancelled; a waiter was not cancelled itself")
				}
				wantStatus(t, h, anyio.TaskCancelled)
				if !started.Load() {
					t.Errorf("the cancelled task never ran; it should run up to its first blocking call")
				}
				return nil
			})
		})
	}
}

// Cancel affects that task alone: its sibling runs on and finishes.
func TestCreateTaskCancelOnlyThatTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		release := anyio.NewEvent()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			victim := anyio.CreateTask(tg, func(ctx context.Context) (int, error) { return 0, anyio.SleepForever(ctx) })
			sibling := anyio.CreateTask(tg, func(ctx context.Context) (string, error) {
				if err := release.Wait(ctx); err != nil {
					return "", err
				}
				return "done", nil
			})
			victim.Cancel()
			if _, err := victim.Wait(ctx); err != anyio.ErrTaskCancelled {
				t.Errorf("victim Wait = %v, want ErrTaskCancelled", err)
			}
			wantStatus(t, sibling, anyio.TaskPending)
			release.Set()
			if v, err := sibling.Wait(ctx); v != "done" || err != nil {
				t.Errorf("sibling Wait = %q, %v; want done, nil", v, err)
			}
			return nil
		})
	})
}

// Cancel of a finished task changes nothing; a task that ignores its
// cancellation and returns a value is finished.
func TestCreateTaskCancelAfterwards(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h := anyio.CreateTask(tg, func(ctx context.Context) (int, error) { return 7, nil })
			if v, err := h.Wait(ctx); v != 7 || err != nil {
				t.Errorf("Wait = %v, %v; want 7, nil", v, err)
			}
			h.Cancel()
			wantStatus(t, h, anyio.TaskFinished)

			stubborn := anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 8, nil
			})
			stubborn.Cancel()
			if v, err := stubborn.Wait(ctx); v != 8 || err != nil {
				t.Errorf("Wait of a task that ignored Cancel = %v, %v; want 8, nil", v, err)
			}
			wantStatus(t, stubborn, anyio.TaskFinished)
			return nil
		})
	})
}

// A handle whose group (not the handle) is cancelled stays pending until the
// task returns, then is cancelled.
func TestCreateTaskGroupCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var h *anyio.TaskHandle[int]
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			proceed := anyio.NewEvent()
			h = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				err := anyio.SleepForever(ctx)
				// Stay unfinished until the body has looked.
				_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, proceed.Wait)
				return 0, err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.Cancel()
			return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				wantStatus(t, h, anyio.TaskPending)
				proceed.Set()
				return nil
			})
		})
		if err != nil {
			t.Errorf("WithTaskGroup = %v, want nil (its own cancellation)", err)
		}
		wantStatus(t, h, anyio.TaskCancelled)
		if _, err := h.Wait(ctx); err != anyio.ErrTaskCancelled {
			t.Errorf("Wait = %v, want ErrTaskCancelled", err)
		}
		return nil
	})
}

// Ports AnyIO's TestCreateTask.test_wait: Wait may be called again after the
// group exits, and reports the same outcome.
func TestCreateTaskWaitAgain(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("dummy error")
		var h *anyio.TaskHandle[int]
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h = anyio.CreateTask(tg, failOnceBlocked(boom))
			wantStatus(t, h, anyio.TaskPending)
			_, err := h.Wait(ctx)
			wantTaskFailed(t, "first Wait", err, h.Name(), boom)
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("WithTaskGroup = %v, want it to hold %v", err, boom)
		}
		for i := range 3 {
			_, err := h.Wait(ctx)
			wantTaskFailed(t, fmt.Sprintf("Wait #%d", i+1), err, h.Name(), boom)
		}
		wantStatus(t, h, anyio.TaskFailed)
		return nil
	})
}

// A handle can be waited on from many tasks at once, and from a goroutine
// outside anyio with a plain context.
func TestCreateTaskManyWaiters(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		release := anyio.NewEvent()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h := anyio.CreateTask(tg, func(ctx context.Context) (string, error) {
				if err := release.Wait(ctx); err != nil {
					return "", err
				}
				return "result", nil
			})
			const waiters = 5
			got := make([]string, waiters+1)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := h.Wait(context.Background())
				if err != nil {
					t.Errorf("Wait with a plain context: %v", err)
				}
				got[waiters] = v
			}()
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, waitGroup *anyio.TaskGroup) error {
				for i := range waiters {
					waitGroup.StartSoon(func(ctx context.Context) error {
						v, err := h.Wait(ctx)
						got[i] = v
						return err
					})
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				release.Set()
				return nil
			})
			wg.Wait()
			if err != nil {
				return err
			}
			for i, v := range got {
				if v != "result" {
					t.Errorf("waiter %d got %q, want result", i, v)
				}
			}
			for range 2 {
				if v, err := h.Wait(ctx); v != "result" || err != nil {
					t.Errorf("Wait by the body = %q, %v; want result, nil", v, err)
				}
			}
			return nil
		})
	})
}

// Waiting on a handle counts as blocked for WaitAllTasksBlocked, and
// DumpTasks names the wait.
func TestCreateTaskWaitIsBlocked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		release := anyio.NewEvent()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h := anyio.CreateTask(tg, func(ctx context.Context) (int, error) { return 1, release.Wait(ctx) })
			tg.StartSoon(func(ctx context.Context) error {
				_, err := h.Wait(ctx)
				return err
			}, anyio.TaskName("waiter"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			if err := anyio.DumpTasks(ctx, &dump); err != nil {
				return err
			}
			if !strings.Contains(dump.String(), "TaskHandle.Wait") {
				t.Errorf("DumpTasks does not show the waiter in TaskHandle.Wait:\n%s", dump.String())
			}
			release.Set()
			return nil
		})
	})
}

// Wait with a cancelled context returns a cancellation error, not
// ErrTaskCancelled, and leaves the task running.
func TestCreateTaskWaitCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		release := anyio.NewEvent()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h := anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				if err := release.Wait(ctx); err != nil {
					return 0, err
				}
				return 3, nil
			})
			var waitErr error
			scope := anyio.NewCancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, waitErr = h.Wait(ctx)
					return waitErr
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if !errors.Is(waitErr, anyio.ErrCancelled) || errors.Is(waitErr, anyio.ErrTaskCancelled) {
				t.Errorf("Wait in a cancelled scope = %v, want a cancellation error", waitErr)
			}
			wantStatus(t, h, anyio.TaskPending)
			release.Set()
			if v, err := h.Wait(ctx); v != 3 || err != nil {
				t.Errorf("Wait = %v, %v; want 3, nil", v, err)
			}
			return nil
		})
	})
}

// Ports AnyIO's test_task_name_default and test_task_name_custom_name for
// create_task: the handle's name is the task's.
func TestCreateTaskName(t *testing.T) {
	tests := []struct {
		name string
		opts []anyio.TaskOption
		want string
	}{
		{"default", nil, "anyio_test.taskNameOf"},
		{"custom", []anyio.TaskOption{anyio.TaskName("custom name")}, "custom name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					h := anyio.CreateTask(tg, taskNameOf, tt.opts...)
					got, err := h.Wait(ctx)
					if err != nil {
						return err
					}
					if !strings.HasSuffix(got, tt.want) || h.Name() != got {
						t.Errorf("task name %q, Name() %q; want both to end in %q", got, h.Name(), tt.want)
					}
					return nil
				})
			})
		})
	}
}

func taskNameOf(ctx context.Context) (string, error) { return anyio.GetCurrentTask(ctx).Name, nil }

// The task sees the values of the context given to WithTaskGroup, as a
// StartSoon child does (AnyIO's test_custom_context has no other
// counterpart: Go passes values in ctx).
func TestCreateTaskContextValues(t *testing.T) {
	type key struct{}
	anyiotest.Run(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, key{}, 42)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			h := anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
				v, _ := ctx.Value(key{}).(int)
				return v, nil
			})
			if v, err := h.Wait(ctx); v != 42 || err != nil {
				t.Errorf("Wait = %v, %v; want 42, nil", v, err)
			}
			return nil
		})
	})
}

// CreateTask on a group that has exited panics, as StartSoon does (AnyIO's
// test_already_closed).
func TestCreateTaskInactiveGroup(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var tg *anyio.TaskGroup
		if err := anyio.WithTaskGroup(ctx, func(_ context.Context, g *anyio.TaskGroup) error {
			tg = g
			return nil
		}); err != nil {
			return err
		}
		r := tgMustPanic(t, "CreateTask", func() {
			anyio.CreateTask(tg, func(context.Context) (int, error) { return 0, nil })
		})
		if s, _ := r.(string); !strings.Contains(s, "no longer active") {
			t.Errorf("CreateTask panicked with %v, want a message that the group is no longer active", r)
		}
		return nil
	})
}

func TestTaskStatusCodeString(t *testing.T) {
	tests := []struct {
		s    anyio.TaskStatusCode
		want string
	}{
		{anyio.TaskPending, "pending"},
		{anyio.TaskCancelling, "cancelling"},
		{anyio.TaskFinished, "finished"},
		{anyio.TaskFailed, "failed"},
		{anyio.TaskCancelled, "cancelled"},
		{anyio.TaskStatusCode(42), "TaskStatusCode(42)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("TaskStatusCode(%d).String() = %q, want %q", int32(tt.s), got, tt.want)
		}
	}
	var zero anyio.TaskStatusCode
	if zero != anyio.TaskPending {
		t.Errorf("the zero TaskStatusCode is %v, want pending", zero)
	}
}

// Many handles, cancelled at random moments and waited on by several tasks
// each: every waiter sees the same outcome, and the status agrees with it.
func TestCreateTaskStress(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const tasks, waiters = 200, 3
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			hs := make([]*anyio.TaskHandle[int], tasks)
			for i := range hs {
				hs[i] = anyio.CreateTask(tg, func(ctx context.Context) (int, error) {
					if i%2 == 0 {
						return i, lowlevel.Checkpoint(ctx)
					}
					return i, anyio.SleepForever(ctx)
				})
			}
			type outcome struct {
				v   int
				err error
			}
			got := make([][waiters]outcome, tasks)
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, wg *anyio.TaskGroup) error {
				for i, h := range hs {
					for w := range waiters {
						wg.StartSoon(func(ctx context.Context) error {
							v, err := h.Wait(ctx)
							got[i][w] = outcome{v, err}
							return nil
						})
					}
				}
				for i := 1; i < tasks; i += 2 {
					hs[i].Cancel()
				}
				return nil
			})
			if err != nil {
				return err
			}
			for i, h := range hs {
				for w := 1; w < waiters; w++ {
					if got[i][w] != got[i][0] {
						t.Errorf("task %d: waiters saw %v and %v", i, got[i][0], got[i][w])
					}
				}
				o := got[i][0]
				switch h.Status() {
				case anyio.TaskFinished:
					if o.err != nil || o.v != i {
						t.Errorf("task %d finished, but Wait gave %v, %v", i, o.v, o.err)
					}
				case anyio.TaskCancelled:
					if o.err != anyio.ErrTaskCancelled {
						t.Errorf("task %d cancelled, but Wait gave %v, %v", i, o.v, o.err)
					}
				default:
					t.Errorf("task %d: Status() = %v after every waiter returned", i, h.Status())
				}
				if want := []anyio.TaskStatusCode{anyio.TaskFinished, anyio.TaskCancelled}[i%2]; h.Status() != want {
					t.Errorf("task %d: Status() = %v, want %v", i, h.Status(), want)
				}
			}
			return nil
		})
	})
}
