package anyio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestEventSetWakesWaiter(t *testing.T) {
	ev := anyio.NewEvent()
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				ev.Set()
				return nil
			})
			return ev.Wait(ctx)
		})
	})
	if !ev.IsSet() {
		t.Error("IsSet() = false after Set")
	}
}

// A waiter whose scope is cancelled before Set returns the cancellation
// (AnyIO's test_event_cancel).
func TestEventCancel(t *testing.T) {
	var ev anyio.Event
	started, woke := false, false
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := startParked(ctx, tg, func(ctx context.Context) error {
				started = true
				if err := ev.Wait(ctx); err != nil {
					if !isCancel(err) {
						t.Errorf("Wait = %v, want a cancellation error", err)
					}
					return err
				}
				woke = true
				return nil
			})
			tg.CancelScope().Cancel()
			ev.Set()
			return err
		})
	})
	if !started || woke {
		t.Errorf("started, woke = %v, %v, want true, false", started, woke)
	}
}

// A Set that comes before the cancellation wins (AnyIO's
// test_event_wait_before_set_before_cancel).
func TestEventSetBeforeCancel(t *testing.T) {
	oneProc(t)
	var ev anyio.Event
	woke := false
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				// Set once the host waits, then cancel it at once.
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if ev.IsSet() {
					t.Error("IsSet() = true before Set")
				}
				ev.Set()
				tg.CancelScope().Cancel()
				return nil
			})
			if err := ev.Wait(ctx); err != nil {
				t.Errorf("Wait woken by a Set that came before the cancellation = %v, want nil", err)
				return nil
			}
			woke = true
			return nil
		})
	})
	if !woke {
		t.Error("the waiter did not wake")
	}
}

func TestEventStatistics(t *testing.T) {
	var ev anyio.Event
	anyiotest.Run(t, func(ctx context.Context) error {
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			if n := ev.Statistics().TasksWaiting; n != 0 {
				t.Errorf("TasksWaiting = %d, want 0", n)
			}
			for i := 1; i <= 2; i++ {
				if err := startParked(ctx, tg, ev.Wait); err != nil {
					return err
				}
				if n := ev.Statistics().TasksWaiting; n != i {
					t.Errorf("TasksWaiting = %d, want %d", n, i)
				}
			}
			ev.Set()
			return nil
		})
		if n := ev.Statistics().TasksWaiting; n != 0 {
			t.Errorf("TasksWaiting after Set = %d, want 0", n)
		}
		return err
	})
}

// The zero Event works outside any Run, and a Run can wait for it.
func TestEventZeroValue(t *testing.T) {
	var ev anyio.Event
	if ev.IsSet() || ev.Statistics().TasksWaiting != 0 {
		t.Fatalf("zero Event: IsSet %v, Statistics %+v", ev.IsSet(), ev.Statistics())
	}
	ev.Set()
	ev.Set() // a second Set does nothing
	if !ev.IsSet() {
		t.Fatal("IsSet() = false after Set")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if err := ev.Wait(ctx); err != nil {
			t.Errorf("Wait in a Run for a set event = %v, want nil", err)
		}
		return nil
	})
	if err := ev.Wait(context.Background()); err != nil {
		t.Errorf("Wait with a plain context for a set event = %v, want nil", err)
	}
}

// Cancellation is level-triggered: in a cancelled scope Wait fails even for a
// set event.
func TestEventWaitInCancelledScope(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		ev := anyio.NewEvent()
		ev.Set()
		s := anyio.NewCancelScope()
		s.Cancel()
		return s.Run(ctx, func(ctx context.Context) error {
			if err := ev.Wait(ctx); !isCancel(err) {
				t.Errorf("Wait for a set event in a cancelled scope = %v, want a cancellation error", err)
			}
			return nil
		})
	})
}

// Set wakes every waiter, and what was written before Set is visible after
// Wait (run with -race).
func TestEventSetWakesAll(t *testing.T) {
	const waiters = 20
	anyiotest.Run(t, func(ctx context.Context) error {
		var ev anyio.Event
		var data [waiters]int
		shared := 0
		var got [waiters]int
		err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range waiters {
				tg.StartSoon(func(ctx context.Context) error {
					if err := ev.Wait(ctx); err != nil {
						return err
					}
					got[i] = shared + data[i]
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			for i := range data {
				data[i] = i
			}
			shared = 100
			ev.Set()
			return nil
		})
		for i, g := range got {
			if g != 100+i {
				t.Errorf("waiter %d saw %d, want %d", i, g, 100+i)
			}
		}
		return err
	})
}

func TestEventPlainContext(t *testing.T) {
	var ev anyio.Event
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ev.Wait(ctx) }()
	pollUntil(t, func() bool { return ev.Statistics().TasksWaiting == 1 })
	cancel()
	if err := recvPlain(t, done); !isCancel(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled plain context = %v, want an error matching ErrCancelled and context.Canceled", err)
	}
	go func() { done <- ev.Wait(context.Background()) }()
	pollUntil(t, func() bool { return ev.Statistics().TasksWaiting == 1 })
	ev.Set()
	if err := recvPlain(t, done); err != nil {
		t.Errorf("Wait with a plain context = %v, want nil", err)
	}
}
