package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestGetCurrentTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		root := anyio.GetCurrentTask(ctx)
		if root.ID == 0 || root.ParentID != 0 {
			t.Errorf("root = %+v, want a non-zero ID and ParentID 0", root)
		}
		// Scopes do not change the task.
		_ = anyio.MoveOnAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
			if got := anyio.GetCurrentTask(ctx); got.ID != root.ID {
				t.Errorf("GetCurrentTask in a scope: ID %d, want the root's %d", got.ID, root.ID)
			}
			return nil
		})
		var child, grandchild anyio.TaskInfo
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if got := anyio.GetCurrentTask(ctx); got.ID != root.ID {
				t.Errorf("GetCurrentTask in the group body: ID %d, want the root's %d", got.ID, root.ID)
			}
			tg.StartSoon(func(ctx context.Context) error {
				child = anyio.GetCurrentTask(ctx)
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						grandchild = anyio.GetCurrentTask(ctx)
						return nil
					}, anyio.TaskName("grandchild"))
					return nil
				})
			}, anyio.TaskName("child"))
			return nil
		})
		if err != nil {
			return err
		}
		if child.Name != "child" || child.ParentID != root.ID || child.ID == root.ID || child.ID == 0 {
			t.Errorf("child = %+v, want name child, parent %d, an ID of its own", child, root.ID)
		}
		if grandchild.Name != "grandchild" || grandchild.ParentID != child.ID || grandchild.ID == child.ID {
			t.Errorf("grandchild = %+v, want name grandchild, parent %d", grandchild, child.ID)
		}
		return nil
	})
}

// A plain context carries no task.
func TestGetCurrentTaskForeignContext(t *testing.T) {
	ti := anyio.GetCurrentTask(context.Background())
	if ti.ID != 0 || ti.ParentID != 0 || ti.Name != "" || ti.HasPendingCancellation() {
		t.Errorf("GetCurrentTask(Background) = %+v, want the zero TaskInfo", ti)
	}
	if got := anyio.GetRunningTasks(context.Background()); got != nil {
		t.Errorf("GetRunningTasks(Background) = %v, want nil", got)
	}
	_ = anyio.NewCancelScope().Run(context.Background(), func(ctx context.Context) error {
		if ti := anyio.GetCurrentTask(ctx); ti.ID != 0 {
			t.Errorf("GetCurrentTask in a scope on Background = %+v, want the zero TaskInfo", ti)
		}
		return nil
	})
}

func taskNameProbe(ctx context.Context, st *anyio.TaskStatus[string]) error {
	st.Started(anyio.GetCurrentTask(ctx).Name)
	return nil
}

func taskNameProbeSoon(out *string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		*out = anyio.GetCurrentTask(ctx).Name
		return nil
	}
}

// Task names: the given name, or the function's name (AnyIO's
// test_non_main_task_name, test_task_name_default, test_task_name_custom_name).
func TestTaskNames(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			got, err := anyio.Start(ctx, tg, taskNameProbe)
			if err != nil {
				return err
			}
			if want := "github.com/anyio-go/anyio_test.taskNameProbe"; got != want {
				t.Errorf("Start default name = %q, want %q", got, want)
			}
			got, err = anyio.Start(ctx, tg, taskNameProbe, anyio.TaskName("name"))
			if err != nil {
				return err
			}
			if got != "name" {
				t.Errorf("Start with TaskName(name) = %q, want name", got)
			}
			var soonDefault, soonNamed, soonClosure string
			if err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(taskNameProbeSoon(&soonDefault))
				tg.StartSoon(taskNameProbeSoon(&soonNamed), anyio.TaskName("custom name"))
				tg.StartSoon(func(ctx context.Context) error {
					soonClosure = anyio.GetCurrentTask(ctx).Name
					return nil
				})
				return nil
			}); err != nil {
				return err
			}
			if !strings.Contains(soonDefault, "taskNameProbeSoon") {
				t.Errorf("StartSoon default name = %q, want it to contain taskNameProbeSoon", soonDefault)
			}
			if soonNamed != "custom name" {
				t.Errorf("StartSoon with TaskName = %q, want custom name", soonNamed)
			}
			if !strings.HasPrefix(soonClosure, "github.com/anyio-go/anyio_test.TestTaskNames") {
				t.Errorf("StartSoon closure name = %q, want the enclosing function's qualified name", soonClosure)
			}
			return nil
		})
	})
}

