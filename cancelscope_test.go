package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// scRun runs fn as the root task of a fresh anyio.Run and fails the test if
// Run returns an error.
func scRun(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	if err := anyio.Run(context.Background(), fn); err != nil {
		t.Fatalf("anyio.Run: got error %v, want nil", err)
	}
}

// scIsCancel reports whether err is a cancellation error in the sense of
// principle 2: it matches anyio.ErrCancelled and the Err() of ctx.
func scIsCancel(ctx context.Context, err error) bool {
	return err != nil && errors.Is(err, anyio.ErrCancelled) && ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// scWantCancel returns an error describing why err is not a cancellation
// error for ctx, or nil if it is one.
func scWantCancel(ctx context.Context, call string, err error) error {
	if !scIsCancel(ctx, err) {
		return fmt.Errorf("%s: got %v (ctx.Err()=%v), want a cancellation error matching anyio.ErrCancelled and ctx.Err()", call, err, ctx.Err())
	}
	return nil
}

// scBlockingOps are the blocking calls that must fail in a cancelled scope.
var scBlockingOps = []struct {
	name string
	// canBlock: the call actually blocks (so it can be cancelled while
	// waiting), as opposed to only checking.
	canBlock bool
	op       func(ctx context.Context) error
}{
	{"Sleep", true, func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }},
	{"Sleep(0)", false, func(ctx context.Context) error { return anyio.Sleep(ctx, 0) }},
	{"SleepUntil", true, func(ctx context.Context) error { return anyio.SleepUntil(ctx, time.Now().Add(time.Hour)) }},
	{"SleepForever", true, anyio.SleepForever},
	{"lowlevel.Checkpoint", false, lowlevel.Checkpoint},
	{"lowlevel.CheckpointIfCancelled", false, lowlevel.CheckpointIfCancelled},
	{"WaitAllTasksBlocked", false, anyio.WaitAllTasksBlocked},
	{"WithTaskGroup join", true, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever, anyio.TaskName("joined child"))
			return nil
		})
	}},
}

// Level-triggered cancellation: every blocking call in a cancelled scope
// fails, every time, until the scope is left; then the same calls work again.
func TestCancelScopeLevelTriggered(t *testing.T) {
	for _, tc := range scBlockingOps {
		t.Run(tc.name, func(t *testing.T) {
			scRun(t, func(ctx context.Context) error {
				scope := anyio.NewCancelScope()
				err := scope.Run(ctx, func(ctx context.Context) error {
					scope.Cancel()
					var last error
					for i := range 3 {
						last = tc.op(ctx)
						if err := scWantCancel(ctx, fmt.Sprintf("%s call %d", tc.name, i+1), last); err != nil {
							t.Error(err)
						}
					}
					return last
				})
				if err != nil {
					t.Errorf("CancelScope.Run: got %v, want nil (own cancellation swallowed)", err)
				}
				if !scope.CancelledCaught() {
					t.Errorf("CancelledCaught() = false, want true")
				}
				// Outside the scope the cancellation is over.
				if err := lowlevel.Checkpoint(ctx); err != nil {
					t.Errorf("lowlevel.Checkpoint after leaving the scope: got %v, want nil", err)
				}
				return nil
			})
		})
	}
}

// The same, with the cancellation coming from an enclosing scope while the
// call is blocked: the call returns, and every later call fails too.
func TestCancelScopeLevelTriggeredWhileBlocked(t *testing.T) {
	for _, tc := range scBlockingOps {
		if !tc.canBlock {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			scRun(t, func(ctx context.Context) error {
				outer := anyio.NewCancelScope()
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
							return err
						}
						outer.Cancel()
						return nil
					}, anyio.TaskName("canceller"))
					err := outer.Run(ctx, func(ctx context.Context) error {
						// An inner scope of its own, so that the
						// cancellation comes from outside it.
						return anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
							first := tc.op(ctx)
							if err := scWantCancel(ctx, tc.name+" (cancelled while blocked)", first); err != nil {
								t.Error(err)
							}
							for i := range 2 {
								if err := scWantCancel(ctx, fmt.Sprintf("%s again (%d)", tc.name, i+1), tc.op(ctx)); err != nil {
									t.Error(err)
								}
							}
							return first
						})
					})
					if err != nil {
						t.Errorf("outer CancelScope.Run: got %v, want nil", err)
					}
					if !outer.CancelledCaught() {
						t.Errorf("outer.CancelledCaught() = false, want true")
					}
					return nil
				})
			})
		})
	}
}

