package fromthread_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/tothread"
)

func asyncAdd(a, b int) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := anyio.Sleep(ctx, 0); err != nil {
			return 0, err
		}
		return a + b, nil
	}
}

// Port of AnyIO's test_thread_cancelled: a worker that finds its host
// cancelled with CheckCancelled stops there, and its host reports the
// cancellation, which the task group swallows.
func TestThreadCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		event := make(chan struct{})
		var started, finished bool
		syncFunction := func(ctx context.Context) (struct{}, error) {
			started = true
			<-event
			if err := fromthread.CheckCancelled(ctx); err != nil {
				return struct{}{}, err
			}
			finished = true
			return struct{}{}, nil
		}
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.Cancel()
				close(event)
				return nil
			})
			_, err := tothread.RunSync(ctx, syncFunction)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("RunSync = %v, want the cancellation from CheckCancelled", err)
			}
			return err
		})
		if err != nil {
			t.Errorf("WithTaskGroup = %v, want nil", err)
		}
		if !started || finished {
			t.Errorf("started = %v, finished = %v; want true, false", started, finished)
		}
		return nil
	})
}

// Port of AnyIO's test_thread_cancelled_and_abandoned: an abandoned worker
// still sees its host's cancellation.
func TestThreadCancelledAndAbandoned(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		event := make(chan struct{})
		result := make(chan error, 1)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := tothread.RunSync(ctx, func(ctx context.Context) (struct{}, error) {
					<-event
					result <- fromthread.CheckCancelled(ctx)
					return struct{}{}, nil
				}, tothread.AbandonOnCancel())
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
		close(event)
		if err := <-result; !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("CheckCancelled in the abandoned worker = %v, want a cancellation error", err)
		}
		return nil
	})
}

// Ports of AnyIO's test_thread_cancelled_not_in_worker_thread,
// test_run_async_no_event_loop and
// test_run_sync_from_unclaimed_thread_no_token: outside a worker, the
// functions fail with ErrNotInWorker, also with a task's context.
func TestNotInWorker(t *testing.T) {
	check := func(t *testing.T, ctx context.Context) {
		t.Helper()
		if err := fromthread.CheckCancelled(ctx); !errors.Is(err, fromthread.ErrNotInWorker) {
			t.Errorf("CheckCancelled = %v, want ErrNotInWorker", err)
		}
		if _, err := fromthread.Run(ctx, asyncAdd(1, 2)); !errors.Is(err, fromthread.ErrNotInWorker) {
			t.Errorf("Run = %v, want ErrNotInWorker", err)
		}
		if _, err := fromthread.RunSync(ctx, func() (int, error) { return 0, nil }); !errors.Is(err, fromthread.ErrNotInWorker) {
			t.Errorf("RunSync = %v, want ErrNotInWorker", err)
		}
	}
	t.Run("plain context", func(t *testing.T) { check(t, context.Background()) })
	t.Run("task context", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error { check(t, ctx); return nil })
	})
}

// Port of AnyIO's test_cancelscope_propagation: a function run from a
// worker runs in its host's cancel scope; cancelling that scope cancels the
// function at once, and the scope catches the cancellation.
func TestCancelScopePropagation(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var bombErr error
		asyncTimeBomb := func(ctx context.Context) (struct{}, error) {
			scope.Cancel()
			bombErr = anyio.FailAfter(time.Second).Run(ctx, func(ctx context.Context) error {
				return anyio.Sleep(ctx, 3*time.Second)
			})
			return struct{}{}, bombErr
		}
		err := scope.Run(ctx, func(ctx context.Context) error {
			_, err := tothread.RunSync(ctx, func(ctx context.Context) (struct{}, error) {
				return fromthread.Run(ctx, asyncTimeBomb)
			})
			return err
		})
		if err != nil {
			t.Errorf("scope.Run = %v, want nil", err)
		}
		if !scope.CancelledCaught() {
			t.Error("the scope did not catch the cancellation")
		}
		if !errors.Is(bombErr, anyio.ErrCancelled) || errors.Is(bombErr, anyio.ErrTimeout) {
			t.Errorf("the function's sleep = %v, want the scope's cancellation (not a timeout)", bombErr)
		}
		return nil
	})
}

// Port of AnyIO's test_cancelscope_propagation_when_abandoned. AnyIO's
// function goes on running in the event loop after its host abandoned the
// worker; here it runs in the host, which is cancelled, so its wait ends at
// once; the host then returns at once, and the scope catches the
// cancellation.
func TestCancelScopePropagationWhenAbandoned(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		hostCancelled := anyio.NewEvent()
		var waitErr error
		runErr := make(chan error, 1)
		err := scope.Run(ctx, func(ctx context.Context) error {
			_, err := tothread.RunSync(ctx, func(ctx context.Context) (struct{}, error) {
				_, err := fromthread.Run(ctx, func(ctx context.Context) (struct{}, error) {
					scope.Cancel()
					waitErr = anyio.FailAfter(3*time.Second).Run(ctx, hostCancelled.Wait)
					return struct{}{}, waitErr
				})
				runErr <- err
				return struct{}{}, err
			}, tothread.AbandonOnCancel())
			return err
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("scope.Run = %v, CancelledCaught = %v; want nil, true", err, scope.CancelledCaught())
		}
		if err := <-runErr; !errors.Is(waitErr, anyio.ErrCancelled) || !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("the function's wait = %v, fromthread.Run = %v; want cancellations", waitErr, err)
		}
		hostCancelled.Set()
		return nil
	})
}

