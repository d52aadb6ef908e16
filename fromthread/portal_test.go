package fromthread_test

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
	"github.com/anyio-go/anyio/lowlevel"
	"github.com/anyio-go/anyio/tothread"
)

// startPortal starts a portal for a test and stops it at the end.
func startPortal(t *testing.T) *fromthread.BlockingPortal {
	t.Helper()
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		t.Fatalf("StartBlockingPortal: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background(), false); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return p
}

// Port of AnyIO's TestBlockingPortal.test_call_corofunc (and
// test_call_non_corofunc): a worker calls a function through a portal
// opened in a task.
func TestPortalCallFromWorker(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			v, err := tothread.RunSync(ctx, func(context.Context) (int, error) {
				return fromthread.Call(p, asyncAdd(1, 2))
			})
			if v != 3 || err != nil {
				t.Errorf("Call through the worker = %d, %v; want 3, nil", v, err)
			}
			return nil
		})
	})
}

// callFromGoroutines starts two goroutines that Call a function that waits
// on gate; running is set once both functions run. The returned function
// waits for the two goroutines and returns their results.
func callFromGoroutines(p *fromthread.BlockingPortal, gate, running *anyio.Event) func() []error {
	var wg sync.WaitGroup
	var n atomic.Int32
	results := make([]error, 2)
	for i := range results {
		wg.Go(func() {
			_, results[i] = fromthread.Call(p, func(ctx context.Context) (struct{}, error) {
				if n.Add(1) == 2 {
					running.Set()
				}
				return struct{}{}, gate.Wait(ctx)
			})
		})
	}
	return func() []error { wg.Wait(); return results }
}

// Port of AnyIO's test_aexit_with_exception: when the portal's body fails,
// the functions it runs are cancelled.
func TestPortalBodyErrorCancelsTasks(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		errBody := errors.New("body failed")
		var wait func() []error
		err := fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			running := anyio.NewEvent()
			wait = callFromGoroutines(p, anyio.NewEvent(), running)
			if err := running.Wait(ctx); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return errBody
		})
		if !errors.Is(err, errBody) {
			t.Errorf("NewBlockingPortal = %v, want the body's error", err)
		}
		for i, err := range wait() {
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("call %d = %v, want a cancellation error", i, err)
			}
		}
		return nil
	})
}

// Port of AnyIO's test_aexit_without_exception: when the body returns nil,
// the portal waits for the functions it runs.
func TestPortalBodyReturnWaitsForTasks(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		gate := anyio.NewEvent()
		var wait func() []error
		err := fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			running := anyio.NewEvent()
			wait = callFromGoroutines(p, gate, running)
			if err := running.Wait(ctx); err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			gate.Set()
			return nil
		})
		if err != nil {
			return err
		}
		for i, err := range wait() {
			if err != nil {
				t.Errorf("call %d = %v, want nil", i, err)
			}
		}
		return nil
	})
}

// Port of AnyIO's test_call_portal_from_event_loop_thread: the portal's
// own tasks cannot call through it; goroutines they start can.
func TestPortalCallFromOwnTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			if _, err := fromthread.Call(p, asyncAdd(1, 2)); !errors.Is(err, fromthread.ErrPortalTask) {
				t.Errorf("Call from the portal's body = %v, want ErrPortalTask", err)
			}
			if _, _, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (int, error) { return 0, nil }); !errors.Is(err, fromthread.ErrPortalTask) {
				t.Errorf("StartTask from the portal's body = %v, want ErrPortalTask", err)
			}
			if _, _, err := fromthread.Enter(p, anyio.WithTaskGroup); !errors.Is(err, fromthread.ErrPortalTask) {
				t.Errorf("Enter from the portal's body = %v, want ErrPortalTask", err)
			}
			v, err := tothread.RunSync(ctx, func(context.Context) (error, error) {
				return fromthread.Call(p, func(ctx context.Context) (error, error) {
					_, inner := fromthread.Call(p, asyncAdd(1, 2))
					done := make(chan error)
					go func() {
						_, err := fromthread.Call(p, asyncAdd(1, 2))
						done <- err
					}()
					if err := <-done; err != nil {
						return nil, err
					}
					return inner, nil
				})
			})
			if err != nil || !errors.Is(v, fromthread.ErrPortalTask) {
				t.Errorf("Call from a function the portal runs = %v (call from its goroutine: %v), want ErrPortalTask", v, err)
			}
			return nil
		})
	})
}

// Port of AnyIO's test_start_with_new_event_loop: a portal of
// StartBlockingPortal runs in a Run of its own.
func TestStartBlockingPortal(t *testing.T) {
	p := startPortal(t)
	v, err := fromthread.Call(p, func(ctx context.Context) (bool, error) {
		return anyio.GetCurrentTask(ctx).ID != 0, anyio.Sleep(ctx, 0)
	})
	if !v || err != nil {
		t.Errorf("Call = %v, %v; want true (an anyio task), nil", v, err)
	}
}

// Port of AnyIO's test_start_with_nonexistent_backend.
func TestStartBlockingPortalUnknownBackend(t *testing.T) {
	p, err := fromthread.StartBlockingPortal(anyio.WithBackend("foo"))
	if p != nil || !errors.Is(err, anyio.ErrBackendNotFound) || !strings.Contains(err.Error(), "foo") {
		t.Errorf("StartBlockingPortal(WithBackend(\"foo\")) = %v, %v; want nil, ErrBackendNotFound naming foo", p, err)
	}
}

