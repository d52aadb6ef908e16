package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// Cancel scope tests: deadlines, the timeout scopes (MoveOnAfter, MoveOnAt,
// FailAfter, FailAt) and CurrentEffectiveDeadline.

func TestScopeDeadline(t *testing.T) {
	cases := []struct {
		name string
		// initial deadline (from now), or 0 for none
		initial time.Duration
		// change applies to the entered scope; nil for none
		change func(s *anyio.CancelScope, now time.Time)
		// wantAt: when the body's Sleep(ctx, 10h) ends; 10h means never
		// cancelled
		wantAt time.Duration
		// wantDeadline: Deadline() after the change (0: none)
		wantDeadline time.Duration
	}{
		{"initial deadline", time.Minute, nil, time.Minute, time.Minute},
		{"SetDeadline earlier", time.Hour, func(s *anyio.CancelScope, now time.Time) { s.SetDeadline(now.Add(time.Minute)) }, time.Minute, time.Minute},
		{"SetDeadline later", time.Minute, func(s *anyio.CancelScope, now time.Time) { s.SetDeadline(now.Add(time.Hour)) }, time.Hour, time.Hour},
		{"SetDeadline with none before", 0, func(s *anyio.CancelScope, now time.Time) { s.SetDeadline(now.Add(time.Second)) }, time.Second, time.Second},
		{"ClearDeadline", time.Minute, func(s *anyio.CancelScope, now time.Time) { s.ClearDeadline() }, 10 * time.Hour, 0},
		{"ClearDeadline then SetDeadline", time.Minute, func(s *anyio.CancelScope, now time.Time) {
			s.ClearDeadline()
			s.SetDeadline(now.Add(2 * time.Minute))
		}, 2 * time.Minute, 2 * time.Minute},
		{"past deadline", time.Hour, func(s *anyio.CancelScope, now time.Time) { s.SetDeadline(now.Add(-time.Second)) }, 0, -time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				start := time.Now()
				var opts []anyio.ScopeOption
				if tc.initial != 0 {
					opts = append(opts, anyio.Deadline(start.Add(tc.initial)))
				}
				scope := anyio.NewCancelScope(opts...)
				var took time.Duration
				err := scope.Run(ctx, func(ctx context.Context) error {
					if tc.change != nil {
						tc.change(scope, start)
					}
					d, ok := scope.Deadline()
					if tc.wantDeadline == 0 && ok || tc.wantDeadline != 0 && (!ok || !d.Equal(start.Add(tc.wantDeadline))) {
						t.Errorf("Deadline() = %v, %v; want %v from now", d, ok, tc.wantDeadline)
					}
					cd, cok := ctx.Deadline()
					if cok != ok || !cd.Equal(d) {
						t.Errorf("ctx.Deadline() = %v, %v; want the scope's %v, %v", cd, cok, d, ok)
					}
					var err error
					took, err = scElapsed(func() error { return anyio.Sleep(ctx, 10*time.Hour) })
					return err
				})
				if err != nil {
					t.Errorf("Run: got %v, want nil", err)
				}
				if took != tc.wantAt {
					t.Errorf("Sleep(ctx, 10h) returned after %v, want %v", took, tc.wantAt)
				}
				cancelled := tc.wantAt != 10*time.Hour
				if scope.CancelCalled() != cancelled || scope.CancelledCaught() != cancelled {
					t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want %v, %v", scope.CancelCalled(), scope.CancelledCaught(), cancelled, cancelled)
				}
				return nil
			})
		})
	}
}

