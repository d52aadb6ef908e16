package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// tgSafetyTimeout only ends a test that hangs because of a bug; no test relies
// on it for synchronisation.
const tgSafetyTimeout = 20 * time.Second

// tgRun runs fn as the root task of an anyio.Run and fails the test if Run
// returns an error (which must then be an untyped nil).
func tgRun(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tgSafetyTimeout)
	defer cancel()
	if err := anyio.Run(ctx, fn); err != nil {
		t.Fatalf("anyio.Run: got error %v, want nil", err)
	}
}

// tgGate is a one-shot event built from a cancel scope, so that a task waiting
// on it is parked in an anyio wait (WaitAllTasksBlocked sees it as blocked).
// One task may wait on a tgGate.
type tgGate struct{ s *anyio.CancelScope }

func tgNewGate() *tgGate { return &tgGate{s: anyio.NewCancelScope()} }

// open releases the waiter (also one that has not started waiting yet).
func (g *tgGate) open() { g.s.Cancel() }

// wait blocks until the tgGate is opened (nil) or ctx is cancelled from
// outside (a cancellation error).
func (g *tgGate) wait(ctx context.Context) error { return g.s.Run(ctx, anyio.SleepForever) }

// tgSlowExit yields many times: a task group that did not wait for the task
// would very likely return before the task finishes.
func tgSlowExit() {
	for range 200 {
		runtime.Gosched()
	}
}

// tgMustPanic calls fn and returns what it panicked with; it fails the test if
// fn returns normally.
func tgMustPanic(t *testing.T, what string, fn func()) (r any) {
	t.Helper()
	panicked := true
	func() {
		defer func() { r = recover() }()
		fn()
		panicked = false
	}()
	if !panicked {
		t.Fatalf("%s: returned normally, want a panic", what)
	}
	return r
}

// tgAsGroup returns err as an *ExceptionGroup, failing the test if it is not one.
func tgAsGroup(t *testing.T, what string, err error) *anyio.ExceptionGroup {
	t.Helper()
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) {
		t.Fatalf("%s: got %v (%T), want an *anyio.ExceptionGroup", what, err, err)
	}
	return eg
}

// tgWantSingleCancellation checks that err is one cancellation error, not a group.
func tgWantSingleCancellation(t *testing.T, what string, err error) {
	t.Helper()
	var eg *anyio.ExceptionGroup
	switch {
	case err == nil:
		t.Fatalf("%s: got nil, want a cancellation error", what)
	case errors.As(err, &eg):
		t.Fatalf("%s: got an *ExceptionGroup %v, want a single cancellation error", what, err)
	case !errors.Is(err, anyio.ErrCancelled):
		t.Fatalf("%s: got %v, want an error matching anyio.ErrCancelled", what, err)
	case !errors.Is(err, context.Canceled):
		t.Fatalf("%s: got %v, want an error matching context.Canceled", what, err)
	}
}

func TestTaskGroupSuccess(t *testing.T) {
	var mu sync.Mutex
	var results []string
	add := func(v string) func(context.Context) error {
		return func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			results = append(results, v)
			return nil
		}
	}
	body := func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(add("a"))
		tg.StartSoon(add("b"))
		return nil
	}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"foreign context", func() error { return anyio.WithTaskGroup(context.Background(), body) }},
		{"inside Run", func() error {
			var err error
			tgRun(t, func(ctx context.Context) error {
				err = anyio.WithTaskGroup(ctx, body)
				return nil
			})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results = nil
			err := tc.run()
			if err != nil { // an untyped nil, not a nil *ExceptionGroup
				t.Fatalf("WithTaskGroup: got %#v, want untyped nil", err)
			}
			slices.Sort(results)
			if !slices.Equal(results, []string{"a", "b"}) {
				t.Fatalf("results: got %q, want [a b]", results)
			}
		})
	}
}

