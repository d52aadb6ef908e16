package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// Cancel scope tests: the errors a scope's Run returns, the cancellations it
// swallows and those it lets through, and cancellation reasons.

// The body's error passes through a scope unchanged, cancelled or not, when it
// is not a cancellation.
func TestCancelScopeOtherErrorsPassThrough(t *testing.T) {
	boom := errors.New("boom")
	for _, cancel := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancelled=%v", cancel), func(t *testing.T) {
			scope := anyio.NewCancelScope()
			err := scope.Run(context.Background(), func(ctx context.Context) error {
				if cancel {
					scope.Cancel()
					_ = lowlevel.Checkpoint(ctx)
				}
				return boom
			})
			if err != boom {
				t.Errorf("Run: got %v, want boom itself", err)
			}
			if scope.CancelledCaught() {
				t.Errorf("CancelledCaught() = true, want false")
			}
		})
	}
}

// A cancellation error that this scope did not cause goes through it: here
// the body returns context.Canceled from a context of its own.
func TestCancelScopeForeignCancellationNotSwallowed(t *testing.T) {
	scope := anyio.NewCancelScope()
	err := scope.Run(context.Background(), func(ctx context.Context) error {
		c, cancel := context.WithCancel(context.Background())
		cancel()
		return anyio.Sleep(c, time.Hour)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want the body's context.Canceled", err)
	}
	if scope.CancelledCaught() {
		t.Errorf("CancelledCaught() = true, want false")
	}
}

// A cancelled scope swallows any cancellation error its body returns,
// including a wrapped context.Canceled as net/http returns and a group of
// cancellations.
func TestCancelScopeSwallowsWrappedCancellation(t *testing.T) {
	cases := []struct {
		name string
		body func(ctx context.Context) error
	}{
		{"anyio error", func(ctx context.Context) error { return anyio.SleepForever(ctx) }},
		{"ctx.Err()", func(ctx context.Context) error { return ctx.Err() }},
		{"fmt.Errorf %w context.Canceled", func(ctx context.Context) error { return fmt.Errorf("x: %w", context.Canceled) }},
		{"fmt.Errorf %w anyio error", func(ctx context.Context) error {
			return fmt.Errorf("doing things: %w", lowlevel.Checkpoint(ctx))
		}},
		{"ExceptionGroup of cancellations", func(ctx context.Context) error {
			return &anyio.ExceptionGroup{Errors: []error{ctx.Err(), lowlevel.Checkpoint(ctx)}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scope := anyio.NewCancelScope()
			err := scope.Run(context.Background(), func(ctx context.Context) error {
				scope.Cancel()
				return tc.body(ctx)
			})
			if err != nil {
				t.Errorf("Run: got %v, want nil", err)
			}
			if !scope.CancelledCaught() {
				t.Errorf("CancelledCaught() = false, want true")
			}
		})
	}
}

// An exception group that mixes cancellations with real errors loses the
// cancellations and keeps the rest (AnyIO's test_exception_group_filtering).
func TestCancelScopeFiltersExceptionGroup(t *testing.T) {
	boom := errors.New("boom")
	scope := anyio.NewCancelScope()
	err := scope.Run(context.Background(), func(ctx context.Context) error {
		scope.Cancel()
		return &anyio.ExceptionGroup{Errors: []error{boom, lowlevel.Checkpoint(ctx)}}
	})
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) || len(eg.Errors) != 1 || eg.Errors[0] != boom {
		t.Fatalf("Run: got %v, want an ExceptionGroup holding only boom", err)
	}
	if errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Run: %v still holds a cancellation", err)
	}
}