// AnyIO's test_cancel_scope_cleared: once a scope cut short by its own
// deadline has been left, nothing of its cancellation lingers: a checkpoint
// passes, no cancellation is pending, and a later sleep runs its full length
// (the deadline's timer does not fire into the outer scope).
func TestCancelScopeCleared(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(100 * time.Millisecond)
		var inner time.Duration
		var innerErr error
		err := scope.Run(ctx, func(ctx context.Context) error {
			inner, innerErr = scElapsed(func() error { return anyio.Sleep(ctx, time.Second) })
			return innerErr
		})
		if err != nil || !scope.CancelledCaught() {
			return fmt.Errorf("MoveOnAfter Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
		if !errors.Is(innerErr, anyio.ErrCancelled) || inner != 100*time.Millisecond {
			t.Errorf("Sleep(1s) in the scope: got %v after %v, want a cancellation after 100ms", innerErr, inner)
		}
		if err := lowlevel.Checkpoint(ctx); err != nil {
			t.Errorf("Checkpoint after the scope: got %v, want nil", err)
		}
		if anyio.GetCurrentTask(ctx).HasPendingCancellation() {
			t.Errorf("HasPendingCancellation after the scope = true, want false")
		}
		if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
			t.Errorf("CurrentEffectiveDeadline after the scope = %v, want none", d)
		}
		took, err := scElapsed(func() error { return anyio.Sleep(ctx, time.Second) })
		if err != nil || took != time.Second {
			t.Errorf("Sleep(1s) after the scope: got %v after %v, want nil after 1s", err, took)
		}
		return nil
	})
}

// A past deadline cancels at once: the scope's context is done before the
// body's first call.
func TestScopePastDeadlineCancelsAtOnce(t *testing.T) {
	for _, name := range []string{"MoveOnAfter(0)", "MoveOnAfter(-1s)", "Deadline option in the past", "SetDeadline in the past"} {
		t.Run(name, func(t *testing.T) {
			var scope *anyio.CancelScope
			switch name {
			case "MoveOnAfter(0)":
				scope = anyio.MoveOnAfter(0)
			case "MoveOnAfter(-1s)":
				scope = anyio.MoveOnAfter(-time.Second)
			case "Deadline option in the past":
				scope = anyio.NewCancelScope(anyio.Deadline(time.Now().Add(-time.Hour)))
			default:
				scope = anyio.NewCancelScope()
			}
			reached := false
			err := scope.Run(context.Background(), func(ctx context.Context) error {
				if name == "SetDeadline in the past" {
					scope.SetDeadline(time.Now().Add(-time.Millisecond))
				}
				if ctx.Err() == nil {
					t.Errorf("ctx.Err() = nil, want the scope cancelled at once")
				}
				if err := lowlevel.Checkpoint(ctx); err != nil {
					return err
				}
				reached = true
				return nil
			})
			if err != nil || reached || !scope.CancelCalled() || !scope.CancelledCaught() {
				t.Errorf("got err=%v reached=%v CancelCalled=%v CancelledCaught=%v; want nil, false, true, true",
					err, reached, scope.CancelCalled(), scope.CancelledCaught())
			}
		})
	}
}