// TestWithTaskGroupReturnsAfterEveryChild checks that WithTaskGroup returns
// (or re-panics) only after the body and every child returned, on every path.
func TestWithTaskGroupReturnsAfterEveryChild(t *testing.T) {
	const lingerers = 3
	boom := errors.New("boom")

	type env struct {
		tg          *anyio.TaskGroup
		gates       []*tgGate
		cancelOuter func() // cancels the scope or context around WithTaskGroup
	}
	type result struct {
		err      error
		panicked any
	}
	cases := []struct {
		name  string
		outer string // "plain", "scope", "context" or "foreign"
		act   func(ctx context.Context, e env) error
		check func(t *testing.T, r result)
	}{
		{
			name: "success", outer: "plain",
			act: func(ctx context.Context, e env) error {
				for _, g := range e.gates {
					g.open()
				}
				return nil
			},
			check: func(t *testing.T, r result) {
				if r.err != nil || r.panicked != nil {
					t.Fatalf("WithTaskGroup: got (%v, panic %v), want nil", r.err, r.panicked)
				}
			},
		},
		{
			name: "success with foreign context", outer: "foreign",
			act: func(ctx context.Context, e env) error {
				for _, g := range e.gates {
					g.open()
				}
				return nil
			},
			check: func(t *testing.T, r result) {
				if r.err != nil || r.panicked != nil {
					t.Fatalf("WithTaskGroup: got (%v, panic %v), want nil", r.err, r.panicked)
				}
			},
		},
		{
			name: "body error", outer: "plain",
			act: func(ctx context.Context, e env) error { return boom },
			check: func(t *testing.T, r result) {
				if !errors.Is(r.err, boom) {
					t.Fatalf("WithTaskGroup: got %v, want boom", r.err)
				}
			},
		},
		{
			name: "child error", outer: "plain",
			act: func(ctx context.Context, e env) error {
				e.tg.StartSoon(func(ctx context.Context) error { return boom })
				return nil
			},
			check: func(t *testing.T, r result) {
				if !errors.Is(r.err, boom) {
					t.Fatalf("WithTaskGroup: got %v, want boom", r.err)
				}
			},
		},
		{
			name: "body panic", outer: "plain",
			act: func(ctx context.Context, e env) error { panic("body") },
			check: func(t *testing.T, r result) {
				if pe, ok := r.panicked.(*anyio.PanicError); !ok || pe.Value != "body" {
					t.Fatalf("WithTaskGroup: panicked with %#v, want *PanicError{Value: body}", r.panicked)
				}
			},
		},
		{
			name: "child panic", outer: "plain",
			act: func(ctx context.Context, e env) error {
				e.tg.StartSoon(func(ctx context.Context) error { panic("child") })
				return nil
			},
			check: func(t *testing.T, r result) {
				if pe, ok := r.panicked.(*anyio.PanicError); !ok || pe.Value != "child" {
					t.Fatalf("WithTaskGroup: panicked with %#v, want *PanicError{Value: child}", r.panicked)
				}
			},
		},
		{
			name: "child Goexit", outer: "plain",
			act: func(ctx context.Context, e env) error {
				e.tg.StartSoon(func(ctx context.Context) error { runtime.Goexit(); return nil })
				return nil
			},
			check: func(t *testing.T, r result) {
				var ge *anyio.GoexitError
				if !errors.As(r.err, &ge) {
					t.Fatalf("WithTaskGroup: got %v, want a *GoexitError", r.err)
				}
			},
		},
		{
			name: "cancelled by body", outer: "plain",
			act: func(ctx context.Context, e env) error {
				e.tg.CancelScope().Cancel()
				return nil
			},
			check: func(t *testing.T, r result) {
				if r.err != nil || r.panicked != nil {
					t.Fatalf("WithTaskGroup: got (%v, panic %v), want nil", r.err, r.panicked)
				}
			},
		},
		{
			name: "cancelled by a child", outer: "plain",
			act: func(ctx context.Context, e env) error {
				e.tg.StartSoon(func(ctx context.Context) error {
					e.tg.CancelScope().Cancel()
					return nil
				})
				return anyio.SleepForever(ctx)
			},
			check: func(t *testing.T, r result) {
				if r.err != nil || r.panicked != nil {
					t.Fatalf("WithTaskGroup: got (%v, panic %v), want nil", r.err, r.panicked)
				}
			},
		},
		{
			name: "cancelled by an outer scope", outer: "scope",
			act: func(ctx context.Context, e env) error {
				e.cancelOuter()
				return anyio.SleepForever(ctx)
			},
			check: func(t *testing.T, r result) {
				tgWantSingleCancellation(t, "WithTaskGroup", r.err)
			},
		},
		{
			name: "cancelled by a parent context", outer: "context",
			act: func(ctx context.Context, e env) error {
				e.cancelOuter()
				return nil
			},
			check: func(t *testing.T, r result) {
				tgWantSingleCancellation(t, "WithTaskGroup", r.err)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var started, finished atomic.Int32
			body := func(cancelOuter func()) func(ctx context.Context, tg *anyio.TaskGroup) error {
				return func(ctx context.Context, tg *anyio.TaskGroup) error {
					e := env{tg: tg, cancelOuter: cancelOuter}
					for range lingerers {
						g := tgNewGate()
						e.gates = append(e.gates, g)
						tg.StartSoon(func(ctx context.Context) error {
							started.Add(1)
							err := g.wait(ctx)
							tgSlowExit()
							finished.Add(1)
							return err
						})
					}
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return fmt.Errorf("WaitAllTasksBlocked: %w", err)
					}
					return tc.act(ctx, e)
				}
			}
			var r result
			call := func(f func() error) {
				defer func() {
					r.panicked = recover()
					if got := finished.Load(); got != lingerers {
						t.Errorf("when WithTaskGroup returned, %d of %d children had finished", got, lingerers)
					}
				}()
				r.err = f()
			}
			switch tc.outer {
			case "foreign":
				call(func() error { return anyio.WithTaskGroup(context.Background(), body(nil)) })
			default:
				tgRun(t, func(ctx context.Context) error {
					switch tc.outer {
					case "plain":
						call(func() error { return anyio.WithTaskGroup(ctx, body(nil)) })
					case "scope":
						s := anyio.NewCancelScope()
						err := s.Run(ctx, func(ctx context.Context) error {
							call(func() error { return anyio.WithTaskGroup(ctx, body(s.Cancel)) })
							return r.err
						})
						if err != nil || !s.CancelledCaught() {
							t.Errorf("outer scope Run: got (%v, caught %v), want (nil, true)", err, s.CancelledCaught())
						}
					case "context":
						cctx, cancel := context.WithCancel(ctx)
						defer cancel()
						call(func() error { return anyio.WithTaskGroup(cctx, body(cancel)) })
						if !errors.Is(r.err, cctx.Err()) {
							t.Errorf("WithTaskGroup: got %v, want an error matching the parent's Err() %v", r.err, cctx.Err())
						}
					}
					return nil
				})
			}
			if got := started.Load(); got != lingerers {
				t.Errorf("started children: got %d, want %d", got, lingerers)
			}
			tc.check(t, r)
		})
	}
}

