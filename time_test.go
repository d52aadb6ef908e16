package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// Sleep returns nil after exactly d (virtual time).
func TestSleep(t *testing.T) {
	for _, d := range []time.Duration{time.Nanosecond, time.Millisecond, time.Second, time.Hour, 1000 * time.Hour} {
		t.Run(d.String(), func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				took, err := scElapsed(func() error { return anyio.Sleep(ctx, d) })
				if err != nil || took != d {
					t.Errorf("Sleep(ctx, %v): got %v after %v, want nil after %v", d, err, took, d)
				}
				return nil
			}, anyiotest.Timeout(2*d)) // the default (24h) is shorter than the longest sleep
		})
	}
}

// Sleep with d <= 0 is a checkpoint: it returns at once, nil unless ctx is
// cancelled.
func TestSleepZero(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		anyiotest.RunVirtual(t, func(ctx context.Context) error {
			took, err := scElapsed(func() error { return anyio.Sleep(ctx, d) })
			if err != nil || took != 0 {
				t.Errorf("Sleep(ctx, %v): got %v after %v, want nil at once", d, err, took)
			}
			c, cancel := context.WithCancel(ctx)
			cancel()
			if err := anyio.Sleep(c, d); !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Sleep(cancelled, %v): got %v, want a cancellation", d, err)
			}
			return nil
		})
	}
}

// SleepUntil sleeps until the deadline; one in the past returns at once
// (AnyIO's test_sleep_until, test_sleep_until_in_past).
func TestSleepUntil(t *testing.T) {
	cases := []struct {
		name   string
		offset time.Duration
		want   time.Duration
	}{
		{"future", 500*time.Second + 102352*time.Microsecond, 500*time.Second + 102352*time.Microsecond},
		{"now", 0, 0},
		{"past", -500 * time.Second, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				deadline := anyio.CurrentTime().Add(tc.offset)
				took, err := scElapsed(func() error { return anyio.SleepUntil(ctx, deadline) })
				if err != nil || took != tc.want {
					t.Errorf("SleepUntil(now%+v): got %v after %v, want nil after %v", tc.offset, err, took, tc.want)
				}
				return nil
			})
		})
	}
}

// SleepForever returns only when its context is cancelled, with the
// cancellation error.
func TestSleepForever(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(1000 * time.Hour)
		var took time.Duration
		err := scope.Run(ctx, func(ctx context.Context) error {
			var err error
			took, err = scElapsed(func() error { return anyio.SleepForever(ctx) })
			if !scIsCancel(ctx, err) {
				t.Errorf("SleepForever: got %v, want a cancellation", err)
			}
			return err
		})
		if err != nil || !scope.CancelledCaught() || took != 1000*time.Hour {
			t.Errorf("got %v, caught=%v after %v; want nil, true after 1000h", err, scope.CancelledCaught(), took)
		}
		return nil
	}, anyiotest.Timeout(2000*time.Hour)) // the default (24h) is shorter than the scope's deadline
}

// The time functions work on plain contexts too: a plain deadline ends them
// with context.DeadlineExceeded.
func TestSleepPlainContext(t *testing.T) {
	// Plain contexts, no Run: a bare synctest bubble for the virtual clock.
	synctest.Test(t, func(t *testing.T) {
		if err := anyio.Sleep(context.Background(), time.Minute); err != nil {
			t.Errorf("Sleep(Background, 1m): got %v, want nil", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for name, f := range map[string]func() error{
			"Sleep":        func() error { return anyio.Sleep(ctx, time.Hour) },
			"SleepUntil":   func() error { return anyio.SleepUntil(ctx, time.Now().Add(time.Hour)) },
			"SleepForever": func() error { return anyio.SleepForever(ctx) },
		} {
			err := f()
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, ctx.Err()) {
				t.Errorf("%s with a 1m plain deadline: got %v, want a cancellation matching context.DeadlineExceeded", name, err)
			}
		}
	})
}

// CurrentTime is monotonic: it never goes back, it carries the monotonic
// clock reading, and it advances with sleeps.
func TestCurrentTime(t *testing.T) {
	prev := anyio.CurrentTime()
	if !strings.Contains(prev.String(), "m=") {
		t.Errorf("CurrentTime() = %v, want a monotonic clock reading (m=...)", prev)
	}
	for range 1000 {
		now := anyio.CurrentTime()
		if now.Before(prev) {
			t.Fatalf("CurrentTime went back: %v after %v", now, prev)
		}
		prev = now
	}
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		before := anyio.CurrentTime()
		if err := anyio.Sleep(ctx, 10*time.Second); err != nil {
			return err
		}
		if got := anyio.CurrentTime().Sub(before); got != 10*time.Second {
			t.Errorf("CurrentTime advanced %v over Sleep(10s), want 10s", got)
		}
		return nil
	})
}

// A sleep cut short by a cancellation returns at once, not at its end.
func TestSleepCancelledEarly(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var took time.Duration
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				var err error
				took, err = scElapsed(func() error { return anyio.Sleep(ctx, time.Hour) })
				return err
			})
			if err := anyio.Sleep(ctx, time.Minute); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil || took != time.Minute {
			t.Errorf("got %v, child slept %v; want nil, 1m", err, took)
		}
		return nil
	})
}

// scElapsed runs body and returns how much (virtual) time it took and its
// error.
func scElapsed(body func() error) (time.Duration, error) {
	start := time.Now()
	err := body()
	return time.Since(start), err
}

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