// AnyIO's test_nested_exception_group_filtering: the scope removes the
// cancellations it caused from nested exception groups too, keeps the
// structure of what remains, and leaves the groups it was given unchanged.
func TestCancelScopeNestedExceptionGroupFiltering(t *testing.T) {
	boom := errors.New("body error")
	t.Run("inner group with a real error", func(t *testing.T) {
		scope := anyio.NewCancelScope()
		var inner *anyio.ExceptionGroup
		err := scope.Run(context.Background(), func(ctx context.Context) error {
			scope.Cancel()
			cerr := lowlevel.Checkpoint(ctx)
			if !errors.Is(cerr, anyio.ErrCancelled) {
				t.Fatalf("Checkpoint in the cancelled scope: got %v, want a cancellation", cerr)
			}
			inner = &anyio.ExceptionGroup{Errors: []error{boom, cerr}}
			return &anyio.ExceptionGroup{Errors: []error{inner}}
		})
		var outer *anyio.ExceptionGroup
		if !errors.As(err, &outer) {
			t.Fatalf("Run: got %v (%T), want an *ExceptionGroup", err, err)
		}
		var got *anyio.ExceptionGroup
		if len(outer.Errors) != 1 || !errors.As(outer.Errors[0], &got) || outer.Errors[0] != error(got) {
			t.Fatalf("Run: outer group holds %v, want one nested *ExceptionGroup", outer.Errors)
		}
		if len(got.Errors) != 1 || got.Errors[0] != boom {
			t.Errorf("Run: nested group holds %v, want exactly [body error]", got.Errors)
		}
		if len(inner.Errors) != 2 || inner.Errors[0] != boom {
			t.Errorf("the hand-built inner group changed to %v, want it kept as built", inner.Errors)
		}
		if !scope.CancelledCaught() {
			t.Error("CancelledCaught() = false, want true")
		}
	})
	t.Run("inner group of cancellations only", func(t *testing.T) {
		scope := anyio.NewCancelScope()
		err := scope.Run(context.Background(), func(ctx context.Context) error {
			scope.Cancel()
			inner := &anyio.ExceptionGroup{Errors: []error{lowlevel.Checkpoint(ctx), ctx.Err()}}
			return &anyio.ExceptionGroup{Errors: []error{inner}}
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
	})
}

// A real net/http client call in a cancelled scope returns a *url.Error that
// wraps context.Canceled; the scope swallows it.
func TestCancelScopeSwallowsNetHTTPCancellation(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()

	scope := anyio.NewCancelScope()
	var bodyErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			<-arrived
			scope.Cancel()
			return nil
		})
		return scope.Run(ctx, func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				return err
			}
			resp, err := srv.Client().Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return errors.New("request succeeded")
			}
			bodyErr = err
			return err
		})
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !errors.Is(bodyErr, context.Canceled) {
		t.Errorf("http.Client.Do: got %v, want an error wrapping context.Canceled", bodyErr)
	}
	if !scope.CancelledCaught() {
		t.Errorf("CancelledCaught() = false, want true (wrapped context.Canceled swallowed)")
	}
}

// Cancellation errors satisfy errors.Is(err, ctx.Err()) and
// errors.Is(err, anyio.ErrCancelled), for scope and plain contexts alike.
func TestCancellationErrorMatches(t *testing.T) {
	t.Run("scope", func(t *testing.T) {
		scope := anyio.NewCancelScope()
		_ = scope.Run(context.Background(), func(ctx context.Context) error {
			scope.Cancel()
			err := anyio.Sleep(ctx, time.Hour)
			if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, ctx.Err()) || !errors.Is(err, context.Canceled) {
				t.Errorf("Sleep: got %v, want a match for ErrCancelled, ctx.Err() and context.Canceled", err)
			}
			if errors.Is(err, anyio.ErrTimeout) {
				t.Errorf("Sleep: %v matches ErrTimeout, want not", err)
			}
			return err
		})
	})
	t.Run("plain WithCancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := anyio.Sleep(ctx, time.Hour)
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep: got %v, want a match for ErrCancelled and context.Canceled", err)
		}
	})
	t.Run("plain WithTimeout", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		err := anyio.SleepForever(ctx)
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("SleepForever: got %v, want a match for ErrCancelled and context.DeadlineExceeded", err)
		}
	})
	t.Run("plain WithCancelCause", func(t *testing.T) {
		why := errors.New("why")
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(why)
		err := lowlevel.Checkpoint(ctx)
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.Canceled) || !errors.Is(err, why) {
			t.Errorf("Checkpoint: got %v, want a match for ErrCancelled, context.Canceled and the cause", err)
		}
	})
}

func TestCancelWithReason(t *testing.T) {
	scope := anyio.NewCancelScope()
	err := scope.Run(context.Background(), func(ctx context.Context) error {
		scope.CancelWithReason("test reason")
		scope.CancelWithReason("second reason")
		err := lowlevel.Checkpoint(ctx)
		if err == nil || !strings.Contains(err.Error(), "test reason") {
			t.Errorf("Checkpoint: got %v, want an error whose message holds %q", err, "test reason")
		}
		if err != nil && strings.Contains(err.Error(), "second reason") {
			t.Errorf("Checkpoint: got %v, want only the first reason", err)
		}
		if !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("Checkpoint: got %v, want a match for ErrCancelled", err)
		}
		cause := context.Cause(ctx)
		if cause == nil || !strings.Contains(cause.Error(), "test reason") {
			t.Errorf("context.Cause: got %v, want the reason", cause)
		}
		return err
	})
	if err != nil || !scope.CancelledCaught() {
		t.Errorf("Run: got %v, CancelledCaught()=%v; want nil, true", err, scope.CancelledCaught())
	}
}

// A task group cancelled with a reason passes it to its children.
func TestCancelWithReasonReachesChildren(t *testing.T) {
	var childErr atomic.Value
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx)
			childErr.Store(err)
			if c := context.Cause(ctx); c == nil || !strings.Contains(c.Error(), "shutting down") {
				t.Errorf("context.Cause in child: got %v, want the reason", c)
			}
			return err
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelScope().CancelWithReason("shutting down")
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if e, _ := childErr.Load().(error); e == nil || !strings.Contains(e.Error(), "shutting down") {
		t.Errorf("child's SleepForever: got %v, want an error naming the reason", e)
	}
}