// tgAsyncError returns a child that, like AnyIO's async_error helper, waits
// until it is cancelled and then fails with err.
func tgAsyncError(err error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_ = anyio.SleepForever(ctx)
		return err
	}
}

func TestTaskGroupErrorsInOrderOfOccurrence(t *testing.T) {
	first, second, third := errors.New("first"), errors.New("second"), errors.New("third")
	cases := []struct {
		name string
		body func(ctx context.Context, tg *anyio.TaskGroup) error
		want []error
	}{
		{
			name: "one child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error { return first })
				return nil
			},
			want: []error{first},
		},
		{
			name: "body",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever) // cancelled; not an error of the group
				return first
			},
			want: []error{first},
		},
		{
			name: "two children",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(tgAsyncError(second))
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					return first
				})
				return nil
			},
			want: []error{first, second},
		},
		{
			name: "body then child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(tgAsyncError(second))
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return first
			},
			want: []error{first, second},
		},
		{
			name: "child then body then child",
			body: func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					return first
				})
				_ = anyio.SleepForever(ctx)
				// The body fails in its cleanup, after it started a last
				// child that fails once the host is joining (its wait is
				// shielded, as the group is cancelled by now).
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.NewCancelScope(anyio.Shielded()).Run(ctx, anyio.WaitAllTasksBlocked)
					if err != nil {
						return err
					}
					return third
				})
				return second
			},
			want: []error{first, second, third},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			tgRun(t, func(ctx context.Context) error {
				err = anyio.WithTaskGroup(ctx, tc.body)
				return nil
			})
			eg := tgAsGroup(t, "WithTaskGroup", err)
			if !slices.Equal(eg.Errors, tc.want) {
				t.Fatalf("WithTaskGroup errors: got %v, want %v", eg.Errors, tc.want)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(WithTaskGroup error, %v) = false, want true", w)
				}
				if !strings.Contains(err.Error(), w.Error()) {
					t.Errorf("WithTaskGroup error message %q does not mention %q", err.Error(), w)
				}
			}
			if errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("WithTaskGroup error %v matches ErrCancelled: the group's own cancellations must be filtered out", err)
			}
		})
	}
}

type tgCodeError struct{ code int }

func (e *tgCodeError) Error() string { return fmt.Sprintf("code %d", e.code) }

func TestTaskGroupErrorsAs(t *testing.T) {
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return fmt.Errorf("wrapped: %w", &tgCodeError{7}) })
		return nil
	})
	var ce *tgCodeError
	if !errors.As(err, &ce) || ce.code != 7 {
		t.Fatalf("errors.As(WithTaskGroup error, *tgCodeError): got %v (%v), want code 7", ce, err)
	}
}

// TestTaskGroupKeepsErrorsJoinedWithCancellation: an error that merely
// travels together with a cancellation is not a cancellation and must not be
// dropped by the group.
func TestTaskGroupKeepsErrorsJoinedWithCancellation(t *testing.T) {
	cleanup := errors.New("cleanup failed")
	for _, tc := range []struct {
		name string
		join func(cancelErr error) error
	}{
		{"errors.Join", func(c error) error { return errors.Join(cleanup, c) }},
		{"ExceptionGroup", func(c error) error { return &anyio.ExceptionGroup{Errors: []error{c, cleanup}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					return tc.join(anyio.SleepForever(ctx))
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			if !errors.Is(err, cleanup) {
				t.Fatalf("WithTaskGroup: got %v, want an error matching %q", err, cleanup)
			}
		})
	}
}

// TestTaskGroupDropsCancellationOnlyErrors: errors made only of
// cancellations caused by the group's scope are filtered out, however they
// are wrapped or grouped (AnyIO's test_reraise_cancelled_in_excgroup).
func TestTaskGroupDropsCancellationOnlyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(cancelErr error) error
	}{
		{"bare", func(c error) error { return c }},
		{"fmt.Errorf %w", func(c error) error { return fmt.Errorf("receive: %w", c) }},
		{"errors.Join", func(c error) error { return errors.Join(c, c) }},
		{"ExceptionGroup", func(c error) error { return &anyio.ExceptionGroup{Errors: []error{c}} }},
		{"context.Canceled", func(c error) error { return fmt.Errorf("http: %w", context.Canceled) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				tg.StartSoon(func(ctx context.Context) error {
					return tc.wrap(anyio.SleepForever(ctx))
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return tc.wrap(lowlevel.Checkpoint(ctx))
			})
			if err != nil {
				t.Fatalf("WithTaskGroup: got %v, want nil", err)
			}
			if !tgScope.CancelledCaught() {
				t.Fatal("group scope CancelledCaught() = false, want true")
			}
		})
	}
}

