package anyio_test

// Ports of AnyIO's task group and debugging tests (tests/test_taskgroups.py,
// tests/test_debugging.py) that had no Go counterpart yet, or only one that
// departs from the original's set-up. Each test names the AnyIO test it ports.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// AnyIO's test_cancel_native_future_tasks and
// test_cancel_native_future_tasks_cancel_scope. AnyIO's child awaits an
// asyncio future that knows nothing of AnyIO; the Go counterpart is a child
// blocked in a plain select on ctx.Done() that returns ctx.Err(). Cancelling
// the group must end it, and its context.Canceled is the group's own
// cancellation: the group reports nothing, and a cancel scope the child
// entered does not swallow what it did not cause.
func TestPortCancelNativeWaitTasks(t *testing.T) {
	for _, inScope := range []bool{false, true} {
		for _, waitFirst := range []bool{false, true} {
			name := "bare"
			if inScope {
				name = "in a cancel scope"
			}
			if waitFirst {
				name += "/cancelled while waiting"
			} else {
				name += "/cancelled at once"
			}
			t.Run(name, func(t *testing.T) {
				anyiotest.Run(t, func(ctx context.Context) error {
					waiting := make(chan struct{})
					var childErr error
					childScope := anyio.NewCancelScope()
					nativeWait := func(ctx context.Context) error {
						close(waiting)
						<-ctx.Done()
						childErr = ctx.Err()
						return childErr
					}
					var tgScope *anyio.CancelScope
					err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tgScope = tg.CancelScope()
						tg.StartSoon(func(ctx context.Context) error {
							if inScope {
								return childScope.Run(ctx, nativeWait)
							}
							return nativeWait(ctx)
						})
						if waitFirst {
							<-waiting
						}
						tg.CancelScope().Cancel()
						return nil
					})
					if err != nil {
						t.Errorf("WithTaskGroup: got %v, want nil", err)
					}
					if !errors.Is(childErr, context.Canceled) {
						t.Errorf("the child's native wait ended with %v, want context.Canceled", childErr)
					}
					if !tgScope.CancelledCaught() {
						t.Errorf("group scope CancelledCaught() = false, want true")
					}
					if inScope && (childScope.CancelledCaught() || childScope.CancelCalled()) {
						t.Errorf("child scope CancelCalled()=%v CancelledCaught()=%v, want false, false",
							childScope.CancelCalled(), childScope.CancelledCaught())
					}
					return nil
				})
			})
		}
	}
}

func portNameProbe(ctx context.Context, st *anyio.TaskStatus[string]) error {
	st.Started(anyio.GetCurrentTask(ctx).Name)
	return nil
}

// AnyIO's test_non_main_task_name with an empty name: AnyIO keeps "", Go
// gives the function's qualified name, as with no name at all (a documented
// deviation, docs/api-mapping.md). The bytes name of the original has no Go
// counterpart; the other cases are covered by TestTaskNames.
func TestPortEmptyTaskName(t *testing.T) {
	const want = "github.com/anyio-go/anyio_test.portNameProbe"
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			got, err := anyio.Start(ctx, tg, portNameProbe, anyio.TaskName(""))
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("Start with TaskName(\"\"): name %q, want %q", got, want)
			}
			names := make(chan string, 1)
			tg.StartSoon(func(ctx context.Context) error {
				names <- anyio.GetCurrentTask(ctx).Name
				return nil
			}, anyio.TaskName(""))
			if got := <-names; !strings.HasPrefix(got, "github.com/anyio-go/anyio_test.TestPortEmptyTaskName") {
				t.Errorf("StartSoon with TaskName(\"\"): name %q, want the enclosing function's qualified name", got)
			}
			return nil
		})
	})
}

// AnyIO's test_wait_all_tasks_blocked_cancelled_task with an anyio.Event as
// in the original (TestWaitAllTasksBlockedCancelledTask uses a scope-based
// event): a task whose Event.Wait is cancelled before it starts is never
// blocked, so WaitAllTasksBlocked returns only after it has gone on.
func TestPortWaitAllTasksBlockedCancelledEventWait(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var done atomic.Bool
		var waitErr atomic.Value
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				st.Started(struct{}{})
				scope := anyio.MoveOnAfter(-1)
				err := scope.Run(ctx, func(ctx context.Context) error {
					err := anyio.NewEvent().Wait(ctx)
					waitErr.Store(err != nil && errors.Is(err, anyio.ErrCancelled))
					return err
				})
				if err != nil || !scope.CancelledCaught() {
					t.Errorf("MoveOnAfter(-1) Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
				}
				done.Store(true)
				return nil
			})
			if err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if !done.Load() {
				t.Errorf("WaitAllTasksBlocked returned before the self-cancelling task finished")
			}
			if v, _ := waitErr.Load().(bool); !v {
				t.Errorf("Event.Wait in a scope past its deadline: want a cancellation error")
			}
			return nil
		})
	})
}

// AnyIO's test_start_native_host_cancelled with a native cancellation: the
// Go counterpart of cancelling the asyncio task that waits in start() is
// cancelling the plain context it passed to Start. The child, not started
// yet, is cancelled with it; Start returns that cancellation; the target
// group goes on unharmed.
func TestPortStartNativeHostCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var started, finished atomic.Bool
		var startErr, childErr error
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			callerCtx, cancelCaller := context.WithCancel(ctx)
			defer cancelCaller()
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				cancelCaller()
				return nil
			}, anyio.TaskName("native canceller"))
			_, startErr = anyio.Start(callerCtx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				started.Store(true)
				childErr = anyio.Sleep(ctx, time.Hour)
				if childErr != nil {
					return childErr
				}
				finished.Store(true)
				st.Started(1)
				return nil
			})
			if ctx.Err() != nil {
				t.Errorf("the group's body context is cancelled after the Start caller's native cancellation")
			}
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if !started.Load() || finished.Load() {
			t.Errorf("child: started %v finished %v, want started and not finished", started.Load(), finished.Load())
		}
		if !errors.Is(childErr, context.Canceled) || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("the child's Sleep: got %v, want the caller's native cancellation", childErr)
		}
		if !errors.Is(startErr, context.Canceled) || !errors.Is(startErr, anyio.ErrCancelled) {
			t.Errorf("Start: got %v, want a cancellation matching context.Canceled", startErr)
		}
		if tgScope.CancelCalled() {
			t.Errorf("the target group's scope was cancelled; want only the Start caller's context")
		}
		return nil
	})
}