// The cancellation error caused by a deadline says so.
func TestScopeDeadlineErrorMessage(t *testing.T) {
	_ = anyio.MoveOnAfter(-1).Run(context.Background(), func(ctx context.Context) error {
		err := lowlevel.Checkpoint(ctx)
		if err == nil || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("Checkpoint: got %v, want an error mentioning the deadline", err)
		}
		return err
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

// MoveOnAfter, MoveOnAt, FailAfter and FailAt, instant and delayed, and with
// no timeout reached.
func TestTimeoutScopes(t *testing.T) {
	type mk func(now time.Time, d time.Duration) *anyio.CancelScope
	kinds := []struct {
		name string
		mk   mk
		fail bool
	}{
		{"MoveOnAfter", func(_ time.Time, d time.Duration) *anyio.CancelScope { return anyio.MoveOnAfter(d) }, false},
		{"MoveOnAt", func(now time.Time, d time.Duration) *anyio.CancelScope { return anyio.MoveOnAt(now.Add(d)) }, false},
		{"FailAfter", func(_ time.Time, d time.Duration) *anyio.CancelScope { return anyio.FailAfter(d) }, true},
		{"FailAt", func(now time.Time, d time.Duration) *anyio.CancelScope { return anyio.FailAt(now.Add(d)) }, true},
	}
	delays := []struct {
		name    string
		delay   time.Duration
		sleep   time.Duration
		expires bool
	}{
		{"instant", 0, time.Second, true},
		{"delayed", 100 * time.Millisecond, time.Second, true},
		{"not reached", time.Second, 100 * time.Millisecond, false},
	}
	for _, k := range kinds {
		for _, d := range delays {
			t.Run(k.name+"/"+d.name, func(t *testing.T) {
				anyiotest.RunVirtual(t, func(ctx context.Context) error {
					start := time.Now()
					scope := k.mk(start, d.delay)
					if dl, ok := scope.Deadline(); !ok || !dl.Equal(start.Add(d.delay)) {
						t.Errorf("Deadline() = %v, %v; want now+%v", dl, ok, d.delay)
					}
					completed := false
					var bodyErr error
					err := scope.Run(ctx, func(ctx context.Context) error {
						if bodyErr = anyio.Sleep(ctx, d.sleep); bodyErr != nil {
							return bodyErr
						}
						completed = true
						return nil
					})
					switch {
					case !d.expires:
						if err != nil || !completed {
							t.Errorf("Run: got %v, completed=%v; want nil, true", err, completed)
						}
					case k.fail:
						if !errors.Is(err, anyio.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
							t.Errorf("Run: got %v, want ErrTimeout matching context.DeadlineExceeded", err)
						}
						if errors.Is(err, anyio.ErrCancelled) {
							t.Errorf("Run: %v matches ErrCancelled; a timeout must not look like a cancellation", err)
						}
					default:
						if err != nil {
							t.Errorf("Run: got %v, want nil", err)
						}
					}
					if d.expires {
						if completed {
							t.Errorf("the body completed, want it cut short")
						}
						if bodyErr == nil || !strings.Contains(bodyErr.Error(), "deadline") {
							t.Errorf("body's Sleep: got %v, want a cancellation mentioning the deadline", bodyErr)
						}
						if got := time.Since(start); got != d.delay {
							t.Errorf("the scope ended after %v, want %v", got, d.delay)
						}
					}
					if scope.CancelCalled() != d.expires || scope.CancelledCaught() != d.expires {
						t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want %v, %v", scope.CancelCalled(), scope.CancelledCaught(), d.expires, d.expires)
					}
					return nil
				})
			})
		}
	}
}

// AnyIO's test_fail_after_no_timeout, test_move_on_after_no_timeout,
// test_fail_at_no_timeout and test_move_on_at_no_timeout. AnyIO passes None
// for "no deadline"; Go durations and times have no None, so the scope made
// by each constructor either has its deadline cleared before Run (the
// scope then reports no deadline, as AnyIO reports inf) or gets the
// farthest deadline there is. Either way the body runs to its end and the
// scope reports no cancellation.
func TestTimeoutScopesNoTimeout(t *testing.T) {
	kinds := []struct {
		name string
		fail bool
		// far makes the scope with the largest deadline the constructor
		// can express.
		far func() *anyio.CancelScope
		// plain makes the scope with an ordinary deadline.
		plain func() *anyio.CancelScope
	}{
		{"MoveOnAfter", false,
			func() *anyio.CancelScope { return anyio.MoveOnAfter(math.MaxInt64) },
			func() *anyio.CancelScope { return anyio.MoveOnAfter(time.Second) }},
		{"FailAfter", true,
			func() *anyio.CancelScope { return anyio.FailAfter(math.MaxInt64) },
			func() *anyio.CancelScope { return anyio.FailAfter(time.Second) }},
		{"MoveOnAt", false,
			func() *anyio.CancelScope { return anyio.MoveOnAt(time.Now().Add(math.MaxInt64)) },
			func() *anyio.CancelScope { return anyio.MoveOnAt(time.Now().Add(time.Second)) }},
		{"FailAt", true,
			func() *anyio.CancelScope { return anyio.FailAt(time.Now().Add(math.MaxInt64)) },
			func() *anyio.CancelScope { return anyio.FailAt(time.Now().Add(time.Second)) }},
	}
	for _, k := range kinds {
		for _, variant := range []string{"deadline cleared", "farthest deadline"} {
			t.Run(k.name+"/"+variant, func(t *testing.T) {
				anyiotest.RunVirtual(t, func(ctx context.Context) error {
					var scope *anyio.CancelScope
					if variant == "deadline cleared" {
						scope = k.plain()
						scope.ClearDeadline()
						if d, ok := scope.Deadline(); ok {
							t.Errorf("Deadline() after ClearDeadline = %v, true; want none", d)
						}
					} else {
						scope = k.far()
						d, ok := scope.Deadline()
						if !ok || time.Until(d) < 100*365*24*time.Hour {
							t.Errorf("Deadline() = %v, %v; want one centuries ahead", d, ok)
						}
					}
					completed := false
					err := scope.Run(ctx, func(ctx context.Context) error {
						d, ok := anyio.CurrentEffectiveDeadline(ctx)
						if variant == "deadline cleared" && ok {
							t.Errorf("CurrentEffectiveDeadline in the scope = %v, want none", d)
						}
						if ok && !d.After(time.Now()) {
							t.Errorf("CurrentEffectiveDeadline in the scope = %v, want none or one in the future", d)
						}
						took, err := scElapsed(func() error { return anyio.Sleep(ctx, 100*time.Millisecond) })
						if err != nil {
							return err
						}
						if took != 100*time.Millisecond {
							t.Errorf("Sleep(100ms) took %v", took)
						}
						completed = true
						return nil
					})
					if err != nil || !completed {
						t.Errorf("Run: got %v, completed=%v; want nil, true", err, completed)
					}
					if scope.CancelCalled() || scope.CancelledCaught() {
						t.Errorf("CancelCalled()=%v CancelledCaught()=%v, want false, false", scope.CancelCalled(), scope.CancelledCaught())
					}
					return nil
				})
			})
		}
	}
}

// AnyIO's test_fail_after_cancelled_before_deadline, and the case AnyIO
// marks as an expected failure: a FailAfter scope cancelled by its own
// Cancel is no timeout, even if the deadline passes before the body meets
// the cancellation.
func TestFailAfterCancelledIsNoTimeout(t *testing.T) {
	for _, passDeadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline passed=%v", passDeadline), func(t *testing.T) {
			// A scope on a plain context, no Run: a bare synctest bubble for
			// the virtual clock.
			synctest.Test(t, func(t *testing.T) {
				scope := anyio.FailAfter(time.Second)
				err := scope.Run(context.Background(), func(ctx context.Context) error {
					scope.Cancel()
					if passDeadline {
						time.Sleep(2 * time.Second) // a blocking non-anyio call
					}
					return lowlevel.Checkpoint(ctx)
				})
				if err != nil {
					t.Errorf("Run: got %v, want nil (cancelled, not timed out)", err)
				}
				if !scope.CancelledCaught() {
					t.Errorf("CancelledCaught() = false, want true")
				}
			})
		})
	}
}

