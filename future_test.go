package anyio_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Ports AnyIO's test_result.
func TestFutureResult(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[int]()
		if err := f.SetResult(1); err != nil {
			t.Fatalf("SetResult = %v, want nil", err)
		}
		if v, err := f.Wait(ctx); v != 1 || err != nil {
			t.Errorf("Wait = %v, %v; want 1, nil", v, err)
		}
		if got := f.Status(); got != anyio.TaskFinished {
			t.Errorf("Status = %v, want finished", got)
		}
		return nil
	})
}

// The zero Future is a pending future, ready to use (as Event's zero value).
func TestFutureZeroValue(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f anyio.Future[string]
		if got := f.Status(); got != anyio.TaskPending {
			t.Errorf("Status of the zero Future = %v, want pending", got)
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				v, err := f.Wait(ctx)
				if v != "x" || err != nil {
					t.Errorf("Wait = %q, %v; want x, nil", v, err)
				}
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return f.SetResult("x")
		})
	})
}

// Ports AnyIO's test_disallowing_multiple_results, test_already_cancelled,
// test_cancelling_with_result and test_cancelling_already_set_*: a future is
// set once, and whatever came first stays.
func TestFutureSingleAssignment(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		first     func(f *anyio.Future[int]) error
		status    anyio.TaskStatusCode
		wantSet   error // what a later SetResult and SetError return
		wantValue int
		wantErr   error // what Wait returns
	}{
		{"result", func(f *anyio.Future[int]) error { return f.SetResult(1) }, anyio.TaskFinished, anyio.ErrFutureAlreadyFinished, 1, nil},
		{"error", func(f *anyio.Future[int]) error { return f.SetError(boom) }, anyio.TaskFailed, anyio.ErrFutureAlreadyFinished, 0, boom},
		{"cancel", func(f *anyio.Future[int]) error { f.Cancel(); return nil }, anyio.TaskCancelled, anyio.ErrFutureCancelled, 0, anyio.ErrFutureCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				f := anyio.NewFuture[int]()
				if err := tt.first(f); err != nil {
					t.Fatalf("first set = %v, want nil", err)
				}
				if err := f.SetResult(0); err != tt.wantSet {
					t.Errorf("second SetResult = %v, want %v", err, tt.wantSet)
				}
				if err := f.SetError(errors.New("other")); err != tt.wantSet {
					t.Errorf("second SetError = %v, want %v", err, tt.wantSet)
				}
				f.Cancel() // does nothing once set
				if got := f.Status(); got != tt.status {
					t.Errorf("Status = %v, want %v", got, tt.status)
				}
				v, err := f.Wait(ctx)
				if v != tt.wantValue || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Errorf("Wait = %v, %v; want %v, %v", v, err, tt.wantValue, tt.wantErr)
				}
				return nil
			})
		})
	}
}

// Ports AnyIO's test_waiting_for_result and test_waiting_with_wait.
func TestFutureWaitingForResult(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[int]()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return f.SetResult(2)
			})
			if v, err := f.Wait(ctx); v != 2 || err != nil {
				t.Errorf("Wait = %v, %v; want 2, nil", v, err)
			}
			if v, err := f.Result(); v != 2 || err != nil {
				t.Errorf("Result = %v, %v; want 2, nil", v, err)
			}
			return nil
		})
	})
}

// Ports AnyIO's test_raising_exception and test_exception_when_future_failed:
// the error matches ErrFutureFailed and the error given.
func TestFutureSetError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[int]()
		cause := errors.New("testing runtime error")
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return f.SetError(cause)
			})
			_, err := f.Wait(ctx)
			if !errors.Is(err, anyio.ErrFutureFailed) || !errors.Is(err, cause) {
				t.Errorf("Wait = %v, want an error matching ErrFutureFailed and %v", err, cause)
			}
			if !strings.Contains(err.Error(), cause.Error()) {
				t.Errorf("Wait error %q does not say what the future failed with", err)
			}
			if _, rerr := f.Result(); !errors.Is(rerr, cause) {
				t.Errorf("Result = %v, want it to match %v", rerr, cause)
			}
			if got := f.Status(); got != anyio.TaskFailed {
				t.Errorf("Status = %v, want failed", got)
			}
			return nil
		})
	})
}

// SetError(nil) is an error and leaves the future pending.
func TestFutureSetNilError(t *testing.T) {
	f := anyio.NewFuture[int]()
	if err := f.SetError(nil); err == nil {
		t.Errorf("SetError(nil) = nil, want an error")
	}
	if got := f.Status(); got != anyio.TaskPending {
		t.Errorf("Status after SetError(nil) = %v, want pending", got)
	}
}