// TestTaskGroupManyFailingChildren: every failure is kept, none twice.
func TestTaskGroupManyFailingChildren(t *testing.T) {
	const n = 100
	errs := make([]error, n)
	for i := range errs {
		errs[i] = fmt.Errorf("child %d failed", i)
	}
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		for _, e := range errs {
			tg.StartSoon(func(ctx context.Context) error { return e })
		}
		return nil
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != n {
		t.Fatalf("WithTaskGroup: got %d errors, want %d", len(eg.Errors), n)
	}
	for _, e := range errs {
		if !slices.Contains(eg.Errors, e) {
			t.Fatalf("WithTaskGroup errors lack %v", e)
		}
	}
}

// TestTaskGroupScopeDeadline: the group's scope is a cancel scope like any
// other; its deadline cancels the body and every child, and is swallowed.
func TestTaskGroupScopeDeadline(t *testing.T) {
	var tgScope *anyio.CancelScope
	var finished atomic.Int32
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tgScope = tg.CancelScope()
		for range 3 {
			tg.StartSoon(func(ctx context.Context) error {
				err := anyio.SleepForever(ctx)
				finished.Add(1)
				return err
			})
		}
		tg.CancelScope().SetDeadline(time.Now().Add(5 * time.Millisecond))
		return anyio.SleepForever(ctx)
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !tgScope.CancelCalled() || !tgScope.CancelledCaught() {
		t.Fatalf("group scope: CancelCalled %v CancelledCaught %v, want both true", tgScope.CancelCalled(), tgScope.CancelledCaught())
	}
	if finished.Load() != 3 {
		t.Fatalf("children finished: got %d, want 3", finished.Load())
	}
}

func TestTaskGroupFailingChildCancelsHost(t *testing.T) {
	foo := errors.New("foo")
	var sleepErr error
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return foo
		})
		sleepErr = anyio.Sleep(ctx, time.Hour)
		return sleepErr
	})
	if !errors.Is(sleepErr, anyio.ErrCancelled) {
		t.Errorf("body Sleep: got %v, want a cancellation", sleepErr)
	}
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
}

func TestTaskGroupFailingBodyCancelsChildren(t *testing.T) {
	foo := errors.New("foo")
	var sleepCompleted atomic.Bool
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			sleepCompleted.Store(true)
			return nil
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		return foo
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
	if sleepCompleted.Load() {
		t.Fatal("child's Sleep completed; want it cancelled by the failing body")
	}
}

func TestTaskGroupExceptionCancelsSiblings(t *testing.T) {
	foo := errors.New("foo")
	var sleepCompleted atomic.Bool
	child := func(fail bool) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if fail {
				return foo
			}
			if err := anyio.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			sleepCompleted.Store(true)
			return nil
		}
	}
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(child(false))
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.StartSoon(child(true))
		return nil
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	if len(eg.Errors) != 1 || eg.Errors[0] != foo {
		t.Fatalf("WithTaskGroup errors: got %v, want [foo]", eg.Errors)
	}
	if sleepCompleted.Load() {
		t.Fatal("sibling's Sleep completed; want it cancelled")
	}
}

func TestTaskGroupCancelledFromOutside(t *testing.T) {
	boom := errors.New("boom")
	t.Run("outer scope", func(t *testing.T) {
		tgRun(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			var tgErr error
			var tgScope *anyio.CancelScope
			err := outer.Run(ctx, func(ctx context.Context) error {
				tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tgScope = tg.CancelScope()
					tg.StartSoon(anyio.SleepForever)
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					outer.Cancel()
					return anyio.Sleep(ctx, time.Hour)
				})
				return tgErr
			})
			tgWantSingleCancellation(t, "WithTaskGroup", tgErr)
			if tgScope.CancelledCaught() {
				t.Error("task group scope CancelledCaught() = true, want false: the cancellation came from outside")
			}
			if err != nil || !outer.CancelledCaught() {
				t.Errorf("outer scope Run: got (%v, caught %v), want (nil, true)", err, outer.CancelledCaught())
			}
			return nil
		})
	})
	t.Run("parent context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			tg.StartSoon(anyio.SleepForever)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			cancel()
			return anyio.SleepForever(ctx)
		})
		tgWantSingleCancellation(t, "WithTaskGroup", err)
		if !errors.Is(err, ctx.Err()) {
			t.Errorf("WithTaskGroup: got %v, want an error matching the parent's Err()", err)
		}
	})
	t.Run("parent context deadline", func(t *testing.T) {
		dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer dcancel()
		err := anyio.WithTaskGroup(dctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			return anyio.SleepForever(ctx)
		})
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WithTaskGroup: got %v, want an error matching ErrCancelled and context.DeadlineExceeded", err)
		}
		var eg *anyio.ExceptionGroup
		if errors.As(err, &eg) {
			t.Fatalf("WithTaskGroup: got a group %v, want one cancellation error", err)
		}
	})
	// The group keeps the cancellations that the outer scope caused next to
	// the child's error (as AnyIO on Trio does); the outer scope removes
	// them, and so catches a cancellation.
	t.Run("outer scope and a child error", func(t *testing.T) {
		tgRun(t, func(ctx context.Context) error {
			outer := anyio.NewCancelScope()
			var tgErr error
			outerErr := outer.Run(ctx, func(ctx context.Context) error {
				tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(anyio.SleepForever)
					tg.StartSoon(tgAsyncError(boom))
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					outer.Cancel()
					return anyio.SleepForever(ctx)
				})
				return tgErr
			})
			eg := tgAsGroup(t, "WithTaskGroup", tgErr)
			var others []error
			for _, e := range eg.Errors {
				if !errors.Is(e, anyio.ErrCancelled) {
					others = append(others, e)
				}
			}
			if len(others) != 1 || others[0] != boom || len(eg.Errors) < 2 {
				t.Errorf("WithTaskGroup errors: got %v, want boom and the cancellations of the outer scope", eg.Errors)
			}
			oeg := tgAsGroup(t, "outer scope Run", outerErr)
			if len(oeg.Errors) != 1 || oeg.Errors[0] != boom {
				t.Errorf("outer scope Run errors: got %v, want [boom] (its cancellations removed)", oeg.Errors)
			}
			if !outer.CancelledCaught() {
				t.Error("outer scope CancelledCaught() = false, want true: it removed the cancellations it caused")
			}
			return nil
		})
	})
}