// A FailAfter scope entered after a cancelled group is unaffected by it
// (test_fail_after_after_cancellation).
func TestFailAfterAfterCancellation(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		if err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			return anyio.SleepForever(ctx)
		}); err != nil {
			return err
		}
		completed := false
		err := anyio.FailAfter(100*time.Millisecond).Run(ctx, func(ctx context.Context) error {
			if err := anyio.Sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			completed = true
			return nil
		})
		if !errors.Is(err, anyio.ErrTimeout) || completed {
			t.Errorf("FailAfter Run: got %v, completed=%v; want ErrTimeout, false", err, completed)
		}
		return nil
	})
}

// One ErrTimeout, however many tasks inside the FailAfter scope its deadline
// cancelled (test_timeout_error_with_multiple_cancellations).
func TestFailAfterManyCancelledTasks(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		err := anyio.FailAfter(100*time.Millisecond).Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				for range 5 {
					tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, 2*time.Second) })
				}
				return anyio.Sleep(ctx, 2*time.Second)
			})
		})
		if err != anyio.ErrTimeout {
			t.Errorf("FailAfter Run: got %v (%T), want ErrTimeout itself", err, err)
		}
		return nil
	})
}

// An outer cancellation wins over an inner FailAfter (test_nested_fail_after)
// unless a shield stands between them (test_nested_shield).
func TestNestedFailAfter(t *testing.T) {
	t.Run("outer cancellation wins", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			scope := anyio.NewCancelScope()
			var failErr error
			reached := false
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					return anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
						tg.StartSoon(func(ctx context.Context) error {
							if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
								return err
							}
							scope.Cancel()
							return nil
						}, anyio.TaskName("killer"))
						failErr = anyio.FailAfter(time.Second).Run(ctx, func(ctx context.Context) error {
							return anyio.Sleep(ctx, 2*time.Second)
						})
						if failErr != nil {
							return failErr
						}
						reached = true
						return nil
					})
				})
			})
			if err != nil {
				t.Errorf("WithTaskGroup: got %v, want nil", err)
			}
			if !errors.Is(failErr, anyio.ErrCancelled) || errors.Is(failErr, anyio.ErrTimeout) {
				t.Errorf("FailAfter Run: got %v, want the outer cancellation, not ErrTimeout", failErr)
			}
			if reached || !scope.CancelCalled() || !scope.CancelledCaught() {
				t.Errorf("reached=%v CancelCalled=%v CancelledCaught=%v; want false, true, true", reached, scope.CancelCalled(), scope.CancelledCaught())
			}
			return nil
		})
	})
	t.Run("deadline and outer cancellation both", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			fail := anyio.FailAfter(time.Second)
			var failErr error
			err := outer.Run(ctx, func(ctx context.Context) error {
				failErr = fail.Run(ctx, func(ctx context.Context) error {
					err := anyio.Sleep(ctx, time.Hour) // ended by the deadline
					outer.Cancel()
					return err
				})
				return failErr
			})
			if err != nil || !outer.CancelledCaught() {
				t.Errorf("outer Run: got %v, CancelledCaught=%v; want nil, true", err, outer.CancelledCaught())
			}
			if failErr == nil || errors.Is(failErr, anyio.ErrTimeout) || !errors.Is(failErr, anyio.ErrCancelled) {
				t.Errorf("FailAfter Run: got %v, want the outer cancellation", failErr)
			}
			return nil
		})
	})
	t.Run("shield between: timeout wins", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				scope := anyio.NewCancelScope()
				return scope.Run(ctx, func(ctx context.Context) error {
					return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
						tg.StartSoon(func(ctx context.Context) error {
							if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
								return err
							}
							scope.Cancel()
							return nil
						}, anyio.TaskName("killer"))
						return anyio.FailAfter(200*time.Millisecond).Run(ctx, func(ctx context.Context) error {
							return anyio.Sleep(ctx, 2*time.Second)
						})
					})
				})
			})
			var eg *anyio.ExceptionGroup
			if !errors.As(err, &eg) || len(eg.Errors) != 1 || eg.Errors[0] != anyio.ErrTimeout {
				t.Errorf("WithTaskGroup: got %v, want an ExceptionGroup holding only ErrTimeout", err)
			}
			return nil
		})
	})
}