// AnyIO's test_level_cancellation / test_cancel: a child that starts in an
// already cancelled group runs until its first blocking call, which fails.
func TestCancelScopeChildStartsInCancelledGroup(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		var marker atomic.Int32
		// A Go child runs in parallel at once (AnyIO's waits for the host
		// to yield), so the gate holds it before its checkpoint until the
		// group has been cancelled.
		gate := make(chan struct{})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				marker.Store(1)
				<-gate
				if err := lowlevel.Checkpoint(ctx); err != nil {
					return err
				}
				marker.Store(2)
				return nil
			})
			tg.CancelScope().Cancel()
			close(gate)
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if got := marker.Load(); got != 1 {
			t.Errorf("marker = %d, want 1 (the child ran up to its checkpoint and no further)", got)
		}
		return nil
	})
}

func TestCancelScopeCancelBeforeRun(t *testing.T) {
	cases := []struct {
		name       string
		body       func(ctx context.Context) error
		wantCaught bool
	}{
		{"body meets the cancellation", func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, true},
		{"body returns ctx.Err()", func(ctx context.Context) error { return ctx.Err() }, true},
		{"body returns nil", func(ctx context.Context) error { return nil }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scope := anyio.NewCancelScope()
			scope.Cancel()
			if !scope.CancelCalled() {
				t.Errorf("CancelCalled() before Run = false, want true")
			}
			var sawCancelled bool
			err := scope.Run(context.Background(), func(ctx context.Context) error {
				sawCancelled = ctx.Err() != nil
				return tc.body(ctx)
			})
			if err != nil {
				t.Errorf("Run: got %v, want nil", err)
			}
			if !sawCancelled {
				t.Errorf("body's ctx.Err() = nil, want the body to start cancelled")
			}
			if got := scope.CancelledCaught(); got != tc.wantCaught {
				t.Errorf("CancelledCaught() = %v, want %v", got, tc.wantCaught)
			}
		})
	}
}

// AnyIO's test_cancelled_not_caught: cancelling and leaving without meeting
// the cancellation leaves CancelledCaught false.
func TestCancelScopeCancelledNotCaught(t *testing.T) {
	scope := anyio.NewCancelScope()
	err := scope.Run(context.Background(), func(ctx context.Context) error {
		scope.Cancel()
		return nil
	})
	if err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	if !scope.CancelCalled() {
		t.Errorf("CancelCalled() = false, want true")
	}
	if scope.CancelledCaught() {
		t.Errorf("CancelledCaught() = true, want false")
	}
}

// A cancel scope that nothing cancels reports nothing.
func TestCancelScopeUncancelled(t *testing.T) {
	scope := anyio.NewCancelScope()
	err := scope.Run(context.Background(), func(ctx context.Context) error {
		if ctx.Err() != nil {
			t.Errorf("ctx.Err() = %v, want nil", ctx.Err())
		}
		if _, ok := ctx.Deadline(); ok {
			t.Errorf("ctx.Deadline(): ok = true, want false")
		}
		return lowlevel.Checkpoint(ctx)
	})
	if err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	if scope.CancelCalled() || scope.CancelledCaught() {
		t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want false, false", scope.CancelCalled(), scope.CancelledCaught())
	}
	if _, ok := scope.Deadline(); ok {
		t.Errorf("Deadline(): ok = true, want false")
	}
	if scope.Shield() {
		t.Errorf("Shield() = true, want false")
	}
	// Cancelling after the scope was left has no effect (and does not panic).
	scope.Cancel()
}

func TestCancelScopeRunTwicePanics(t *testing.T) {
	for _, name := range []string{"after Run returned", "while running"} {
		t.Run(name, func(t *testing.T) {
			scope := anyio.NewCancelScope()
			runAgain := func() (msg string) {
				defer func() {
					r := recover()
					msg = fmt.Sprint(r)
				}()
				_ = scope.Run(context.Background(), func(context.Context) error { return nil })
				return ""
			}
			var msg string
			_ = scope.Run(context.Background(), func(context.Context) error {
				if name == "while running" {
					msg = runAgain()
				}
				return nil
			})
			if name == "after Run returned" {
				msg = runAgain()
			}
			if !strings.HasPrefix(msg, "anyio:") {
				t.Errorf("second CancelScope.Run: panic %q, want a panic starting with \"anyio:\"", msg)
			}
		})
	}
}

