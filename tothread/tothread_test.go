package tothread_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/tothread"
)

// Port of AnyIO's test_run_in_thread_cancelled: a task whose scope is
// cancelled before it calls RunSync gets a cancellation error, and the
// function never runs. (AnyIO cancels right after start_soon, which on its
// single-threaded loop runs before the child; here the child is started
// into the cancelled group, which is the same situation without a race.)
func TestRunSyncCancelledBeforeStart(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var state atomic.Int32
		var got error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.Cancel()
			tg.StartSoon(func(ctx context.Context) error {
				state.Store(1)
				_, got = tothread.RunSync(ctx, func(context.Context) (int, error) {
					state.Store(2)
					return 0, nil
				})
				if got == nil {
					state.Store(3)
				}
				return got
			})
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup = %v, want nil (the group's own cancellation)", err)
		}
		if s := state.Load(); s != 1 {
			t.Errorf("state = %d, want 1: the worker ran or RunSync succeeded", s)
		}
		if !errors.Is(got, anyio.ErrCancelled) {
			t.Errorf("RunSync = %v, want a cancellation error", got)
		}
		return nil
	})
}

// Port of AnyIO's test_run_in_thread_exception: fn's error is RunSync's.
func TestRunSyncError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		errFoo := errors.New("foo")
		_, err := tothread.RunSync(ctx, func(context.Context) (int, error) { return 0, errFoo })
		if err != errFoo {
			t.Errorf("RunSync = %v, want %v itself", err, errFoo)
		}
		v, err := tothread.RunSync(ctx, func(context.Context) (string, error) { return "done", nil }, nil) // a nil option is ignored
		if v != "done" || err != nil {
			t.Errorf("RunSync = %q, %v; want \"done\", nil", v, err)
		}
		return nil
	})
}

func workerThatPanics(context.Context) (int, error) { panic("boom in the worker") }

// A panic in the worker reaches the caller as *anyio.PanicError with the
// worker's stack, on the caller's goroutine.
func TestRunSyncPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tothread.Option
	}{
		{"goroutine", nil},
		{"locked", []tothread.Option{tothread.LockOSThread()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var pe *anyio.PanicError
				func() {
					defer func() {
						pe, _ = recover().(*anyio.PanicError)
					}()
					_, _ = tothread.RunSync(ctx, workerThatPanics, tc.opts...)
				}()
				if pe == nil {
					t.Fatal("RunSync did not re-panic with *anyio.PanicError")
				}
				if pe.Value != "boom in the worker" {
					t.Errorf("PanicError.Value = %v, want the worker's panic value", pe.Value)
				}
				if !strings.Contains(string(pe.Stack), "workerThatPanics") {
					t.Errorf("PanicError.Stack lacks the worker's frame:\n%s", pe.Stack)
				}
				// The token went back and, when locked, the worker is
				// idle again.
				if n := tothread.CurrentDefaultThreadLimiter(ctx).BorrowedTokens(); n != 0 {
					t.Errorf("BorrowedTokens after the panic = %d, want 0", n)
				}
				v, err := tothread.RunSync(ctx, func(context.Context) (int, error) { return 7, nil }, tc.opts...)
				if v != 7 || err != nil {
					t.Errorf("RunSync after the panic = %d, %v; want 7, nil", v, err)
				}
				return nil
			})
		})
	}
}