// AnyIO's test_deadline_moved: moving a FailAfter deadline later lets the
// body finish.
func TestFailAfterDeadlineMoved(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.FailAfter(100 * time.Millisecond)
		return scope.Run(ctx, func(ctx context.Context) error {
			d, _ := scope.Deadline()
			scope.SetDeadline(d.Add(300 * time.Millisecond))
			return anyio.Sleep(ctx, 200*time.Millisecond)
		})
	})
}

// AnyIO's test_nested_move_on_after and test_shielded_deadline.
func TestNestedMoveOnAfter(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		outer := anyio.MoveOnAfter(100 * time.Millisecond)
		inner := anyio.MoveOnAfter(time.Second)
		sleepDone, innerDone := false, false
		err := outer.Run(ctx, func(ctx context.Context) error {
			od, _ := outer.Deadline()
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Equal(od) {
				t.Errorf("CurrentEffectiveDeadline in outer = %v, %v; want the outer deadline %v", d, ok, od)
			}
			if err := inner.Run(ctx, func(ctx context.Context) error {
				if d, ok := anyio.CurrentEffectiveDeadline(ctx); !ok || !d.Equal(od) {
					t.Errorf("CurrentEffectiveDeadline in inner = %v, %v; want the outer deadline %v", d, ok, od)
				}
				if err := anyio.Sleep(ctx, 2*time.Second); err != nil {
					return err
				}
				sleepDone = true
				return nil
			}); err != nil {
				return err
			}
			innerDone = true
			return nil
		})
		if err != nil || sleepDone || innerDone {
			t.Errorf("got err=%v sleepDone=%v innerDone=%v; want nil, false, false", err, sleepDone, innerDone)
		}
		if !outer.CancelCalled() || !outer.CancelledCaught() || inner.CancelCalled() || inner.CancelledCaught() {
			t.Errorf("outer called/caught = %v/%v, inner = %v/%v; want true/true, false/false",
				outer.CancelCalled(), outer.CancelledCaught(), inner.CancelCalled(), inner.CancelledCaught())
		}
		return nil
	})
}