// AnyIO's test_get_running_tasks.
func TestGetRunningTasks(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		host := anyio.GetCurrentTask(ctx)
		var ev scEvent
		var infos []anyio.TaskInfo
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			existing := map[uint64]bool{}
			for _, ti := range anyio.GetRunningTasks(ctx) {
				existing[ti.ID] = true
			}
			if !existing[host.ID] || len(existing) != 1 {
				t.Errorf("GetRunningTasks before starting = %v, want only the host", anyio.GetRunningTasks(ctx))
			}
			tg.StartSoon(ev.Wait, anyio.TaskName("task1"))
			tg.StartSoon(ev.Wait, anyio.TaskName("task2"))
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if !existing[ti.ID] {
						infos = append(infos, ti)
					}
				}
				ev.Set()
				return nil
			}, anyio.TaskName("inspect"))
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(infos, func(a, b anyio.TaskInfo) int { return strings.Compare(a.Name, b.Name) })
		var names []string
		for _, ti := range infos {
			names = append(names, ti.Name)
			if ti.ParentID != host.ID {
				t.Errorf("%s: ParentID %d, want the host's %d", ti.Name, ti.ParentID, host.ID)
			}
			if want := fmt.Sprintf("%s (#%d)", ti.Name, ti.ID); ti.String() != want {
				t.Errorf("TaskInfo.String() = %q, want %q", ti.String(), want)
			}
		}
		if want := []string{"inspect", "task1", "task2"}; !slices.Equal(names, want) {
			t.Errorf("new tasks = %q, want %q", names, want)
		}
		return nil
	})
}

// GetRunningTasks lists the root first and every task once, nested groups
// included; finished tasks are gone.
func TestGetRunningTasksTree(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		root := anyio.GetCurrentTask(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(anyio.SleepForever, anyio.TaskName("b1"))
					tg.StartSoon(anyio.SleepForever, anyio.TaskName("b2"))
					return nil
				})
			}, anyio.TaskName("b"))
			tg.StartSoon(anyio.SleepForever, anyio.TaskName("a"))
			tg.StartSoon(func(ctx context.Context) error { return nil }, anyio.TaskName("short-lived"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tasks := anyio.GetRunningTasks(ctx)
			if len(tasks) == 0 || tasks[0].ID != root.ID {
				t.Fatalf("GetRunningTasks = %v, want the root first", tasks)
			}
			byName := map[string]anyio.TaskInfo{}
			seen := map[uint64]bool{}
			for _, ti := range tasks {
				if seen[ti.ID] {
					t.Errorf("task %v listed twice", ti)
				}
				seen[ti.ID] = true
				byName[ti.Name] = ti
			}
			if len(tasks) != 5 {
				t.Errorf("GetRunningTasks = %v, want 5 tasks (root, a, b, b1, b2)", tasks)
			}
			if _, ok := byName["short-lived"]; ok {
				t.Errorf("a finished task is still listed")
			}
			for name, parent := range map[string]string{"a": "", "b": "", "b1": "b", "b2": "b"} {
				want := root.ID
				if parent != "" {
					want = byName[parent].ID
				}
				if got := byName[name].ParentID; got != want {
					t.Errorf("%s.ParentID = %d, want %d", name, got, want)
				}
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// AnyIO's test_start_soon_parent_id and test_start_parent_id: a task started
// with StartSoon by another task has the group's host as parent; a task
// started with Start has its caller as parent until Started, then the host.
func TestParentIDs(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		root := anyio.GetCurrentTask(ctx).ID
		var soonParent, starter, initial, permanent atomic.Uint64
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				tg.StartSoon(func(ctx context.Context) error {
					soonParent.Store(anyio.GetCurrentTask(ctx).ParentID)
					return nil
				})
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				starter.Store(anyio.GetCurrentTask(ctx).ID)
				_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
					initial.Store(anyio.GetCurrentTask(ctx).ParentID)
					st.Started(struct{}{})
					permanent.Store(anyio.GetCurrentTask(ctx).ParentID)
					return nil
				})
				return err
			})
			return nil
		})
		if err != nil {
			return err
		}
		if soonParent.Load() != root {
			t.Errorf("StartSoon from a child: ParentID %d, want the host %d", soonParent.Load(), root)
		}
		if initial.Load() != starter.Load() {
			t.Errorf("Start before Started: ParentID %d, want the caller %d", initial.Load(), starter.Load())
		}
		if permanent.Load() != root {
			t.Errorf("Start after Started: ParentID %d, want the host %d", permanent.Load(), root)
		}
		return nil
	})
}