// Port of AnyIO's test_call_stopped_portal: a stopped portal refuses
// calls.
func TestPortalCallAfterStop(t *testing.T) {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(context.Background(), false); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if err := p.Stop(context.Background(), true); err != nil {
		t.Errorf("a second Stop = %v, want nil", err)
	}
	if _, err := fromthread.Call(p, asyncAdd(1, 2)); !errors.Is(err, fromthread.ErrPortalNotRunning) {
		t.Errorf("Call after Stop = %v, want ErrPortalNotRunning", err)
	}
	f := fromthread.StartTaskSoon(p, asyncAdd(1, 2))
	select {
	case <-f.Done():
	default:
		t.Error("StartTaskSoon's Future on a stopped portal is not done")
	}
	if _, err := f.Result(); !errors.Is(err, fromthread.ErrPortalNotRunning) {
		t.Errorf("StartTaskSoon after Stop = %v, want ErrPortalNotRunning", err)
	}
	if _, _, err := fromthread.Enter(p, anyio.WithTaskGroup); !errors.Is(err, fromthread.ErrPortalNotRunning) {
		t.Errorf("Enter after Stop = %v, want ErrPortalNotRunning", err)
	}
	if err := p.SleepUntilStopped(context.Background()); err != nil {
		t.Errorf("SleepUntilStopped after Stop = %v, want nil", err)
	}
}

// A panic in a function the portal runs is re-raised by Result in the
// caller, and fails the portal's group: its other tasks are cancelled, and
// Stop re-raises it.
func TestPortalCallPanic(t *testing.T) {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		t.Fatal(err)
	}
	other := fromthread.StartTaskSoon(p, func(ctx context.Context) (int, error) { return 0, anyio.SleepForever(ctx) })
	var first *anyio.PanicError
	func() {
		defer func() { first, _ = recover().(*anyio.PanicError) }()
		_, _ = fromthread.Call(p, panicsInPortal)
	}()
	if first == nil || first.Value != "boom" || !strings.Contains(string(first.Stack), "panicsInPortal") {
		t.Fatalf("Call re-panicked with %v, want the task's *anyio.PanicError with its stack", first)
	}
	if _, err := other.Result(); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("the portal's other task = %v, want a cancellation error", err)
	}
	func() {
		defer func() {
			if pe, ok := recover().(*anyio.PanicError); !ok || pe != first {
				t.Errorf("Stop re-panicked with %v, want the task's *anyio.PanicError", pe)
			}
		}()
		_ = p.Stop(context.Background(), false)
	}()
}

// A panic in a portal task nobody asks a Future for is re-raised by
// NewBlockingPortal.
func TestNewBlockingPortalPanic(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var got any
		func() {
			defer func() { got = recover() }()
			_ = fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
				started := make(chan struct{})
				go func() { // not from the body, which is a portal task
					fromthread.StartTaskSoon(p, panicsInPortal)
					close(started)
				}()
				<-started
				return p.SleepUntilStopped(ctx)
			})
		}()
		if pe, ok := got.(*anyio.PanicError); !ok || pe.Value != "boom" {
			t.Errorf("NewBlockingPortal re-panicked with %v, want the task's *anyio.PanicError", got)
		}
		return nil
	})
}

func panicsInPortal(context.Context) (int, error) { panic("boom") }

// Port of AnyIO's test_from_async: a portal started from inside a task
// works.
func TestStartBlockingPortalFromTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p, err := fromthread.StartBlockingPortal()
		if err != nil {
			return err
		}
		_, err = fromthread.Call(p, func(ctx context.Context) (struct{}, error) { return struct{}{}, lowlevel.Checkpoint(ctx) })
		if serr := p.Stop(ctx, false); err == nil {
			err = serr
		}
		return err
	})
}

// Port of AnyIO's test_cancel_portal_future: stopping a portal with
// cancelRemaining cancels the tasks a worker started through it.
func TestStopCancelsRemaining(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		event := anyio.NewEvent()
		return fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := tothread.RunSync(ctx, func(wctx context.Context) (struct{}, error) {
						f := fromthread.StartTaskSoon(p, func(ctx context.Context) (struct{}, error) {
							return struct{}{}, anyio.SleepForever(ctx)
						})
						if _, err := fromthread.RunSync(wctx, func() (struct{}, error) { event.Set(); return struct{}{}, nil }); err != nil {
							return struct{}{}, err
						}
						select {
						case <-f.Done():
						case <-time.After(5 * time.Second):
							return struct{}{}, errors.New("the future is not done 5 s after Stop")
						}
						if _, err := f.Result(); !errors.Is(err, anyio.ErrCancelled) {
							return struct{}{}, err
						}
						return struct{}{}, nil
					})
					return err
				})
				if err := event.Wait(ctx); err != nil {
					return err
				}
				return p.Stop(ctx, true)
			})
		})
	})
}

// Stop waits for the functions still running; a cancelled ctx ends the
// wait, not the portal.
func TestStopWaitsForTasks(t *testing.T) {
	p, err := fromthread.StartBlockingPortal()
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (int, error) {
		<-gate
		return 1, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Stop(ctx, false); !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a context that ends first = %v, want a cancellation matching context.DeadlineExceeded", err)
	}
	close(gate)
	if err := p.Stop(context.Background(), false); err != nil {
		t.Errorf("Stop = %v", err)
	}
	if v, err := f.Result(); v != 1 || err != nil {
		t.Errorf("the task's Result = %d, %v; want 1, nil (Stop without cancelRemaining lets it finish)", v, err)
	}
}

// SleepUntilStopped returns once the portal is stopped.
func TestSleepUntilStopped(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
			go func() { _ = p.Stop(context.Background(), false) }()
			return p.SleepUntilStopped(ctx)
		})
	})
}
