package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

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
			anyiotest.Run(t, func(ctx context.Context) error {
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
			anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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

// A scope that a task entered can be cancelled from another task
// (test_cancel_scope_in_another_task, test_cancel_scope_in_child_task).
func TestCancelScopeInChildTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
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
			anyiotest.Run(t, func(ctx context.Context) error {
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

// AnyIO's test_single_cancellation_exc: a group cancelled from an outer
// scope passes on one cancellation error, not a group of them.
func TestOuterCancelGivesSingleCancellation(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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
	anyiotest.Run(t, func(ctx context.Context) error {
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