func TestTaskIDsUnique(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const n = 100
		ids := make(chan uint64, n)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range n {
				tg.StartSoon(func(ctx context.Context) error {
					ids <- anyio.GetCurrentTask(ctx).ID
					return nil
				})
			}
			return nil
		})
		close(ids)
		seen := map[uint64]bool{anyio.GetCurrentTask(ctx).ID: true}
		for id := range ids {
			if seen[id] {
				t.Errorf("task ID %d used twice", id)
			}
			seen[id] = true
		}
		return err
	})
}

// Task IDs are unique across concurrent groups and Runs (groups take IDs
// from a shared counter in blocks), and increase in the order in which one
// group starts its tasks, Start children included.
func TestTaskIDsOrderAndUniqueness(t *testing.T) {
	const groups, perGroup = 4, 30
	var mu sync.Mutex
	seen := map[uint64]string{}
	record := func(id uint64, who string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := seen[id]; dup {
			t.Errorf("task ID %d given to %s and to %s", id, prev, who)
		}
		seen[id] = who
	}
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, outer *anyio.TaskGroup) error {
		for g := range groups {
			outer.StartSoon(func(ctx context.Context) error {
				// Each group runs in a Run of its own half the time, so
				// that IDs are checked across Runs too.
				body := func(ctx context.Context) error {
					ids := make([]uint64, perGroup)
					err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						for i := range perGroup {
							if i%5 == 4 {
								if _, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
									ids[i] = anyio.GetCurrentTask(ctx).ID
									st.Started(struct{}{})
									return nil
								}); err != nil {
									return err
								}
								continue
							}
							tg.StartSoon(func(ctx context.Context) error {
								ids[i] = anyio.GetCurrentTask(ctx).ID
								return nil
							})
						}
						return nil
					})
					for i, id := range ids {
						record(id, fmt.Sprintf("task %d of group %d", i, g))
						if i > 0 && id <= ids[i-1] {
							t.Errorf("group %d: task %d has ID %d, not above task %d's %d", g, i, id, i-1, ids[i-1])
						}
					}
					return err
				}
				if g%2 == 0 {
					// A Run of its own, inside this one: the subject.
					return anyio.Run(context.Background(), body)
				}
				return body(ctx)
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != groups*perGroup {
		t.Errorf("got %d distinct IDs, want %d", len(seen), groups*perGroup)
	}
}