// TestTaskGroupEmptyInCancelledScope: a group whose tasks never met the
// cancellation has nothing to report (AnyIO's
// test_cancel_before_entering_task_group).
func TestTaskGroupEmptyInCancelledScope(t *testing.T) {
	tgRun(t, func(ctx context.Context) error {
		s := anyio.NewCancelScope()
		var tgErr error
		s.Run(ctx, func(ctx context.Context) error {
			s.Cancel()
			tgErr = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error { return nil })
			return nil
		})
		if tgErr != nil {
			t.Errorf("empty WithTaskGroup in a cancelled scope: got %v, want nil", tgErr)
		}
		return nil
	})
}

func TestTaskGroupCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		// block is the child's first blocking call.
		block       func(ctx context.Context) error
		cancelFirst bool
	}{
		// AnyIO's test_level_cancellation: the child starts in a group that
		// is already cancelled.
		{"started after the cancel", lowlevel.Checkpoint, true},
		// AnyIO's test_cancel: whether the child blocks before or after the
		// cancel, its blocking call fails.
		{"started before the cancel", func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, false},
	} {
		t.Run("from body, child "+tc.name, func(t *testing.T) {
			var marker atomic.Int32
			var blockErr error
			var tgScope *anyio.CancelScope
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tgScope = tg.CancelScope()
				if tc.cancelFirst {
					tg.CancelScope().Cancel()
				}
				tg.StartSoon(func(ctx context.Context) error {
					marker.Store(1)
					blockErr = tc.block(ctx)
					if blockErr == nil {
						marker.Store(2)
					}
					return blockErr
				})
				tg.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				t.Fatalf("WithTaskGroup: got %v, want nil", err)
			}
			if got := marker.Load(); got != 1 {
				t.Fatalf("marker: got %d, want 1 (child ran up to its first blocking call)", got)
			}
			if !errors.Is(blockErr, anyio.ErrCancelled) {
				t.Fatalf("child's blocking call: got %v, want a cancellation", blockErr)
			}
			if !tgScope.CancelCalled() || !tgScope.CancelledCaught() {
				t.Fatalf("group scope: CancelCalled %v CancelledCaught %v, want both true", tgScope.CancelCalled(), tgScope.CancelledCaught())
			}
		})
	}
	t.Run("from a child", func(t *testing.T) {
		var bodyErr, siblingErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				siblingErr = anyio.SleepForever(ctx)
				return siblingErr
			})
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			bodyErr = anyio.SleepForever(ctx)
			return bodyErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !errors.Is(bodyErr, anyio.ErrCancelled) || !errors.Is(siblingErr, anyio.ErrCancelled) {
			t.Fatalf("body and sibling: got (%v, %v), want cancellations", bodyErr, siblingErr)
		}
	})
	t.Run("with reason", func(t *testing.T) {
		var cpErr error
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().CancelWithReason("test reason")
			cpErr = lowlevel.Checkpoint(ctx)
			return cpErr
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if cpErr == nil || !strings.Contains(cpErr.Error(), "test reason") {
			t.Fatalf("Checkpoint: got %v, want a cancellation mentioning %q", cpErr, "test reason")
		}
	})
	t.Run("escaping cancellation of the body", func(t *testing.T) {
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.CancelScope().Cancel()
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
	})
	t.Run("completed child", func(t *testing.T) {
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan struct{})
			tg.StartSoon(func(ctx context.Context) error { close(done); return nil })
			<-done
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
	})
	t.Run("twice in a row", func(t *testing.T) {
		// AnyIO's test_cancel_twice: the same task is cancelled by two groups.
		tgRun(t, func(ctx context.Context) error {
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
					t.Errorf("round %d: WithTaskGroup got %v (sleep completed %v), want nil and a cancelled sleep", i, err, reached)
				}
			}
			return nil
		})
	})
	t.Run("child's own scope", func(t *testing.T) {
		// AnyIO's test_cancel_scope_in_child_task: cancelling a scope inside a
		// child does not cancel the group.
		childScope := anyio.NewCancelScope()
		hostDone := false
		var tgScope *anyio.CancelScope
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgScope = tg.CancelScope()
			tg.StartSoon(func(ctx context.Context) error {
				return childScope.Run(ctx, func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			childScope.Cancel()
			if err := lowlevel.Checkpoint(ctx); err != nil {
				return err
			}
			hostDone = true
			return nil
		})
		if err != nil || !hostDone {
			t.Fatalf("WithTaskGroup: got %v (host done %v), want nil and the host to finish", err, hostDone)
		}
		if tgScope.CancelCalled() {
			t.Fatal("group scope CancelCalled() = true, want false")
		}
		if !childScope.CancelledCaught() {
			t.Fatal("child scope CancelledCaught() = false, want true")
		}
	})
}