func TestCurrentEffectiveDeadline(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		now := time.Now()
		check := func(name string, ctx context.Context, want time.Duration, wantOK bool) {
			t.Helper()
			d, ok := anyio.CurrentEffectiveDeadline(ctx)
			if ok != wantOK || wantOK && !d.Equal(now.Add(want)) {
				t.Errorf("%s: CurrentEffectiveDeadline = %v, %v; want now+%v, %v", name, d, ok, want, wantOK)
			}
		}
		check("Run root", ctx, 0, false)
		check("context.Background", context.Background(), 0, false)
		return anyio.MoveOnAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
			check("1h scope", ctx, time.Hour, true)
			if err := anyio.MoveOnAfter(2*time.Hour).Run(ctx, func(ctx context.Context) error {
				check("2h scope in 1h scope", ctx, time.Hour, true)
				return nil
			}); err != nil {
				return err
			}
			if err := anyio.MoveOnAfter(time.Minute).Run(ctx, func(ctx context.Context) error {
				check("1m scope in 1h scope", ctx, time.Minute, true)
				return nil
			}); err != nil {
				return err
			}
			if err := anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
				check("no-deadline scope in 1h scope", ctx, time.Hour, true)
				return nil
			}); err != nil {
				return err
			}
			if err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				check("shielded scope", ctx, 0, false)
				return anyio.MoveOnAfter(1000*time.Hour).Run(ctx, func(ctx context.Context) error {
					check("1000h scope in shield in 1h scope", ctx, 1000*time.Hour, true)
					return nil
				})
			}); err != nil {
				return err
			}
			if err := anyio.MoveOnAfter(3*time.Hour, anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
				check("shielded 3h scope", ctx, 3*time.Hour, true)
				return nil
			}); err != nil {
				return err
			}
			if err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				check("group in 1h scope", ctx, time.Hour, true)
				tg.CancelScope().SetDeadline(now.Add(time.Second))
				check("group with 1s deadline", ctx, time.Second, true)
				tg.StartSoon(func(ctx context.Context) error {
					check("child task of the group with 1s deadline", ctx, time.Second, true)
					return nil
				})
				return nil
			}); err != nil {
				return err
			}
			scope := anyio.NewCancelScope()
			return scope.Run(ctx, func(ctx context.Context) error {
				scope.Cancel()
				d, ok := anyio.CurrentEffectiveDeadline(ctx)
				if !ok || !d.Before(now) {
					t.Errorf("cancelled scope: CurrentEffectiveDeadline = %v, %v; want a time in the past", d, ok)
				}
				return nil
			})
		})
	})
}