// HasPendingCancellation of another task, seen through GetRunningTasks.
func TestHasPendingCancellation(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
			t.Errorf("root HasPendingCancellation = true, want false")
		}
		inner := anyio.NewCancelScope()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			// The child parks in a shielded wait inside a cancelled scope.
			var gate scEvent
			tg.StartSoon(func(ctx context.Context) error {
				return inner.Run(ctx, func(ctx context.Context) error {
					inner.Cancel()
					if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
						t.Errorf("probe in its cancelled scope: HasPendingCancellation = false, want true")
					}
					_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, gate.Wait)
					return anyio.SleepForever(ctx)
				})
			}, anyio.TaskName("probe"))
			find := func() anyio.TaskInfo {
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if ti.Name == "probe" {
						return ti
					}
				}
				t.Fatalf("no task named probe")
				return anyio.TaskInfo{}
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if find().HasPendingCancellation() {
				t.Errorf("probe in a shield: HasPendingCancellation = true, want false")
			}
			tg.CancelScope().Cancel()
			if find().HasPendingCancellation() {
				t.Errorf("probe in a shield after the group's Cancel: HasPendingCancellation = true, want false")
			}
			if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
				t.Errorf("host after the group's Cancel: HasPendingCancellation = false, want true")
			}
			gate.Set()
			return nil
		})
	})
}

func TestWaitAllTasksBlocked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var progressed atomic.Int32
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 10 {
				tg.StartSoon(func(ctx context.Context) error {
					// Some work, then a park.
					for range 100 {
						if err := anyio.Sleep(ctx, 0); err != nil {
							return err
						}
					}
					progressed.Add(1)
					return anyio.SleepForever(ctx)
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if got := progressed.Load(); got != 10 {
				t.Errorf("WaitAllTasksBlocked returned with %d of 10 tasks parked", got)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// AnyIO's test_wait_all_tasks_blocked_cancelled_task: a task whose wait is
// cancelled at once is not blocked.
func TestWaitAllTasksBlockedCancelledTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var done atomic.Bool
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
				st.Started(struct{}{})
				var ev scEvent
				_ = anyio.MoveOnAfter(-1).Run(ctx, ev.Wait)
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
			return nil
		})
	})
}

// AnyIO's test_wait_all_tasks_blocked_cancelled_task with an anyio.Event as
// in the original (TestWaitAllTasksBlockedCancelledTask uses a scope-based
// event): a task whose Event.Wait is cancelled before it starts is never
// blocked, so WaitAllTasksBlocked returns only after it has gone on.
func TestWaitAllTasksBlockedCancelledEventWait(t *testing.T) {
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

// Tasks whose waits were just ended by a cancellation are not blocked:
// WaitAllTasksBlocked after a Cancel returns only once they have reacted.
func TestWaitAllTasksBlockedAfterCancel(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const n = 20
		var reacted atomic.Int32
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			inner := make(chan *anyio.TaskGroup, 1)
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, itg *anyio.TaskGroup) error {
					for range n {
						itg.StartSoon(func(ctx context.Context) error {
							err := anyio.SleepForever(ctx)
							reacted.Add(1)
							// Park again after reacting.
							_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
								return anyio.Sleep(ctx, time.Millisecond)
							})
							return err
						})
					}
					inner <- itg
					return nil
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			(<-inner).CancelScope().Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if got := reacted.Load(); got != n {
				t.Errorf("WaitAllTasksBlocked after Cancel returned with %d of %d tasks having seen the cancellation", got, n)
			}
			return nil
		})
	})
}

// A task blocked outside anyio (a raw channel) counts as running:
// WaitAllTasksBlocked keeps waiting until its own ctx ends.
func TestWaitAllTasksBlockedRawChannel(t *testing.T) {
	// In virtual time: the 50ms safety scope takes no wall time.
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		release := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				<-release
				return nil
			}, anyio.TaskName("raw channel"))
			safety := anyio.MoveOnAfter(50 * time.Millisecond)
			var wabErr error
			err := safety.Run(ctx, func(ctx context.Context) error {
				wabErr = anyio.WaitAllTasksBlocked(ctx)
				return wabErr
			})
			if err != nil {
				t.Errorf("safety scope: got %v, want nil", err)
			}
			if !safety.CancelledCaught() || !errors.Is(wabErr, anyio.ErrCancelled) {
				t.Errorf("WaitAllTasksBlocked returned %v before the safety deadline; want it to wait for the raw-channel task until cancelled", wabErr)
			}
			close(release)
			// Once that task has finished, it returns.
			return anyio.WaitAllTasksBlocked(ctx)
		})
	})
}