// A task group's scope is entered by WithTaskGroup; it cannot be run again.
func TestCancelScopeTaskGroupScopeCannotRun(t *testing.T) {
	var msg string
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		defer func() { msg = fmt.Sprint(recover()) }()
		_ = tg.CancelScope().Run(ctx, func(context.Context) error { return nil })
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: %v", err)
	}
	if !strings.HasPrefix(msg, "anyio:") {
		t.Errorf("tg.CancelScope().Run: panic %q, want an anyio: panic", msg)
	}
}

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

// A scope that a task entered can be cancelled from another task
// (test_cancel_scope_in_another_task, test_cancel_scope_in_child_task).
func TestCancelScopeInChildTask(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		var childScope = anyio.NewCancelScope()
		var result atomic.Bool
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				return childScope.Run(ctx, func(ctx context.Context) error {
					if err := anyio.Sleep(ctx, time.Hour); err != nil {
						return err
					}
					result.Store(true)
					return nil
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			childScope.Cancel()
			// The host is not affected.
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if result.Load() {
			t.Errorf("the child's sleep completed, want it cancelled")
		}
		if !childScope.CancelledCaught() {
			t.Errorf("childScope.CancelledCaught() = false, want true")
		}
		if tgScope.CancelCalled() {
			t.Errorf("task group scope CancelCalled() = true, want false")
		}
		return nil
	})
}

// Nested scopes: each swallows only what it caused, and the outermost
// cancelled scope up to the first shield swallows. In each case, reached
// records whether the code right after the inner scope ran, which it does
// only when the inner scope swallowed the cancellation.
func TestNestedScopes(t *testing.T) {
	type scopes struct{ outer, middle, inner *anyio.CancelScope }
	cases := []struct {
		name        string
		run         func(ctx context.Context, s scopes, reached *bool) error
		wantCaught  [3]bool // outer, middle, inner
		wantReached bool
	}{
		{
			name: "outer cancelled, inner not: outer swallows",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				return s.outer.Run(ctx, func(ctx context.Context) error {
					if err := s.inner.Run(ctx, func(ctx context.Context) error {
						s.outer.Cancel()
						return anyio.SleepForever(ctx)
					}); err != nil {
						return err
					}
					*reached = true
					return nil
				})
			},
			wantCaught: [3]bool{true, false, false},
		},
		{
			name: "inner then outer cancelled, unshielded: outer swallows",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				return s.outer.Run(ctx, func(ctx context.Context) error {
					if err := s.inner.Run(ctx, func(ctx context.Context) error {
						s.inner.Cancel()
						err := lowlevel.Checkpoint(ctx)
						s.outer.Cancel()
						return err
					}); err != nil {
						return err
					}
					*reached = true
					return nil
				})
			},
			wantCaught: [3]bool{true, false, false},
		},
		{
			name: "inner shielded cancelled, then outer: inner swallows",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				s.inner.SetShield(true)
				return s.outer.Run(ctx, func(ctx context.Context) error {
					if err := s.inner.Run(ctx, func(ctx context.Context) error {
						s.inner.Cancel()
						err := lowlevel.Checkpoint(ctx)
						s.outer.Cancel()
						return err
					}); err != nil {
						return err
					}
					*reached = true
					return nil
				})
			},
			wantCaught:  [3]bool{false, false, true},
			wantReached: true,
		},
		{
			name: "scope-based checkpoint in a cancelled scope",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				return s.outer.Run(ctx, func(ctx context.Context) error {
					s.outer.Cancel()
					if err := s.inner.Run(ctx, func(ctx context.Context) error {
						s.inner.Cancel()
						return anyio.SleepForever(ctx)
					}); err != nil {
						return err
					}
					*reached = true
					return nil
				})
			},
			wantCaught: [3]bool{true, false, false},
		},
		{
			name: "move on inside a scope, then cancel the scope",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				s.inner.SetDeadline(time.Now().Add(-time.Second))
				return s.outer.Run(ctx, func(ctx context.Context) error {
					if err := s.inner.Run(ctx, func(ctx context.Context) error {
						return anyio.Sleep(ctx, time.Hour)
					}); err != nil {
						return err
					}
					*reached = true
					s.outer.Cancel()
					return nil
				})
			},
			wantCaught:  [3]bool{false, false, true},
			wantReached: true,
		},
		{
			name: "triple nested, shield, checkpoint in outer",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				return s.outer.Run(ctx, func(ctx context.Context) error {
					if err := s.middle.Run(ctx, func(ctx context.Context) error {
						return s.inner.Run(ctx, func(ctx context.Context) error {
							s.outer.Cancel()
							s.middle.Cancel()
							return lowlevel.Checkpoint(ctx)
						})
					}); err != nil {
						return err
					}
					if err := lowlevel.Checkpoint(ctx); err != nil {
						return err
					}
					*reached = true
					return nil
				})
			},
			wantCaught: [3]bool{true, false, false},
		},
		{
			name: "triple nested, shield, checkpoint in middle",
			run: func(ctx context.Context, s scopes, reached *bool) error {
				return s.outer.Run(ctx, func(ctx context.Context) error {
					return s.middle.Run(ctx, func(ctx context.Context) error {
						if err := s.inner.Run(ctx, func(ctx context.Context) error {
							s.outer.Cancel()
							return lowlevel.Checkpoint(ctx)
						}); err != nil {
							return err
						}
						if err := lowlevel.Checkpoint(ctx); err != nil {
							return err
						}
						*reached = true
						return nil
					})
				})
			},
			wantCaught: [3]bool{true, false, false},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scRun(t, func(ctx context.Context) error {
				s := scopes{anyio.NewCancelScope(), anyio.NewCancelScope(), anyio.NewCancelScope()}
				if strings.HasPrefix(tc.name, "triple") {
					s.inner.SetShield(true)
				}
				var reached bool
				if err := tc.run(ctx, s, &reached); err != nil {
					t.Errorf("outer Run: got %v, want nil", err)
				}
				got := [3]bool{s.outer.CancelledCaught(), s.middle.CancelledCaught(), s.inner.CancelledCaught()}
				if got != tc.wantCaught {
					t.Errorf("CancelledCaught (outer, middle, inner) = %v, want %v", got, tc.wantCaught)
				}
				if reached != tc.wantReached {
					t.Errorf("code after the inner scope ran = %v, want %v", reached, tc.wantReached)
				}
				return nil
			})
		})
	}
}