// Port of AnyIO's test_run_in_custom_limiter: four calls under a limiter of
// three run three at a time.
func TestRunSyncCustomLimiter(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		limiter := anyio.NewCapacityLimiter(3)
		release := make(chan struct{})
		threadsStarted := anyio.NewEvent()
		var mu sync.Mutex
		active, maxActive := 0, 0
		worker := func(ctx context.Context) (struct{}, error) {
			mu.Lock()
			active++
			maxActive = max(maxActive, active)
			n := active
			mu.Unlock()
			if n == 3 {
				if _, err := fromthread.RunSync(ctx, func() (struct{}, error) { threadsStarted.Set(); return struct{}{}, nil }); err != nil {
					return struct{}{}, err
				}
			}
			<-release
			mu.Lock()
			active--
			mu.Unlock()
			return struct{}{}, nil
		}
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 4 {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := tothread.RunSync(ctx, worker, tothread.Limiter(limiter))
					return err
				})
			}
			if err := threadsStarted.Wait(ctx); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			mu.Lock()
			n := active
			mu.Unlock()
			if n != 3 {
				t.Errorf("active workers = %d, want 3", n)
			}
			if b := limiter.BorrowedTokens(); b != 3 {
				t.Errorf("BorrowedTokens = %d, want 3", b)
			}
			if w := limiter.Statistics().TasksWaiting; w != 1 {
				t.Errorf("Statistics().TasksWaiting = %d, want 1", w)
			}
			close(release)
			return nil
		})
		if err != nil {
			return err
		}
		if active != 0 || maxActive != 3 {
			t.Errorf("active = %d, max active = %d; want 0 and 3", active, maxActive)
		}
		if b := limiter.BorrowedTokens(); b != 0 {
			t.Errorf("BorrowedTokens at the end = %d, want 0", b)
		}
		return nil
	})
}

// Port of AnyIO's test_cancel_worker_thread: without AbandonOnCancel the
// cancelled task waits for its worker (the task is the last to act); with
// it, the task returns at once and the worker finishes later.
func TestCancelWorkerThread(t *testing.T) {
	for _, tc := range []struct {
		name           string
		abandon        bool
		wantLastActive string
	}{
		{"noabandon", false, "task"},
		{"abandon", true, "thread"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var mu sync.Mutex
				lastActive := ""
				set := func(s string) { mu.Lock(); lastActive = s; mu.Unlock() }
				sleepEvent := anyio.NewEvent()
				proceed := make(chan struct{})
				threadDone := make(chan error, 1)
				var opts []tothread.Option
				if tc.abandon {
					opts = append(opts, tothread.AbandonOnCancel())
				}
				var runSyncErr error
				threadWorker := func(ctx context.Context) (struct{}, error) {
					_, err := fromthread.RunSync(ctx, func() (struct{}, error) { sleepEvent.Set(); return struct{}{}, nil })
					if err != nil {
						threadDone <- err
						return struct{}{}, err
					}
					<-proceed // AnyIO sleeps 0.2 s here
					set("thread")
					// The cancelled host still runs this synchronous call
					// while it waits; an abandoning host is gone, and the
					// call fails with its cancellation.
					_, err = fromthread.RunSync(ctx, func() (struct{}, error) { return struct{}{}, nil })
					threadDone <- err
					return struct{}{}, nil
				}
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						defer set("task")
						_, runSyncErr = tothread.RunSync(ctx, threadWorker, opts...)
						return runSyncErr
					})
					if err := sleepEvent.Wait(ctx); err != nil {
						return err
					}
					tg.Cancel()
					if !tc.abandon {
						close(proceed)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if tc.abandon {
					close(proceed)
				}
				threadErr := <-threadDone
				if tc.abandon != errors.Is(threadErr, anyio.ErrCancelled) {
					t.Errorf("the worker's last fromthread.RunSync = %v (abandoned: %v)", threadErr, tc.abandon)
				}
				if !errors.Is(runSyncErr, anyio.ErrCancelled) {
					t.Errorf("RunSync = %v, want a cancellation error", runSyncErr)
				}
				mu.Lock()
				defer mu.Unlock()
				if lastActive != tc.wantLastActive {
					t.Errorf("last active = %q, want %q", lastActive, tc.wantLastActive)
				}
				return nil
			})
		})
	}
}