func TestWaitAllTasksBlockedOutsideRun(t *testing.T) {
	if err := anyio.WaitAllTasksBlocked(context.Background()); err == nil || errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("WaitAllTasksBlocked(Background): got %v, want an error saying it needs a Run", err)
	}
}

// Two tasks waiting for all others at once both return.
func TestWaitAllTasksBlockedTwoCallers(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var returned atomic.Int32
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			for range 2 {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					returned.Add(1)
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			// Both callers may be released together with the host; wait
			// for them to finish.
			for returned.Load() != 2 {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if returned.Load() != 2 {
			t.Errorf("%d of 2 WaitAllTasksBlocked callers returned", returned.Load())
		}
		return err
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

// DumpTasks shows the task tree: names, what each task waits on (with the
// time left for a sleep), the state of each group's scope, and pending
// cancellations.
func TestDumpTasks(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		release := make(chan struct{})
		shieldedScope := anyio.NewCancelScope(anyio.Shielded())
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, anyio.TaskName("sleeper"))
			tg.StartSoon(anyio.SleepForever, anyio.TaskName("forever"))
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.CancelScope().SetDeadline(time.Now().Add(time.Minute))
					tg.StartSoon(anyio.SleepForever, anyio.TaskName("deep"))
					return nil
				})
			}, anyio.TaskName("nested host"))
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.CancelScope().SetShield(true)
					tg.StartSoon(func(ctx context.Context) error {
						return shieldedScope.Run(ctx, func(sctx context.Context) error {
							tg.CancelScope().Cancel()
							return anyio.SleepForever(sctx)
						})
					}, anyio.TaskName("shielded in cancelled"))
					return nil
				})
			}, anyio.TaskName("cancelled host"))
			tg.StartSoon(func(ctx context.Context) error {
				<-release
				return nil
			}, anyio.TaskName("raw"))
			tg.StartSoon(func(ctx context.Context) error {
				_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
					return anyio.SleepForever(ctx)
				}, anyio.TaskName("never started"))
				return err
			}, anyio.TaskName("starter"))
			synctest.Wait()

			var b strings.Builder
			if err := anyio.DumpTasks(ctx, &b); err != nil {
				return err
			}
			dump := b.String()
			t.Logf("DumpTasks:\n%s", dump)
			lineOf := func(name string) string {
				for _, l := range strings.Split(dump, "\n") {
					if strings.Contains(l, fmt.Sprintf("%q", name)) {
						return l
					}
				}
				t.Errorf("DumpTasks: no line for %q", name)
				return ""
			}
			root := anyio.GetCurrentTask(ctx)
			checks := []struct {
				name string
				re   string
			}{
				{root.Name, fmt.Sprintf(`^task #%d ".*" running$`, root.ID)},
				{"sleeper", `^    task #\d+ "sleeper" waiting on Sleep \(1h0m0s left\)$`},
				{"forever", `^    task #\d+ "forever" waiting on SleepForever$`},
				{"nested host", `waiting on task group join$`},
				{"deep", `^        task #\d+ "deep" waiting on SleepForever$`},
				{"cancelled host", `waiting on task group join \[cancellation pending\]$`},
				{"shielded in cancelled", `waiting on SleepForever$`},
				{"raw", `"raw" running$`},
				{"starter", `waiting on TaskGroup.Start$`},
				{"never started", `waiting on SleepForever$`},
			}
			for _, c := range checks {
				if l := lineOf(c.name); l != "" && !regexp.MustCompile(c.re).MatchString(l) {
					t.Errorf("DumpTasks line for %q = %q, want a match for %s", c.name, l, c.re)
				}
			}
			for _, want := range []string{
				"\n  task group\n",
				"task group (deadline in 1m0s)",
				"task group (cancelled, shielded)",
			} {
				if !strings.Contains(dump, want) {
					t.Errorf("DumpTasks: missing %q", want)
				}
			}
			// The deadline shown is what is left.
			time.Sleep(15 * time.Second)
			b.Reset()
			if err := anyio.DumpTasks(ctx, &b); err != nil {
				return err
			}
			if !strings.Contains(b.String(), "task group (deadline in 45s)") || !strings.Contains(b.String(), `"sleeper" waiting on Sleep (59m45s left)`) {
				t.Errorf("DumpTasks 15s later:\n%s\nwant 45s and 59m45s left", b.String())
			}
			close(release)
			shieldedScope.Cancel()
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// DumpTasks shows the cancel scopes a task is in, innermost first, with
// their state; task group scopes are shown as task groups, not twice.
func TestDumpTasksShowsCancelScopes(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		shielded := anyio.NewCancelScope(anyio.Shielded())
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.MoveOnAfter(time.Minute).Run(ctx, func(ctx context.Context) error {
					return shielded.Run(ctx, func(ctx context.Context) error {
						return anyio.SleepForever(ctx)
					})
				})
			}, anyio.TaskName("scoped"))
			synctest.Wait()
			var b strings.Builder
			if err := anyio.DumpTasks(ctx, &b); err != nil {
				return err
			}
			dump := b.String()
			want := "    task #"
			i := strings.Index(dump, `"scoped" waiting on SleepForever`)
			if i < 0 || !strings.Contains(dump[:i], want) {
				t.Errorf("DumpTasks: no line for the scoped task:\n%s", dump)
				i = 0
			}
			rest := dump[i:]
			inner := strings.Index(rest, "      in cancel scope (shielded)\n")
			outer := strings.Index(rest, "      in cancel scope (deadline in 1m0s)\n")
			if inner < 0 || outer < 0 || inner > outer {
				t.Errorf("DumpTasks: want the shielded scope then the deadline scope under the task, got:\n%s", dump)
			}
			if n := strings.Count(dump, "in cancel scope"); n != 2 {
				t.Errorf("DumpTasks: %d cancel scope lines, want 2 (group scopes are listed as task groups):\n%s", n, dump)
			}
			shielded.Cancel() // the group's cancellation cannot reach inside the shield
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

