package anyio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// Cancel scope tests: plain (foreign) contexts as parents and children of
// scopes. Most run outside any Run on purpose.

// Plain contexts work as parents: their values are visible, their deadline
// counts and their cancellation is honoured and never swallowed.
func TestForeignContextParents(t *testing.T) {
	type key struct{}
	t.Run("values", func(t *testing.T) {
		parent := context.WithValue(context.Background(), key{}, "v")
		_ = anyio.NewCancelScope().Run(parent, func(ctx context.Context) error {
			if ctx.Value(key{}) != "v" {
				t.Errorf("scope ctx.Value = %v, want v", ctx.Value(key{}))
			}
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					if ctx.Value(key{}) != "v" {
						t.Errorf("child ctx.Value = %v, want v", ctx.Value(key{}))
					}
					return nil
				})
				return nil
			})
		})
	})
	t.Run("WithCancel cancels a scope and is not swallowed", func(t *testing.T) {
		for _, selfCancel := range []bool{false, true} {
			parent, cancel := context.WithCancel(context.Background())
			scope := anyio.NewCancelScope()
			ready := make(chan struct{})
			go func() {
				<-ready
				if selfCancel {
					scope.Cancel()
				}
				cancel()
			}()
			// A scope on a plain context belongs to no Run; the task group
			// inside opens one of its own.
			err := scope.Run(parent, func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(anyio.SleepForever)
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					close(ready)
					return anyio.Sleep(ctx, time.Hour)
				})
			})
			if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("selfCancel=%v: scope Run: got %v, want the parent's cancellation", selfCancel, err)
			}
			if scope.CancelledCaught() {
				t.Errorf("selfCancel=%v: CancelledCaught() = true, want false", selfCancel)
			}
		}
	})
	t.Run("WithTimeout parent", func(t *testing.T) {
		// Plain contexts, no Run: a bare synctest bubble for the virtual
		// clock.
		synctest.Test(t, func(t *testing.T) {
			parent, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			pd, _ := parent.Deadline()
			if d, ok := anyio.CurrentEffectiveDeadline(parent); !ok || !d.Equal(pd) {
				t.Errorf("CurrentEffectiveDeadline(parent) = %v, %v; want %v", d, ok, pd)
			}
			scope := anyio.MoveOnAfter(time.Hour)
			start := time.Now()
			err := scope.Run(parent, func(ctx context.Context) error {
				if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Equal(pd) {
					t.Errorf("CurrentEffectiveDeadline in scope = %v, %v; want the parent's %v", d, ok, pd)
				}
				if d, ok := ctx.Deadline(); !ok || !d.Equal(pd) {
					t.Errorf("ctx.Deadline() in scope = %v, %v; want the parent's %v", d, ok, pd)
				}
				return anyio.Sleep(ctx, 2*time.Hour)
			})
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("scope Run: got %v, want the parent's deadline error", err)
			}
			if scope.CancelledCaught() || scope.CancelCalled() {
				t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want false, false", scope.CancelCalled(), scope.CancelledCaught())
			}
			if got := time.Since(start); got != time.Minute {
				t.Errorf("cancelled after %v, want 1m", got)
			}
		})
	})
	t.Run("task group under WithTimeout parent", func(t *testing.T) {
		// A plain parent, no Run: a bare synctest bubble for the virtual
		// clock.
		synctest.Test(t, func(t *testing.T) {
			parent, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var childErr atomic.Value
			err := anyio.WithTaskGroup(parent, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.SleepForever(ctx)
					childErr.Store(err)
					return err
				})
				return nil
			})
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("WithTaskGroup: got %v, want the parent's deadline error", err)
			}
			if e, _ := childErr.Load().(error); !errors.Is(e, context.DeadlineExceeded) {
				t.Errorf("child: got %v, want the parent's deadline error", e)
			}
		})
	})
	t.Run("already cancelled parent", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		cancel()
		scope := anyio.NewCancelScope()
		err := scope.Run(parent, func(ctx context.Context) error {
			if ctx.Err() == nil {
				t.Errorf("ctx.Err() = nil, want the scope cancelled at once")
			}
			scope.Cancel()
			return lowlevel.Checkpoint(ctx)
		})
		if !errors.Is(err, context.Canceled) || scope.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught=%v; want the parent's cancellation, false", err, scope.CancelledCaught())
		}
	})
}