// TestTaskGroupCancelPropagatesToNestedGroups covers AnyIO's
// test_cancel_propagation, test_cancel_cascade, test_cancel_exiting_task_group
// and test_cancel_propagation_with_inner_spawn.
func TestTaskGroupCancelPropagatesToNestedGroups(t *testing.T) {
	for _, tc := range []struct {
		name      string
		innerBody func(ctx context.Context, tg *anyio.TaskGroup) error
	}{
		{"inner body sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			return anyio.Sleep(ctx, time.Hour)
		}},
		{"inner child sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) }, anyio.TaskName("sleep"))
			return nil
		}},
		{"inner child and body sleeping", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
			return anyio.Sleep(ctx, time.Hour)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var innerErr error
			reachedAfterInner := false
			err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					innerErr = anyio.WithTaskGroup(ctx, tc.innerBody)
					if innerErr != nil {
						return innerErr
					}
					reachedAfterInner = true
					return nil
				}, anyio.TaskName("do_something"))
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.CancelScope().Cancel()
				return nil
			})
			if err != nil {
				t.Fatalf("outer WithTaskGroup: got %v, want nil", err)
			}
			if reachedAfterInner {
				t.Fatal("the child went on after its inner group was cancelled")
			}
			tgWantSingleCancellation(t, "inner WithTaskGroup", innerErr)
		})
	}
}

// TestTaskGroupNestedErrors: nested groups give nested groups, with every
// cancellation filtered out (AnyIO's test_nested_task_group_filtering).
func TestTaskGroupNestedErrors(t *testing.T) {
	parentFailed := errors.New("parent task failed")
	childFailed := errors.New("child task failed")
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return parentFailed
		})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg2 *anyio.TaskGroup) error {
			tg2.StartSoon(tgAsyncError(childFailed))
			return anyio.Sleep(ctx, time.Hour)
		})
	})
	eg := tgAsGroup(t, "outer WithTaskGroup", err)
	if len(eg.Errors) != 2 || eg.Errors[0] != parentFailed {
		t.Fatalf("outer errors: got %v, want [parent task failed, group(child task failed)]", eg.Errors)
	}
	inner, ok := eg.Errors[1].(*anyio.ExceptionGroup)
	if !ok {
		t.Fatalf("outer errors[1]: got %T %v, want *anyio.ExceptionGroup", eg.Errors[1], eg.Errors[1])
	}
	if len(inner.Errors) != 1 || inner.Errors[0] != childFailed {
		t.Fatalf("inner errors: got %v, want [child task failed]", inner.Errors)
	}
	if !errors.Is(err, childFailed) {
		t.Error("errors.Is(outer error, childFailed) = false, want true")
	}
	if errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("outer error %v contains a cancellation, want them filtered out", err)
	}
}

func TestTaskGroupStartSoonFromChildren(t *testing.T) {
	t.Run("while running", func(t *testing.T) {
		// AnyIO's test_start_soon_while_running and test_start_soon_parent_id.
		var hostID, grandchildParent atomic.Uint64
		var grandchildRan atomic.Bool
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			hostID.Store(anyio.GetCurrentTask(ctx).ID)
			tg.StartSoon(func(ctx context.Context) error {
				tg.StartSoon(func(ctx context.Context) error {
					grandchildParent.Store(anyio.GetCurrentTask(ctx).ParentID)
					tgSlowExit()
					grandchildRan.Store(true)
					return nil
				})
				return nil
			})
			return anyio.WaitAllTasksBlocked(ctx)
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !grandchildRan.Load() {
			t.Fatal("the grandchild had not finished when WithTaskGroup returned")
		}
		if got, want := grandchildParent.Load(), hostID.Load(); got != want || want == 0 {
			t.Fatalf("grandchild ParentID: got %d, want the host task's ID %d", got, want)
		}
	})
	t.Run("while the host joins", func(t *testing.T) {
		var bodyReturned, lateRan atomic.Bool
		var lateErr atomic.Value
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				// Once every other task is blocked, the host is in its join.
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if !bodyReturned.Load() {
					return errors.New("the body had not returned yet")
				}
				tg.StartSoon(func(ctx context.Context) error {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						lateErr.Store(err)
					}
					tgSlowExit()
					lateRan.Store(true)
					return nil
				})
				return nil
			})
			bodyReturned.Store(true)
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: got %v, want nil", err)
		}
		if !lateRan.Load() {
			t.Fatal("the child started during the join had not finished when WithTaskGroup returned")
		}
		if e := lateErr.Load(); e != nil {
			t.Fatalf("late child: %v", e)
		}
	})
	t.Run("concurrent fan-out", func(t *testing.T) {
		const fan = 20
		var ran atomic.Int32
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range fan {
				tg.StartSoon(func(ctx context.Context) error {
					for range fan {
						tg.StartSoon(func(ctx context.Context) error {
							ran.Add(1)
							return nil
						})
					}
					return nil
				})
			}
			return nil
		})
		if err != nil || ran.Load() != fan*fan {
			t.Fatalf("WithTaskGroup: got %v with %d grandchildren run, want nil with %d", err, ran.Load(), fan*fan)
		}
	})
	t.Run("deep chain", func(t *testing.T) {
		const depth = 50
		var ran atomic.Int32
		var spawn func(tg *anyio.TaskGroup, n int) func(context.Context) error
		spawn = func(tg *anyio.TaskGroup, n int) func(context.Context) error {
			return func(ctx context.Context) error {
				if n > 1 {
					tg.StartSoon(spawn(tg, n-1))
				}
				ran.Add(1)
				return nil
			}
		}
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(spawn(tg, depth))
			return nil
		})
		if err != nil || ran.Load() != depth {
			t.Fatalf("WithTaskGroup: got %v with %d tasks run, want nil with %d", err, ran.Load(), depth)
		}
	})
}