// The zero time means "no deadline" wherever a deadline is given, as None
// does for AnyIO's move_on_at and fail_at (test_move_on_at_no_timeout,
// test_fail_at_no_timeout) and as it does for net.Conn.SetDeadline.
func TestZeroTimeMeansNoDeadline(t *testing.T) {
	scopes := map[string]func() *anyio.CancelScope{
		"MoveOnAt":        func() *anyio.CancelScope { return anyio.MoveOnAt(time.Time{}) },
		"FailAt":          func() *anyio.CancelScope { return anyio.FailAt(time.Time{}) },
		"Deadline option": func() *anyio.CancelScope { return anyio.NewCancelScope(anyio.Deadline(time.Time{})) },
	}
	for name, mk := range scopes {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s := mk()
				if d, ok := s.Deadline(); ok {
					t.Errorf("Deadline() before Run: got %v, true; want no deadline", d)
				}
				err := s.Run(ctx, func(ctx context.Context) error {
					if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
						t.Errorf("CurrentEffectiveDeadline: got %v, want none", d)
					}
					if err := lowlevel.Checkpoint(ctx); err != nil {
						t.Errorf("Checkpoint: got %v, want nil (no deadline, nothing cancelled)", err)
					}
					return nil
				})
				if err != nil || s.CancelledCaught() || s.CancelCalled() {
					t.Errorf("Run: got %v, CancelledCaught()=%v, CancelCalled()=%v; want nil, false, false", err, s.CancelledCaught(), s.CancelCalled())
				}
				return nil
			})
		})
	}
}

// SetDeadline with the zero time removes the deadline, also after the scope
// was entered: the earlier deadline no longer applies.
func TestSetDeadlineZeroClears(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.MoveOnAfter(time.Hour)
		err := s.Run(ctx, func(ctx context.Context) error {
			if _, ok := anyio.CurrentEffectiveDeadline(ctx); !ok {
				t.Error("CurrentEffectiveDeadline inside MoveOnAfter(1h): got none, want one")
			}
			s.SetDeadline(time.Time{})
			if d, ok := s.Deadline(); ok {
				t.Errorf("Deadline() after SetDeadline(zero): got %v, true; want none", d)
			}
			if d, ok := anyio.CurrentEffectiveDeadline(ctx); ok {
				t.Errorf("CurrentEffectiveDeadline after SetDeadline(zero): got %v, want none", d)
			}
			// A past deadline set afterwards still cancels at once.
			s.SetDeadline(time.Now().Add(-time.Second))
			return anyio.SleepForever(ctx)
		})
		if err != nil || !s.CancelledCaught() {
			t.Errorf("Run: got %v, CancelledCaught()=%v; want nil, true", err, s.CancelledCaught())
		}
		return nil
	})
}

// Deadlines under testing/synctest: an hour passes in no wall time, and
// every deadline fires at exactly its virtual instant.

func TestVirtualMoveOnAfterHour(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(time.Hour)
		took, err := scElapsed(func() error { return scope.Run(ctx, anyio.SleepForever) })
		if err != nil || !scope.CancelledCaught() || took != time.Hour {
			t.Errorf("MoveOnAfter(1h).Run(SleepForever): got %v, caught=%v after %v; want nil, true after 1h", err, scope.CancelledCaught(), took)
		}
		return nil
	})
}