// Port of AnyIO's test_cancel_wait_on_thread: an abandoned worker goes on
// running, and a later RunSync works.
func TestCancelWaitOnThread(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		event := make(chan struct{})
		result := make(chan bool, 1)
		waitEvent := func(context.Context) (struct{}, error) {
			select {
			case <-event:
				result <- true
			case <-time.After(5 * time.Second):
				result <- false
			}
			return struct{}{}, nil
		}
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := tothread.RunSync(ctx, waitEvent, tothread.AbandonOnCancel())
				return err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if _, err := tothread.RunSync(ctx, func(context.Context) (struct{}, error) { close(event); return struct{}{}, nil }); err != nil {
			return err
		}
		if !<-result {
			t.Error("the abandoned worker did not see the event")
		}
		return nil
	})
}

type ctxKey struct{}

// Port of AnyIO's test_contextvar_propagation: the worker sees the values
// of the caller's context.
func TestRunSyncContextValues(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, ctxKey{}, 6)
		v, err := tothread.RunSync(ctx, func(ctx context.Context) (any, error) { return ctx.Value(ctxKey{}), nil })
		if v != 6 || err != nil {
			t.Errorf("RunSync = %v, %v; want 6, nil", v, err)
		}
		return nil
	})
}

// The worker's context carries the caller's deadline and cancellation, but
// not its task: the worker is no task (AnyIO's test_asynclib_detection:
// no async library runs in a worker thread).
func TestRunSyncWorkerContext(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.FailAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
			want, _ := ctx.Deadline()
			_, err := tothread.RunSync(ctx, func(wctx context.Context) (struct{}, error) {
				if got := anyio.GetCurrentTask(wctx); got.ID != 0 {
					t.Errorf("GetCurrentTask(worker's ctx) = %v, want the zero TaskInfo", got)
				}
				if got, ok := wctx.Deadline(); !ok || !got.Equal(want) {
					t.Errorf("worker's ctx.Deadline() = %v, %v; want %v", got, ok, want)
				}
				if d, ok := anyio.CurrentEffectiveDeadline(wctx); !ok || !d.Equal(want) {
					t.Errorf("CurrentEffectiveDeadline(worker's ctx) = %v, %v; want %v", d, ok, want)
				}
				// A task group opened by the worker is a Run of its own.
				return struct{}{}, anyio.WithTaskGroup(wctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Millisecond) })
					return nil
				})
			})
			return err
		})
	})
}

// Without AbandonOnCancel, a caller cancelled while fn runs waits for fn,
// then returns fn's value together with the cancellation error (nothing fn
// made is lost), or fn's failure joined with it.
func TestRunSyncCancelledWhileRunning(t *testing.T) {
	errFn := errors.New("fn failed")
	for _, tc := range []struct {
		name    string
		fnErr   error
		wantErr []error
	}{
		{"fn succeeds", nil, []error{anyio.ErrCancelled}},
		{"fn fails", errFn, []error{anyio.ErrCancelled, errFn}},
		{"fn reports the cancellation", context.Canceled, []error{anyio.ErrCancelled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				scope := anyio.NewCancelScope()
				var v int
				var err error
				var sawCancel bool
				scope.Run(ctx, func(ctx context.Context) error {
					v, err = tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
						if _, err := fromthread.RunSync(wctx, func() (struct{}, error) { scope.Cancel(); return struct{}{}, nil }); err != nil {
							return 0, err
						}
						<-wctx.Done()
						sawCancel = true
						return 42, tc.fnErr
					})
					return nil
				})
				if !sawCancel {
					t.Error("the worker's context was not cancelled with its host")
				}
				if v != 42 {
					t.Errorf("RunSync value = %d, want 42 (fn's)", v)
				}
				for _, w := range tc.wantErr {
					if !errors.Is(err, w) {
						t.Errorf("RunSync error = %v, want it to match %v", err, w)
					}
				}
				return nil
			})
		})
	}
}