// scEvent is a minimal event built on cancel scopes, so that these tests wait
// in anyio waits (visible to WaitAllTasksBlocked) without depending on
// anyio.Event: a waiter sleeps forever in a scope of its own, and Set
// cancels those scopes.
type scEvent struct {
	mu      sync.Mutex
	set     bool
	waiters []*anyio.CancelScope
}

func (e *scEvent) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set = true
	for _, w := range e.waiters {
		w.Cancel()
	}
}

func (e *scEvent) Wait(ctx context.Context) error {
	s := anyio.NewCancelScope()
	e.mu.Lock()
	if e.set {
		e.mu.Unlock()
		return lowlevel.CheckpointIfCancelled(ctx)
	}
	e.waiters = append(e.waiters, s)
	e.mu.Unlock()
	return s.Run(ctx, anyio.SleepForever)
}

// AnyIO's test_shielding: a shielded scope in a group cancelled meanwhile
// completes its body; the next blocking call outside it fails.
func TestShielding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scRun(t, func(ctx context.Context) error {
			var innerDone, outerDone bool
			inner := anyio.MoveOnAfter(10*time.Second, anyio.Shielded())
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					tg.CancelScope().Cancel()
					return nil
				}, anyio.TaskName("canceller"))
				if !inner.Shield() {
					t.Errorf("MoveOnAfter(..., Shielded()).Shield() = false, want true")
				}
				if err := inner.Run(ctx, func(ctx context.Context) error {
					if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					innerDone = true
					return nil
				}); err != nil {
					return err
				}
				if err := anyio.Sleep(ctx, time.Second); err != nil {
					return err
				}
				outerDone = true
				return nil
			})
			if err != nil {
				t.Errorf("WithTaskGroup: got %v, want nil", err)
			}
			if !innerDone || outerDone {
				t.Errorf("shielded sleep completed = %v, outer sleep completed = %v; want true, false", innerDone, outerDone)
			}
			if !tgScope.CancelCalled() {
				t.Errorf("group scope CancelCalled() = false, want true")
			}
			if inner.CancelCalled() || inner.CancelledCaught() {
				t.Errorf("shielded scope CancelCalled()=%v CancelledCaught()=%v, want false, false", inner.CancelCalled(), inner.CancelledCaught())
			}
			return nil
		})
	})
}