// Ports of AnyIO's TestRunAsyncFromThread.test_run_corofunc_from_thread,
// test_run_sync_from_thread, test_run_anyio_async_func_from_thread and the
// _exception variants: results and errors cross back, and the functions
// run in the waiting task.
func TestRunFromThread(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		host := anyio.GetCurrentTask(ctx)
		errAdd := errors.New("unsupported operand type")
		type result struct {
			async, sync int
			asyncErr    error
			syncErr     error
			sleepErr    error
			inHost      bool
		}
		r, err := tothread.RunSync(ctx, func(wctx context.Context) (result, error) {
			var r result
			r.async, _ = fromthread.Run(wctx, asyncAdd(1, 2))
			r.sync, _ = fromthread.RunSync(wctx, func() (int, error) { return 1 + 2, nil })
			_, r.asyncErr = fromthread.Run(wctx, func(context.Context) (int, error) { return 0, errAdd })
			_, r.syncErr = fromthread.RunSync(wctx, func() (int, error) { return 0, errAdd })
			_, r.sleepErr = fromthread.Run(wctx, func(ctx context.Context) (struct{}, error) {
				r.inHost = anyio.GetCurrentTask(ctx).ID == host.ID
				return struct{}{}, anyio.Sleep(ctx, 0)
			})
			return r, nil
		})
		if err != nil {
			return err
		}
		if r.async != 3 || r.sync != 3 {
			t.Errorf("Run, RunSync = %d, %d; want 3, 3", r.async, r.sync)
		}
		if r.asyncErr != errAdd || r.syncErr != errAdd {
			t.Errorf("errors of Run, RunSync = %v, %v; want %v", r.asyncErr, r.syncErr, errAdd)
		}
		if r.sleepErr != nil || !r.inHost {
			t.Errorf("Run(Sleep) = %v, ran in the host task: %v; want nil, true", r.sleepErr, r.inHost)
		}
		return nil
	})
}

type varKey struct{}

// Ports of AnyIO's test_contextvar_propagation (both classes): a function
// run from a worker sees the values the worker added to its context.
func TestFromThreadContextValues(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, varKey{}, 1)
		v, err := tothread.RunSync(ctx, func(wctx context.Context) ([2]any, error) {
			wctx = context.WithValue(wctx, varKey{}, 6)
			a, err := fromthread.Run(wctx, func(ctx context.Context) (any, error) {
				if err := anyio.Sleep(ctx, 0); err != nil {
					return nil, err
				}
				return ctx.Value(varKey{}), nil
			})
			if err != nil {
				return [2]any{}, err
			}
			b, err := fromthread.RunSync(wctx, func() (any, error) { return wctx.Value(varKey{}), nil })
			return [2]any{a, b}, err
		})
		if v != [2]any{6, 6} || err != nil {
			t.Errorf("values seen from the worker = %v, %v; want [6 6], nil", v, err)
		}
		return nil
	})
}

// Calls back in from several goroutines of one worker run one at a time in
// the waiting task (the race detector sees no race on the unguarded
// counter).
func TestRunFromThreadSerialized(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		counter := 0
		_, err := tothread.RunSync(ctx, func(wctx context.Context) (struct{}, error) {
			var wg sync.WaitGroup
			errs := make(chan error, 10)
			for range 10 {
				wg.Go(func() {
					for range 20 {
						if _, err := fromthread.RunSync(wctx, func() (struct{}, error) { counter++; return struct{}{}, nil }); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			return struct{}{}, <-errs
		})
		if err != nil {
			return err
		}
		if counter != 200 {
			t.Errorf("counter = %d, want 200", counter)
		}
		return nil
	})
}

func callbackThatPanics() (int, error) { panic("boom in the host") }

// A panic in a function run from a worker reaches the worker, and from it
// the caller of RunSync, as *anyio.PanicError with the function's stack.
func TestRunFromThreadPanic(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var pe *anyio.PanicError
		func() {
			defer func() { pe, _ = recover().(*anyio.PanicError) }()
			_, _ = tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
				return fromthread.RunSync(wctx, callbackThatPanics)
			})
		}()
		if pe == nil || pe.Value != "boom in the host" {
			t.Fatalf("RunSync re-panicked with %v, want the callback's *anyio.PanicError", pe)
		}
		if !strings.Contains(string(pe.Stack), "callbackThatPanics") {
			t.Errorf("PanicError.Stack lacks the callback's frame:\n%s", pe.Stack)
		}
		return nil
	})
}

// A goroutine the worker's function left running cannot call back in once
// RunSync has returned.
func TestRunFromThreadAfterHostReturned(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var wctx context.Context
		if _, err := tothread.RunSync(ctx, func(c context.Context) (int, error) { wctx = c; return 0, nil }); err != nil {
			return err
		}
		if _, err := fromthread.RunSync(wctx, func() (int, error) { return 0, nil }); !errors.Is(err, fromthread.ErrHostReturned) {
			t.Errorf("RunSync after the host returned = %v, want ErrHostReturned", err)
		}
		if _, err := fromthread.Run(wctx, asyncAdd(1, 2)); !errors.Is(err, fromthread.ErrHostReturned) {
			t.Errorf("Run after the host returned = %v, want ErrHostReturned", err)
		}
		return nil
	})
}

// A worker started from a function that a worker runs in its host calls
// back into that same host task.
func TestNestedWorkers(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		host := anyio.GetCurrentTask(ctx).ID
		v, err := tothread.RunSync(ctx, func(wctx context.Context) (string, error) {
			return fromthread.Run(wctx, func(ctx context.Context) (string, error) {
				return tothread.RunSync(ctx, func(wctx context.Context) (string, error) {
					return fromthread.RunSync(wctx, func() (string, error) {
						return strconv.FormatBool(anyio.GetCurrentTask(ctx).ID == host), nil
					})
				})
			})
		})
		if v != "true" || err != nil {
			t.Errorf("nested workers = %q, %v; want \"true\", nil", v, err)
		}
		return nil
	})
}