func TestVirtualFailAfterHour(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		took, err := scElapsed(func() error {
			return anyio.FailAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
				return anyio.Sleep(ctx, 2*time.Hour)
			})
		})
		if !errors.Is(err, anyio.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || took != time.Hour {
			t.Errorf("FailAfter(1h).Run(Sleep 2h): got %v after %v; want ErrTimeout after 1h", err, took)
		}
		return nil
	})
}

// Sleep(ctx, time.Hour) in the tasks of a group cancelled by a deadline: the
// group's own deadline, or that of a scope around it.
func TestVirtualGroupCancelledByDeadline(t *testing.T) {
	for _, where := range []string{"group deadline", "enclosing scope deadline"} {
		t.Run(where, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				var cancelled atomic.Int32
				group := func(ctx context.Context) error {
					return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						if where == "group deadline" {
							tg.CancelScope().SetDeadline(time.Now().Add(time.Minute))
						}
						for range 5 {
							tg.StartSoon(func(ctx context.Context) error {
								err := anyio.Sleep(ctx, time.Hour)
								if errors.Is(err, anyio.ErrCancelled) {
									cancelled.Add(1)
								}
								return err
							})
						}
						return anyio.Sleep(ctx, time.Hour)
					})
				}
				var took time.Duration
				var err error
				if where == "group deadline" {
					took, err = scElapsed(func() error { return group(ctx) })
				} else {
					scope := anyio.MoveOnAfter(time.Minute)
					took, err = scElapsed(func() error { return scope.Run(ctx, group) })
					if !scope.CancelledCaught() {
						t.Errorf("enclosing scope CancelledCaught() = false, want true")
					}
				}
				if err != nil || took != time.Minute || cancelled.Load() != 5 {
					t.Errorf("got %v after %v with %d children cancelled; want nil after 1m with 5", err, took, cancelled.Load())
				}
				return nil
			})
		})
	}
}

// Many scopes with different deadlines each end at their own instant.
func TestVirtualManyDeadlines(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		const n = 50
		var ended [n]time.Duration
		start := time.Now()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range n {
				tg.StartSoon(func(ctx context.Context) error {
					d := time.Duration(n-i) * time.Second
					err := anyio.MoveOnAfter(d).Run(ctx, anyio.SleepForever)
					ended[i] = time.Since(start)
					return err
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, got := range ended {
			if want := time.Duration(n-i) * time.Second; got != want {
				t.Errorf("scope %d ended after %v, want %v", i, got, want)
			}
		}
		return nil
	})
}

// Nested timeouts: the earlier deadline acts; an outer MoveOnAfter swallows
// its own cancellation of an inner FailAfter, but never an inner timeout.
func TestVirtualNestedTimeouts(t *testing.T) {
	t.Run("outer earlier", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			outer := anyio.MoveOnAfter(time.Hour)
			var innerErr error
			took, err := scElapsed(func() error {
				return outer.Run(ctx, func(ctx context.Context) error {
					innerErr = anyio.FailAfter(2*time.Hour).Run(ctx, anyio.SleepForever)
					return innerErr
				})
			})
			if err != nil || took != time.Hour || !outer.CancelledCaught() {
				t.Errorf("outer: got %v after %v, caught=%v; want nil after 1h, true", err, took, outer.CancelledCaught())
			}
			if errors.Is(innerErr, anyio.ErrTimeout) || !errors.Is(innerErr, anyio.ErrCancelled) {
				t.Errorf("inner FailAfter: got %v, want the outer cancellation", innerErr)
			}
			return nil
		})
	})
	t.Run("inner earlier", func(t *testing.T) {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			outer := anyio.MoveOnAfter(2 * time.Hour)
			took, err := scElapsed(func() error {
				return outer.Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(time.Hour).Run(ctx, anyio.SleepForever)
				})
			})
			if err != anyio.ErrTimeout || took != time.Hour || outer.CancelledCaught() {
				t.Errorf("outer: got %v after %v, caught=%v; want ErrTimeout after 1h, false", err, took, outer.CancelledCaught())
			}
			return nil
		})
	})
}