// AnyIO's test_cancel_from_shielded_scope: inside a shield the task sees no
// deadline and no pending cancellation; outside it, it does, level-triggered.
func TestCancelFromShieldedScope(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				tg.CancelScope().Cancel()
				if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
					t.Errorf("CurrentEffectiveDeadline in shield: got %v, want none", d)
				}
				if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
					t.Errorf("HasPendingCancellation in shield = true, want false")
				}
				return lowlevel.Checkpoint(ctx)
			})
			if err != nil {
				t.Errorf("shielded Run: got %v, want nil", err)
			}
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Before(time.Now()) {
				t.Errorf("CurrentEffectiveDeadline after shield: got %v, %v; want a time in the past", d, ok)
			}
			if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
				t.Errorf("HasPendingCancellation after shield = false, want true")
			}
			for i := range 2 {
				if err := scWantCancel(ctx, fmt.Sprintf("Sleep %d", i+1), anyio.Sleep(ctx, 10*time.Millisecond)); err != nil {
					t.Error(err)
				}
			}
			return nil
		})
	})
}

// AnyIO's test_cancel_shielded_scope: a shield does not protect a scope from
// its own cancellation.
func TestCancelShieldedScope(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope(anyio.Shielded())
		err := scope.Run(ctx, func(ctx context.Context) error {
			if !scope.Shield() {
				t.Errorf("Shield() = false, want true")
			}
			scope.Cancel()
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Before(time.Now()) {
				t.Errorf("CurrentEffectiveDeadline: got %v, %v; want a time in the past", d, ok)
			}
			if !anyio.GetCurrentTask(ctx).HasPendingCancellation() {
				t.Errorf("HasPendingCancellation = false, want true")
			}
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught()=%v; want nil, true", err, scope.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_shielded_cleanup_after_cancel: a shielded scope entered in a
// cancelled scope runs clean-up code uncancelled.
func TestShieldedCleanupAfterCancel(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		outer := anyio.NewCancelScope()
		err := outer.Run(ctx, func(ctx context.Context) error {
			outer.Cancel()
			err := lowlevel.Checkpoint(ctx)
			check := func(when string, wantCancelled bool) {
				t.Helper()
				d, ok := anyio.CurrentEffectiveDeadline(ctx)
				if wantCancelled && (!ok || !d.Before(time.Now())) {
					t.Errorf("%s: CurrentEffectiveDeadline = %v, %v; want a time in the past", when, d, ok)
				}
				if got := anyio.GetCurrentTask(ctx).HasPendingCancellation(); got != wantCancelled {
					t.Errorf("%s: HasPendingCancellation = %v, want %v", when, got, wantCancelled)
				}
			}
			check("before the shield", true)
			if err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(sctx context.Context) error {
				if d, ok := anyio.CurrentEffectiveDeadline(sctx); ok {
					t.Errorf("in the shield: CurrentEffectiveDeadline = %v, want none", d)
				}
				if anyio.GetCurrentTask(sctx).HasPendingCancellation() {
					t.Errorf("in the shield: HasPendingCancellation = true, want false")
				}
				return anyio.Sleep(sctx, time.Millisecond)
			}); err != nil {
				t.Errorf("shielded clean-up: got %v, want nil", err)
			}
			check("after the shield", true)
			return err
		})
		if err != nil || !outer.CancelledCaught() {
			t.Errorf("outer Run: got %v, CancelledCaught()=%v; want nil, true", err, outer.CancelledCaught())
		}
		return nil
	})
}