type failingWriter struct{}

var errWriterFailed = errors.New("writer failed")

func (failingWriter) Write(p []byte) (int, error) { return 0, errWriterFailed }

func TestDumpTasksErrors(t *testing.T) {
	if err := anyio.DumpTasks(context.Background(), &strings.Builder{}); err == nil {
		t.Errorf("DumpTasks(Background): got nil, want an error (no Run)")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := anyio.DumpTasks(ctx, failingWriter{}); !errors.Is(err, errWriterFailed) {
			t.Errorf("DumpTasks to a failing writer: got %v, want the writer's error", err)
		}
		return nil
	})
}

// WaitAllTasksBlocked also sees tasks whose wait in a synchronization
// primitive was just ended by a cancellation as about to run.
func TestWaitAllTasksBlockedAfterCancelEventWaiters(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const n = 20
		var reacted atomic.Int32
		ev := anyio.NewEvent()
		scope := anyio.NewCancelScope()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						for range n {
							tg.StartSoon(func(ctx context.Context) error {
								err := ev.Wait(ctx)
								reacted.Add(1)
								return err
							})
						}
						return nil
					})
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if got := reacted.Load(); got != n {
				t.Errorf("WaitAllTasksBlocked after Cancel returned with %d of %d Event waiters having seen the cancellation", got, n)
			}
			return nil
		})
	})
}