// Ports AnyIO's test_cancelled_wait, test_return_value_when_future_not_finished,
// test_exception_when_future_not_finished and
// test_exception_when_future_cancelled.
func TestFutureResultStates(t *testing.T) {
	f := anyio.NewFuture[int]()
	if _, err := f.Result(); err != anyio.ErrFutureNotFinished {
		t.Errorf("Result of a pending future = %v, want ErrFutureNotFinished", err)
	}
	f.Cancel()
	if _, err := f.Result(); err != anyio.ErrFutureCancelled {
		t.Errorf("Result of a cancelled future = %v, want ErrFutureCancelled", err)
	}
	if errors.Is(anyio.ErrFutureCancelled, anyio.ErrCancelled) {
		t.Errorf("ErrFutureCancelled matches ErrCancelled; a waiter was not cancelled itself")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := f.Wait(ctx); err != anyio.ErrFutureCancelled {
			t.Errorf("Wait on a cancelled future = %v, want ErrFutureCancelled", err)
		}
		return nil
	})
}

// Ports AnyIO's test_repr.
func TestFutureString(t *testing.T) {
	f := anyio.NewFuture[int]()
	if got := f.String(); got != "Future(pending)" {
		t.Errorf("String() = %q, want Future(pending)", got)
	}
	_ = f.SetResult(1)
	if got := f.String(); got != "Future(finished)" {
		t.Errorf("String() = %q, want Future(finished)", got)
	}
}

// Ports AnyIO's test_multiple_waiters.
func TestFutureMultipleWaiters(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[string]()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			wait := func(ctx context.Context) (string, error) { return f.Wait(ctx) }
			hs := []*anyio.TaskHandle[string]{anyio.CreateTask(tg, wait), anyio.CreateTask(tg, wait)}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if err := f.SetResult("Finished"); err != nil {
				return err
			}
			for i, h := range hs {
				if v, err := h.Wait(ctx); v != "Finished" || err != nil {
					t.Errorf("waiter %d: Wait = %q, %v; want Finished, nil", i, v, err)
				}
			}
			return nil
		})
	})
}

// Ports AnyIO's test_cancelled_waiter_allows_other: a waiter that is
// cancelled leaves; the others still get the result.
func TestFutureCancelledWaiterAllowsOther(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[string]()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			wait := func(ctx context.Context) (string, error) { return f.Wait(ctx) }
			th1, th2 := anyio.CreateTask(tg, wait), anyio.CreateTask(tg, wait)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			th1.Cancel()
			if _, err := th1.Wait(ctx); err != anyio.ErrTaskCancelled {
				t.Errorf("cancelled waiter: Wait = %v, want ErrTaskCancelled", err)
			}
			if got := f.Status(); got != anyio.TaskPending {
				t.Errorf("Status after a waiter left = %v, want pending", got)
			}
			if err := f.SetResult("Finished"); err != nil {
				return err
			}
			if v, err := th2.Wait(ctx); v != "Finished" || err != nil {
				t.Errorf("other waiter: Wait = %q, %v; want Finished, nil", v, err)
			}
			return nil
		})
	})
}

// Waiting on a future counts as blocked, and DumpTasks names the wait.
func TestFutureWaitIsBlocked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f anyio.Future[int]
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := f.Wait(ctx)
				return err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			if err := anyio.DumpTasks(ctx, &dump); err != nil {
				return err
			}
			if !strings.Contains(dump.String(), "Future.Wait") {
				t.Errorf("DumpTasks does not show the waiter in Future.Wait:\n%s", dump.String())
			}
			return f.SetResult(1)
		})
	})
}

// Concurrent setters: exactly one wins, the others get
// ErrFutureAlreadyFinished, and every waiter sees the winner's value.
func TestFutureConcurrentSetters(t *testing.T) {
	const setters = 8
	f := anyio.NewFuture[int]()
	var wg sync.WaitGroup
	errs := make([]error, setters)
	for i := range setters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.SetResult(i)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch err {
		case nil:
			if winner >= 0 {
				t.Errorf("SetResult succeeded for setters %d and %d", winner, i)
			}
			winner = i
		case anyio.ErrFutureAlreadyFinished:
		default:
			t.Errorf("setter %d: SetResult = %v", i, err)
		}
	}
	if v, err := f.Wait(context.Background()); v != winner || err != nil {
		t.Errorf("Wait = %v, %v; want %v, nil", v, err, winner)
	}
}

// Wait with a cancelled context returns a cancellation error and leaves the
// future pending.
func TestFutureWaitCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		f := anyio.NewFuture[int]()
		scope := anyio.NewCancelScope()
		scope.Cancel()
		err := scope.Run(ctx, func(ctx context.Context) error {
			_, err := f.Wait(ctx)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Wait in a cancelled scope = %v, want a cancellation error", err)
			}
			return err
		})
		if err != nil {
			t.Errorf("scope.Run = %v, want nil (its own cancellation)", err)
		}
		if got := f.Status(); got != anyio.TaskPending {
			t.Errorf("Status = %v, want pending", got)
		}
		return nil
	})
}