// SetShield after entering: raising it keeps out a later outer cancellation,
// lowering it under a cancelled parent cancels the scope at once, and raising
// it after the scope was cancelled does not revive its context.
func TestSetShieldAfterEntering(t *testing.T) {
	t.Run("raise, then lower", func(t *testing.T) {
		scRun(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			inner := anyio.NewCancelScope()
			err := outer.Run(ctx, func(ctx context.Context) error {
				return inner.Run(ctx, func(ctx context.Context) error {
					inner.SetShield(true)
					if !inner.Shield() {
						t.Errorf("Shield() after SetShield(true) = false")
					}
					outer.Cancel()
					if err := lowlevel.Checkpoint(ctx); err != nil {
						t.Errorf("Checkpoint under a raised shield: got %v, want nil", err)
					}
					inner.SetShield(false)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() right after SetShield(false) = nil, want the outer cancellation")
					}
					return lowlevel.Checkpoint(ctx)
				})
			})
			if err != nil {
				t.Errorf("outer Run: got %v, want nil", err)
			}
			if !outer.CancelledCaught() || inner.CancelledCaught() {
				t.Errorf("CancelledCaught outer=%v inner=%v, want true, false", outer.CancelledCaught(), inner.CancelledCaught())
			}
			return nil
		})
	})
	t.Run("lower under an already cancelled parent", func(t *testing.T) {
		scRun(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			return outer.Run(ctx, func(ctx context.Context) error {
				outer.Cancel()
				inner := anyio.NewCancelScope(anyio.Shielded())
				err := inner.Run(ctx, func(ctx context.Context) error {
					if err := anyio.Sleep(ctx, time.Millisecond); err != nil {
						t.Errorf("Sleep in the shield: got %v, want nil", err)
					}
					inner.SetShield(false)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() right after SetShield(false) = nil, want cancelled")
					}
					return anyio.Sleep(ctx, time.Hour)
				})
				if !scIsCancel(ctx, err) {
					t.Errorf("inner Run: got %v, want the outer cancellation passed on", err)
				}
				return err
			})
		})
	})
	t.Run("raise after cancellation does not revive", func(t *testing.T) {
		scRun(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			return outer.Run(ctx, func(ctx context.Context) error {
				inner := anyio.NewCancelScope()
				return inner.Run(ctx, func(ctx context.Context) error {
					outer.Cancel()
					if ctx.Err() == nil {
						t.Fatalf("ctx.Err() = nil after the outer Cancel")
					}
					inner.SetShield(true)
					if ctx.Err() == nil {
						t.Errorf("ctx.Err() after SetShield(true) = nil, want it to stay done")
					}
					if ctx.Done() == nil {
						t.Errorf("ctx.Done() = nil")
					} else {
						select {
						case <-ctx.Done():
						default:
							t.Errorf("ctx.Done() not closed after SetShield(true)")
						}
					}
					err := lowlevel.Checkpoint(ctx)
					if err == nil {
						t.Errorf("Checkpoint after SetShield(true): got nil, want the cancellation")
					}
					return err
				})
			})
		})
	})
}

// AnyIO's test_shielding_mutate: a started task raises its shield, survives
// the group's cancellation, then lowers it and is cancelled.
func TestShieldingMutate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scRun(t, func(ctx context.Context) error {
			var completed atomic.Bool
			var lastErr atomic.Value
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[struct{}]) error {
					scope := anyio.NewCancelScope()
					err := scope.Run(ctx, func(ctx context.Context) error {
						if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
							return err
						}
						scope.SetShield(true)
						st.Started(struct{}{})
						if err := anyio.Sleep(ctx, 100*time.Millisecond); err != nil {
							return err
						}
						completed.Store(true)
						scope.SetShield(false)
						err := anyio.Sleep(ctx, time.Second)
						lastErr.Store(fmt.Sprint(err))
						return err
					})
					if err == nil {
						t.Errorf("task: got past the scope, want a cancellation")
					}
					return err
				})
				if err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				t.Errorf("WithTaskGroup: got %v, want nil", err)
			}
			if !completed.Load() {
				t.Errorf("the shielded sleep did not complete")
			}
			if s, _ := lastErr.Load().(string); !strings.Contains(s, "cancel") {
				t.Errorf("the sleep after lowering the shield: got %q, want a cancellation", s)
			}
			return nil
		})
	})
}