// The request context of a net/http server works as the parent of a task
// group: when the client goes away, the group is cancelled.
func TestForeignContextHTTPRequest(t *testing.T) {
	result := make(chan error, 1)
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result <- anyio.WithTaskGroup(r.Context(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.MoveOnAfter(time.Hour).Run(ctx, anyio.SleepForever)
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			close(entered)
			return anyio.SleepForever(ctx)
		})
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		select {
		case <-entered:
			cancel() // the client goes away
		case <-ctx.Done():
		}
	}()
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded, want it cancelled")
	}
	err = <-result
	if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("WithTaskGroup in the handler: got %v, want the request's cancellation", err)
	}
	srv.Client().CloseIdleConnections()
}

// Standard contexts derived from a scope's context follow it: they are
// cancelled with it, see its deadline, and context.AfterFunc fires.
func TestScopeContextInterop(t *testing.T) {
	// A scope on a plain context, no Run: a bare synctest bubble for the
	// virtual clock.
	synctest.Test(t, func(t *testing.T) {
		scope := anyio.NewCancelScope()
		_ = scope.Run(context.Background(), func(ctx context.Context) error {
			child, cancelChild := context.WithCancel(ctx)
			defer cancelChild()
			fired := make(chan struct{})
			stop := context.AfterFunc(ctx, func() { close(fired) })
			defer stop()

			// Deadline changes show through ctx.Deadline().
			now := time.Now()
			scope.SetDeadline(now.Add(time.Hour))
			if d, ok := ctx.Deadline(); !ok || !d.Equal(now.Add(time.Hour)) {
				t.Errorf("ctx.Deadline() after SetDeadline(1h) = %v, %v", d, ok)
			}
			scope.SetDeadline(now.Add(time.Minute))
			if d, ok := ctx.Deadline(); !ok || !d.Equal(now.Add(time.Minute)) {
				t.Errorf("ctx.Deadline() after SetDeadline(1m) = %v, %v", d, ok)
			}
			tctx, cancelT := context.WithTimeout(ctx, time.Hour)
			defer cancelT()
			if d, ok := tctx.Deadline(); !ok || !d.Equal(now.Add(time.Minute)) {
				t.Errorf("context.WithTimeout(scope ctx, 1h).Deadline() = %v, %v; want the scope's 1m", d, ok)
			}
			scope.ClearDeadline()
			if d, ok := ctx.Deadline(); ok {
				t.Errorf("ctx.Deadline() after ClearDeadline = %v, true; want none", d)
			}

			scope.CancelWithReason("stop")
			if child.Err() == nil {
				t.Errorf("derived context not cancelled with the scope")
			}
			if c := context.Cause(child); c == nil || !strings.Contains(c.Error(), "stop") {
				t.Errorf("context.Cause(derived) = %v, want the reason", c)
			}
			synctest.Wait()
			select {
			case <-fired:
			default:
				t.Errorf("context.AfterFunc on the scope ctx did not fire")
			}
			return ctx.Err()
		})
	})
}

// A scope's context stays done after the scope is left.
func TestScopeContextDoneAfterExit(t *testing.T) {
	var saved context.Context
	_ = anyio.NewCancelScope().Run(context.Background(), func(ctx context.Context) error {
		saved = ctx
		return nil
	})
	if saved.Err() == nil {
		t.Errorf("ctx.Err() after the scope exited = nil, want done")
	}
	if err := anyio.Sleep(saved, time.Hour); err == nil {
		t.Errorf("Sleep on an exited scope's ctx: got nil, want an error")
	}
}