// TestTaskGroupStartSoonIntoCancelledGroup: a task started into a cancelled
// group still starts, and sees the cancellation at its first blocking call
// (AnyIO's test_cancelled_parent and test_level_cancellation).
func TestTaskGroupStartSoonIntoCancelledGroup(t *testing.T) {
	var ran, pastScope atomic.Bool
	var pending atomic.Bool
	var childErr atomic.Value
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := anyio.SleepForever(ctx); !errors.Is(err, anyio.ErrCancelled) {
				return fmt.Errorf("SleepForever: got %v, want a cancellation", err)
			}
			// The group is cancelled now; start one more task.
			tg.StartSoon(func(ctx context.Context) error {
				ran.Store(true)
				pending.Store(anyio.GetCurrentTask(ctx).HasPendingCancellation())
				err := anyio.NewCancelScope().Run(ctx, func(ctx context.Context) error {
					return anyio.Sleep(ctx, time.Hour)
				})
				childErr.Store(fmt.Sprint(err))
				if err != nil {
					return err
				}
				pastScope.Store(true)
				return errors.New("foo")
			})
			return nil
		})
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.CancelScope().Cancel()
		return nil
	})
	if err != nil {
		t.Fatalf("WithTaskGroup: got %v, want nil", err)
	}
	if !ran.Load() {
		t.Fatal("the task started into the cancelled group did not run")
	}
	if !pending.Load() {
		t.Error("HasPendingCancellation() in the late task: got false, want true")
	}
	if pastScope.Load() {
		t.Fatalf("the late task's inner scope swallowed the group's cancellation (Run returned %v)", childErr.Load())
	}
}

func TestTaskGroupInactive(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		body func(ctx context.Context, tg *anyio.TaskGroup) error
	}{
		{"after success", func(ctx context.Context, tg *anyio.TaskGroup) error { return nil }},
		{"after error", func(ctx context.Context, tg *anyio.TaskGroup) error { return boom }},
		{"after a child's error", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return boom })
			return nil
		}},
		{"after cancellation", func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(anyio.SleepForever)
			tg.CancelScope().Cancel()
			return nil
		}},
		{"after a panic", func(ctx context.Context, tg *anyio.TaskGroup) error { panic("boom") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgRun(t, func(ctx context.Context) error {
				var tg *anyio.TaskGroup
				func() {
					defer func() { recover() }()
					anyio.WithTaskGroup(ctx, func(ctx context.Context, g *anyio.TaskGroup) error {
						tg = g
						return tc.body(ctx, g)
					})
				}()
				ran := false
				for _, call := range []struct {
					name string
					fn   func()
				}{
					{"StartSoon", func() { tg.StartSoon(func(ctx context.Context) error { ran = true; return nil }) }},
					{"Start", func() {
						anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
							ran = true
							st.Started(1)
							return nil
						})
					}},
				} {
					r := tgMustPanic(t, call.name+" on an inactive group", call.fn)
					msg := fmt.Sprint(r)
					if !strings.HasPrefix(msg, "anyio:") || !strings.Contains(msg, "no longer active") {
						t.Errorf("%s on an inactive group: panic %q, want an \"anyio:\" message saying the group is no longer active", call.name, msg)
					}
				}
				if ran {
					t.Error("a task started on an inactive group ran")
				}
				return nil
			})
		})
	}
}

type tgCtxKey string

func TestTaskGroupContextValues(t *testing.T) {
	tgRun(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, tgCtxKey("tg"), "group value")
		var bodyVal, childVal, grandchildVal any
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			bodyVal = ctx.Value(tgCtxKey("tg"))
			tg.StartSoon(func(ctx context.Context) error {
				childVal = ctx.Value(tgCtxKey("tg"))
				tg.StartSoon(func(ctx context.Context) error {
					grandchildVal = ctx.Value(tgCtxKey("tg"))
					return nil
				})
				return nil
			})
			return nil
		})
		if err != nil {
			t.Fatalf("WithTaskGroup: %v", err)
		}
		for _, c := range []struct {
			name string
			got  any
		}{{"body", bodyVal}, {"child", childVal}, {"grandchild", grandchildVal}} {
			if c.got != "group value" {
				t.Errorf("%s: ctx.Value(tg) = %v, want %q", c.name, c.got, "group value")
			}
		}
		return nil
	})
}