// AnyIO's test_shielding_immediate_scope_cancelled: a shielded scope can be
// cancelled by another task.
func TestShieldedScopeCancelledByOtherTask(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope(anyio.Shielded())
		var completed bool
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			return scope.Run(ctx, func(ctx context.Context) error {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					scope.Cancel()
					return nil
				})
				if err := anyio.Sleep(ctx, time.Hour); err != nil {
					return err
				}
				completed = true
				return nil
			})
		})
		if err != nil || completed || !scope.CancelledCaught() {
			t.Errorf("got err=%v completed=%v caught=%v, want nil, false, true", err, completed, scope.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancel_child_task_when_host_is_shielded: cancelling a scope
// reaches the children of a group inside it even while the group's host sits
// in a shielded scope.
func TestCancelChildWhenHostIsShielded(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		var cancelled scEvent
		parent := anyio.NewCancelScope()
		err := parent.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.SleepForever(ctx)
					cancelled.Set()
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(10*time.Second).Run(ctx, func(ctx context.Context) error {
						parent.Cancel()
						return cancelled.Wait(ctx)
					})
				})
			})
		})
		if err != nil || !parent.CancelledCaught() {
			t.Errorf("got %v, CancelledCaught()=%v; want nil, true", err, parent.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancel_shielding_start: a shielded scope in a task being
// started keeps the cancellation of the Start caller's scope out; the
// cancellation arrives at the first checkpoint after the shield.
func TestCancelShieldingStart(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		var resume scEvent
		var shieldedErr, afterErr atomic.Value
		outer := anyio.NewCancelScope()
		err := outer.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
						_ = anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
							shieldedErr.Store(fmt.Sprint(resume.Wait(ctx)))
							return nil
						})
						err := lowlevel.Checkpoint(ctx)
						afterErr.Store(fmt.Sprint(err))
						return err
					})
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				outer.Cancel()
				resume.Set()
				return nil
			})
		})
		if err != nil {
			t.Errorf("outer Run: got %v, want nil", err)
		}
		if s := shieldedErr.Load(); s != "<nil>" {
			t.Errorf("wait in the shield: got %v, want <nil>", s)
		}
		if s, _ := afterErr.Load().(string); !strings.Contains(s, "cancel") {
			t.Errorf("checkpoint after the shield: got %q, want a cancellation", s)
		}
		return nil
	})
}

// A shielded child waiting while a cancellation is pending outside is parked
// in an anyio wait (no busy loop): WaitAllTasksBlocked returns, and DumpTasks
// and GetRunningTasks show it waiting with no pending cancellation.
func TestShieldedWaiterIsParked(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		childScope := anyio.NewCancelScope(anyio.Shielded())
		var childErr error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				childErr = childScope.Run(ctx, anyio.SleepForever)
				return childErr
			}, anyio.TaskName("shielded sleeper"))
			return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return fmt.Errorf("WaitAllTasksBlocked with the cancellation pending: %w", err)
				}
				var found bool
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if ti.Name == "shielded sleeper" {
						found = true
						if ti.HasPendingCancellation() {
							t.Errorf("HasPendingCancellation of the shielded sleeper = true, want false")
						}
					}
				}
				if !found {
					t.Errorf("GetRunningTasks: no task named %q", "shielded sleeper")
				}
				var b strings.Builder
				if err := anyio.DumpTasks(ctx, &b); err != nil {
					return err
				}
				dump := b.String()
				var line string
				for _, l := range strings.Split(dump, "\n") {
					if strings.Contains(l, `"shielded sleeper"`) {
						line = l
					}
				}
				if !strings.Contains(line, "waiting on SleepForever") || strings.Contains(line, "cancellation pending") {
					t.Errorf("DumpTasks line of the sleeper: %q, want it waiting on SleepForever with no pending cancellation\n%s", line, dump)
				}
				if !strings.Contains(dump, "task group (cancelled") {
					t.Errorf("DumpTasks: want the group shown as cancelled\n%s", dump)
				}
				// Lowering the shield lets the pending cancellation in.
				childScope.SetShield(false)
				return nil
			})
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		if childErr == nil || !errors.Is(childErr, anyio.ErrCancelled) {
			t.Errorf("the child's shielded scope: got %v, want the group's cancellation passed on", childErr)
		}
		return nil
	})
}

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

// AnyIO's test_single_cancellation_exc: a group cancelled from an outer
// scope passes on one cancellation error, not a group of them.
func TestOuterCancelGivesSingleCancellation(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		outer := anyio.NewCancelScope()
		var groupErr error
		err := outer.Run(ctx, func(ctx context.Context) error {
			groupErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				for range 3 {
					tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				outer.Cancel()
				return anyio.Sleep(ctx, time.Hour)
			})
			return groupErr
		})
		var eg *anyio.ExceptionGroup
		if !errors.Is(groupErr, anyio.ErrCancelled) || errors.As(groupErr, &eg) {
			t.Errorf("WithTaskGroup: got %v (%T), want a single cancellation error", groupErr, groupErr)
		}
		if err != nil || !outer.CancelledCaught() {
			t.Errorf("outer Run: got %v, CancelledCaught=%v; want nil, true", err, outer.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's test_cancelled_parent: a scope inside a task of a cancelled group
// does not swallow the group's cancellation, so the code after it never runs.
func TestCancelledParent(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
						return anyio.Sleep(ctx, time.Hour)
					}); err != nil {
						return err
					}
					return errors.New("foo")
				})
				return nil
			})
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup: got %v, want nil", err)
		}
		return nil
	})
}