// With AbandonOnCancel, the worker keeps its limiter token until it
// returns (the token bounds running workers), and its result is dropped.
func TestRunSyncAbandonKeepsTokenUntilWorkerEnds(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		limiter := anyio.NewCapacityLimiter(1)
		release := make(chan struct{})
		finished := make(chan struct{})
		scope := anyio.NewCancelScope()
		var err error
		scope.Run(ctx, func(ctx context.Context) error {
			_, err = tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
				defer close(finished)
				if _, err := fromthread.RunSync(wctx, func() (struct{}, error) { scope.Cancel(); return struct{}{}, nil }); err != nil {
					return 0, err
				}
				<-release
				return 1, nil
			}, tothread.AbandonOnCancel(), tothread.Limiter(limiter))
			return err
		})
		if !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("RunSync = %v, want a cancellation error", err)
		}
		if b := limiter.BorrowedTokens(); b != 1 {
			t.Errorf("BorrowedTokens while the abandoned worker runs = %d, want 1", b)
		}
		close(release)
		<-finished
		// The limiter hands the token back once the worker returns; a new
		// call gets it.
		v, err := tothread.RunSync(ctx, func(context.Context) (int, error) { return 2, nil }, tothread.Limiter(limiter))
		if v != 2 || err != nil {
			t.Errorf("RunSync after the abandoned worker = %d, %v; want 2, nil", v, err)
		}
		return nil
	})
}

// A task waiting for its worker counts as blocked, and DumpTasks says what
// it waits on.
func TestRunSyncCountsAsBlocked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		release := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := tothread.RunSync(ctx, func(context.Context) (int, error) { <-release; return 0, nil })
				return err
			}, anyio.TaskName("waits-for-worker"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var b strings.Builder
			if err := anyio.DumpTasks(ctx, &b); err != nil {
				return err
			}
			if !strings.Contains(b.String(), `"waits-for-worker" waiting on tothread.RunSync`) {
				t.Errorf("DumpTasks does not show the task waiting on tothread.RunSync:\n%s", b.String())
			}
			close(release)
			return nil
		})
	})
}

// While the waiting task runs a call back in from its worker, it counts as
// running: WaitAllTasksBlocked returns only once it waits again.
func TestRunSyncCallbackCountsAsRunning(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		inCallback := make(chan struct{})
		hold := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
					_, err := fromthread.RunSync(wctx, func() (int, error) {
						close(inCallback)
						<-hold // not an anyio wait: the task runs
						return 0, nil
					})
					if err != nil {
						return 0, err
					}
					<-hold
					return 0, nil
				})
				return err
			})
			<-inCallback
			scope := anyio.MoveOnAfter(50 * time.Millisecond)
			if err := scope.Run(ctx, anyio.WaitAllTasksBlocked); err != nil {
				return err
			}
			if !scope.CancelledCaught() {
				t.Error("WaitAllTasksBlocked returned while the waiting task ran a call back in")
			}
			close(hold)
			return anyio.WaitAllTasksBlocked(ctx)
		})
	})
}

// A plain context (no anyio.Run) works too.
func TestRunSyncForeignContext(t *testing.T) {
	v, err := tothread.RunSync(context.Background(), func(context.Context) (int, error) { return 5, nil })
	if v != 5 || err != nil {
		t.Errorf("RunSync(context.Background()) = %d, %v; want 5, nil", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tothread.RunSync(ctx, func(context.Context) (int, error) { return 5, nil }); !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("RunSync(cancelled context) = %v, want context.Canceled and anyio.ErrCancelled", err)
	}
}

// A call that waits for a limiter token is cancellable, and fn never runs.
func TestRunSyncCancelledWaitingForToken(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		limiter := anyio.NewCapacityLimiter(0)
		var ran atomic.Bool
		var err error
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err = tothread.RunSync(ctx, func(context.Context) (int, error) { ran.Store(true); return 0, nil }, tothread.Limiter(limiter))
			return err
		})
		if !errors.Is(err, anyio.ErrCancelled) || ran.Load() || !scope.CancelledCaught() {
			t.Errorf("RunSync waiting for a token = %v, ran = %v, caught = %v; want a cancellation, false, true", err, ran.Load(), scope.CancelledCaught())
		}
		return nil
	})
}