func tgNamedSleeper(ctx context.Context) error {
	return anyio.SleepForever(ctx)
}

type tgWorker struct{ name chan string }

func (w *tgWorker) run(ctx context.Context) error {
	w.name <- anyio.GetCurrentTask(ctx).Name
	return nil
}

func tgNamedStartFunc(ctx context.Context, st *anyio.TaskStatus[string]) error {
	st.Started(anyio.GetCurrentTask(ctx).Name)
	return nil
}

// TestTaskGroupTaskNames covers TaskName and the default names (AnyIO's
// test_task_name_default and test_task_name_custom_name).
func TestTaskGroupTaskNames(t *testing.T) {
	cases := []struct {
		name        string
		spawn       func(ctx context.Context, tg *anyio.TaskGroup) (string, error)
		want        string // exact name, if not empty
		wantContain string
	}{
		{
			name: "StartSoon default, closure",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				ch := make(chan string, 1)
				tg.StartSoon(func(ctx context.Context) error {
					ch <- anyio.GetCurrentTask(ctx).Name
					return nil
				})
				return <-ch, nil
			},
			wantContain: "TestTaskGroupTaskNames",
		},
		{
			name: "StartSoon default, method value",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				w := &tgWorker{name: make(chan string, 1)}
				tg.StartSoon(w.run)
				return <-w.name, nil
			},
			wantContain: "tgWorker).run",
		},
		{
			name: "StartSoon default, named function",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				tg.StartSoon(tgNamedSleeper)
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return "", err
				}
				defer tg.CancelScope().Cancel()
				host := anyio.GetCurrentTask(ctx)
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if ti.ID != host.ID && ti.ParentID == host.ID {
						return ti.Name, nil
					}
				}
				return "", errors.New("GetRunningTasks: no child of the host found")
			},
			wantContain: "tgNamedSleeper",
		},
		{
			name: "StartSoon custom",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				ch := make(chan string, 1)
				tg.StartSoon(func(ctx context.Context) error {
					ch <- anyio.GetCurrentTask(ctx).Name
					return nil
				}, anyio.TaskName("custom name"))
				return <-ch, nil
			},
			want: "custom name",
		},
		{
			name: "StartSoon custom, introspection",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				tg.StartSoon(anyio.SleepForever, anyio.TaskName("sleeper"))
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return "", err
				}
				defer tg.CancelScope().Cancel()
				host := anyio.GetCurrentTask(ctx)
				for _, ti := range anyio.GetRunningTasks(ctx) {
					if ti.Name == "sleeper" {
						if ti.ParentID != host.ID {
							return "", fmt.Errorf("sleeper ParentID: got %d, want host ID %d", ti.ParentID, host.ID)
						}
						return ti.Name, nil
					}
				}
				return "", errors.New("GetRunningTasks: no task named sleeper")
			},
			want: "sleeper",
		},
		{
			name: "Start default",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				return anyio.Start(ctx, tg, tgNamedStartFunc)
			},
			wantContain: "tgNamedStartFunc",
		},
		{
			name: "Start custom",
			spawn: func(ctx context.Context, tg *anyio.TaskGroup) (string, error) {
				return anyio.Start(ctx, tg, tgNamedStartFunc, anyio.TaskName("custom name"))
			},
			want: "custom name",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			tgRun(t, func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					var err error
					got, err = tc.spawn(ctx, tg)
					return err
				})
			})
			if tc.want != "" && got != tc.want {
				t.Errorf("task name: got %q, want %q", got, tc.want)
			}
			if tc.wantContain != "" && !strings.Contains(got, tc.wantContain) {
				t.Errorf("task name: got %q, want it to contain %q", got, tc.wantContain)
			}
			if strings.HasSuffix(got, "-fm") {
				t.Errorf("task name %q keeps the method value suffix -fm", got)
			}
		})
	}
}

// TestTaskGroupHostShieldedChildCancelled: cancellation reaches a child even
// while the host sits in a shielded scope (AnyIO's
// test_cancel_child_task_when_host_is_shielded).
func TestTaskGroupHostShieldedChildCancelled(t *testing.T) {
	tgRun(t, func(ctx context.Context) error {
		parent := anyio.NewCancelScope()
		cancelled := tgNewGate()
		var waitErr error
		err := parent.Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					err := anyio.SleepForever(ctx)
					cancelled.open()
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				return anyio.NewCancelScope(anyio.Shielded()).Run(ctx, func(ctx context.Context) error {
					return anyio.FailAfter(tgSafetyTimeout).Run(ctx, func(ctx context.Context) error {
						parent.Cancel()
						waitErr = cancelled.wait(ctx)
						return waitErr
					})
				})
			})
		})
		if waitErr != nil {
			t.Errorf("waiting for the child's cancellation in a shielded scope: %v", waitErr)
		}
		if err != nil || !parent.CancelledCaught() {
			t.Errorf("parent scope Run: got (%v, caught %v), want (nil, true)", err, parent.CancelledCaught())
		}
		return nil
	})
}