// AnyIO's test_cancel_before_entering_task_group: a group entered in a
// cancelled scope whose tasks meet no cancellation reports nothing; a group
// whose join has to wait for a cancelled child reports the cancellation.
func TestTaskGroupInCancelledScope(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		return scope.Run(ctx, func(ctx context.Context) error {
			scope.Cancel()
			if err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error { return nil }); err != nil {
				t.Errorf("empty group in a cancelled scope: got %v, want nil", err)
			}
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever)
				return nil
			})
			if !scIsCancel(ctx, err) {
				t.Errorf("group with a sleeping child in a cancelled scope: got %v, want a cancellation", err)
			}
			return err
		})
	})
}

// AnyIO's test_cancel_twice: the same task can be cancelled by two groups in
// a row.
func TestCancelTwice(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		for i := range 2 {
			reached := false
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					tg.CancelScope().Cancel()
					return nil
				})
				if err := anyio.Sleep(ctx, time.Hour); err != nil {
					return err
				}
				reached = true
				return nil
			})
			if err != nil || reached {
				t.Errorf("round %d: got %v, reached=%v; want nil, false", i+1, err, reached)
			}
		}
		return nil
	})
}

// Scope options combine in any order.
func TestScopeOptions(t *testing.T) {
	d := time.Now().Add(time.Hour)
	for name, s := range map[string]*anyio.CancelScope{
		"Deadline, Shielded": anyio.NewCancelScope(anyio.Deadline(d), anyio.Shielded()),
		"Shielded, Deadline": anyio.NewCancelScope(anyio.Shielded(), anyio.Deadline(d)),
		"MoveOnAt Shielded":  anyio.MoveOnAt(d, anyio.Shielded()),
		"FailAt Shielded":    anyio.FailAt(d, anyio.Shielded()),
	} {
		if got, ok := s.Deadline(); !ok || !got.Equal(d) || !s.Shield() {
			t.Errorf("%s: Deadline()=%v,%v Shield()=%v; want %v, true, true", name, got, ok, s.Shield(), d)
		}
	}
	// MoveOnAt(d, Deadline(...)) does not compile (see
	// options_compile_test.go).
}

// The methods of a scope are safe to call from many goroutines at once while
// its body runs (run with -race).
func TestCancelScopeConcurrentUse(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, anyio.SleepForever)
			})
			for i := range 8 {
				tg.StartSoon(func(ctx context.Context) error {
					for j := range 50 {
						switch (i + j) % 6 {
						case 0:
							scope.SetDeadline(time.Now().Add(time.Hour))
						case 1:
							scope.ClearDeadline()
						case 2:
							scope.SetShield(j%2 == 0)
						case 3:
							_, _ = scope.Deadline()
							_ = scope.Shield()
						case 4:
							_ = scope.CancelCalled()
							_ = scope.CancelledCaught()
						case 5:
							_, _ = anyio.CurrentEffectiveDeadline(ctx)
						}
					}
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
		return nil
	})
}

// A panic in a scope's body goes through Run; the scope is left on the way
// (its context is done and the task is back in its outer scope).
func TestCancelScopeBodyPanics(t *testing.T) {
	scRun(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var inner context.Context
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want boom", r)
				}
			}()
			_ = scope.Run(ctx, func(ctx context.Context) error {
				inner = ctx
				scope.Cancel()
				panic("boom")
			})
		}()
		if inner.Err() == nil {
			t.Errorf("the scope's ctx after the panic is not done")
		}
		if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
			t.Errorf("HasPendingCancellation after leaving the cancelled scope by a panic = true, want false")
		}
		if err := lowlevel.Checkpoint(ctx); err != nil {
			t.Errorf("Checkpoint after the panicking scope: got %v, want nil", err)
		}
		if scope.CancelledCaught() {
			t.Errorf("CancelledCaught() = true after a panic, want false")
		}
		return nil
	})
}

// ErrTimeout is a timeout in the net.Error sense.
func TestErrTimeoutIsTimeout(t *testing.T) {
	err := anyio.FailAfter(-1).Run(context.Background(), anyio.SleepForever)
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Errorf("FailAfter error %v: want Timeout() true", err)
	}
	if !strings.Contains(err.Error(), "timed out") && !strings.Contains(err.Error(), "deadline") {
		t.Errorf("ErrTimeout message %q, want it to say it timed out", err)
	}
}
