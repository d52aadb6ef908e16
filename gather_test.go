package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// chain returns n events of which the last is set, and a function that
// waits for event v-1, records v in *finished and then sets event v-2: tasks
// 1..n so finish in the order n, n-1, ..., 1.
func chain(n int, finished *[]int) func(ctx context.Context, v int) (int, error) {
	events := make([]*anyio.Event, n)
	for i := range events {
		events[i] = anyio.NewEvent()
	}
	events[n-1].Set()
	return func(ctx context.Context, v int) (int, error) {
		if err := events[v-1].Wait(ctx); err != nil {
			return 0, err
		}
		*finished = append(*finished, v) // serialized by the chain
		if v > 1 {
			events[v-2].Set()
		}
		return v, nil
	}
}

// Ports AnyIO's test_gather_results_in_order: tasks finish in reverse order,
// results come in argument order.
func TestGatherResultsInOrder(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var finished []int
		returnWhen := chain(3, &finished)
		var fns []func(context.Context) (int, error)
		for v := 1; v <= 3; v++ {
			fns = append(fns, func(ctx context.Context) (int, error) { return returnWhen(ctx, v) })
		}
		got, err := anyio.Gather(ctx, fns...)
		if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("Gather = %v, %v; want [1 2 3], nil", got, err)
		}
		if !slices.Equal(finished, []int{3, 2, 1}) {
			t.Errorf("tasks finished in the order %v, want [3 2 1]", finished)
		}
		return nil
	})
}

// Ports AnyIO's test_gather_propagates_exception; the first failure cancels
// the rest.
func TestGatherPropagatesError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		var sawCancel atomic.Bool
		got, err := anyio.Gather(ctx,
			func(context.Context) (int, error) { return 1, nil },
			func(ctx context.Context) (int, error) {
				err := anyio.SleepForever(ctx)
				sawCancel.Store(errors.Is(err, anyio.ErrCancelled))
				return 0, err
			},
			func(context.Context) (int, error) { return 0, boom },
		)
		if got != nil {
			t.Errorf("Gather results = %v, want nil on failure", got)
		}
		eg := tgAsGroup(t, "Gather", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != boom {
			t.Errorf("Gather errors = %v, want [%v]", eg.Errors, boom)
		}
		if !sawCancel.Load() {
			t.Errorf("the blocked function was not cancelled by the failure")
		}
		return nil
	})
}

func TestGatherEmpty(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := anyio.Gather[string](ctx)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Gather() = %#v, %v; want an empty slice, nil", got, err)
		}
		return nil
	})
}

// A cancellation from outside ends Gather with a cancellation error.
func TestGatherCancelledFromOutside(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var gerr error
		err := scope.Run(ctx, func(ctx context.Context) error {
			_, gerr = anyio.Gather(ctx,
				func(ctx context.Context) (int, error) {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return 0, err
					}
					scope.Cancel()
					return 1, nil
				},
				func(ctx context.Context) (int, error) { return 0, anyio.SleepForever(ctx) },
			)
			return gerr
		})
		if !errors.Is(gerr, anyio.ErrCancelled) {
			t.Errorf("Gather in a cancelled scope = %v, want a cancellation error", gerr)
		}
		if err != nil {
			t.Errorf("scope.Run = %v, want nil", err)
		}
		return nil
	})
}

// A function that returns a cancellation error of its own (nothing cancelled
// the group) leaves no result: Gather and AMap say ErrTaskCancelled rather
// than return a zero value for it.
func TestGatherSpuriousCancellation(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		cancelled := func(context.Context) (int, error) { return 0, context.Canceled }
		got, err := anyio.Gather(ctx, func(context.Context) (int, error) { return 1, nil }, cancelled)
		if got != nil || err != anyio.ErrTaskCancelled {
			t.Errorf("Gather = %v, %v; want nil, ErrTaskCancelled", got, err)
		}
		res, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) {
			if x == 2 {
				return 0, context.Canceled
			}
			return x, nil
		}, slices.Values([]int{1, 2, 3}))
		if res != nil || err != anyio.ErrTaskCancelled {
			t.Errorf("AMap = %v, %v; want nil, ErrTaskCancelled", res, err)
		}
		return nil
	})
}

// A panic in a function is re-raised once every task has returned.
func TestGatherPanic(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var stopped atomic.Bool
		r := tgMustPanic(t, "Gather", func() {
			_, _ = anyio.Gather(ctx,
				func(ctx context.Context) (int, error) {
					err := anyio.SleepForever(ctx)
					stopped.Store(true)
					return 0, err
				},
				func(ctx context.Context) (int, error) {
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return 0, err
					}
					panic("kaboom")
				},
			)
		})
		if pe, ok := r.(*anyio.PanicError); !ok || pe.Value != "kaboom" {
			t.Errorf("Gather panicked with %v, want a *PanicError of kaboom", r)
		}
		if !stopped.Load() {
			t.Errorf("Gather re-raised the panic before its other task returned")
		}
		return nil
	})
}

// Each task of Gather and AMap is named after its function.
func TestGatherTaskNames(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := anyio.Gather(ctx, taskNameOf)
		if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], ".taskNameOf") {
			t.Errorf("Gather(taskNameOf) = %v, %v; want a name ending in .taskNameOf", got, err)
		}
		names, err := anyio.AMap(ctx, func(ctx context.Context, _ int) (string, error) { return taskNameOf(ctx) }, slices.Values([]int{1}))
		if err != nil || len(names) != 1 || !strings.Contains(names[0], "TestGatherTaskNames") {
			t.Errorf("AMap task names = %v, %v; want the function's name", names, err)
		}
		return nil
	})
}

// Ports AnyIO's test_map_results_ordering.
func TestAMapResultsOrdering(t *testing.T) {
	for _, opts := range [][]anyio.AMapOption{nil, {anyio.Limit(3)}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var finished []int
				returnWhen := chain(3, &finished)
				double := func(ctx context.Context, v int) (int, error) {
					r, err := returnWhen(ctx, v)
					return 2 * r, err
				}
				got, err := anyio.AMap(ctx, double, slices.Values([]int{1, 2, 3}), opts...)
				if err != nil || !slices.Equal(got, []int{2, 4, 6}) {
					t.Errorf("AMap = %v, %v; want [2 4 6], nil", got, err)
				}
				if !slices.Equal(finished, []int{3, 2, 1}) {
					t.Errorf("calls finished in the order %v, want [3 2 1]", finished)
				}
				return nil
			})
		})
	}
}

// Many items finishing in any order come back in input order, past the
// first chunks of result slots.
func TestAMapManyItems(t *testing.T) {
	for _, opts := range [][]anyio.AMapOption{nil, {anyio.Limit(7)}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				const n = 1000
				got, err := anyio.AMap(ctx, func(ctx context.Context, x int) (string, error) {
					for range x % 5 {
						if err := lowlevel.Checkpoint(ctx); err != nil {
							return "", err
						}
					}
					return fmt.Sprint(x), nil
				}, func(yield func(int) bool) {
					for i := range n {
						if !yield(i) {
							return
						}
					}
				}, opts...)
				if err != nil || len(got) != n {
					t.Fatalf("AMap = %d results, %v; want %d, nil", len(got), err, n)
				}
				for i, s := range got {
					if s != fmt.Sprint(i) {
						t.Fatalf("AMap result %d = %q, want %q", i, s, fmt.Sprint(i))
					}
				}
				return nil
			})
		})
	}
}

// Ports AnyIO's test_map_empty_args.
func TestAMapEmpty(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) { return 2 * x, nil }, slices.Values([]int(nil)))
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("AMap over nothing = %#v, %v; want an empty slice, nil", got, err)
		}
		return nil
	})
}

// Ports AnyIO's test_map_propagates_exception.
func TestAMapPropagatesError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		got, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) {
			if x == 2 {
				return 0, boom
			}
			return x, nil
		}, slices.Values([]int{1, 2, 3}))
		if got != nil {
			t.Errorf("AMap results = %v, want nil on failure", got)
		}
		eg := tgAsGroup(t, "AMap", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != boom {
			t.Errorf("AMap errors = %v, want [%v]", eg.Errors, boom)
		}
		return nil
	})
}

// Limit bounds the calls that run at once, and the bound is reached.
func TestAMapLimitBoundsConcurrency(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const limit, items = 3, 50
		var running, peak atomic.Int64
		full := anyio.NewEvent()
		got, err := anyio.AMap(ctx, func(ctx context.Context, x int) (int, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n == limit {
				full.Set()
			}
			if x < limit {
				// The first calls wait for each other: the limit is reached.
				if err := full.Wait(ctx); err != nil {
					return 0, err
				}
			}
			if err := lowlevel.Checkpoint(ctx); err != nil {
				return 0, err
			}
			return x, nil
		}, seqN(items), anyio.Limit(limit))
		if err != nil || len(got) != items {
			t.Fatalf("AMap = %d results, %v; want %d, nil", len(got), err, items)
		}
		if p := peak.Load(); p != limit {
			t.Errorf("at most %d calls ran at once, want exactly the limit %d", p, limit)
		}
		return nil
	})
}

// seqN yields 0, 1, ..., n-1.
func seqN(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func TestAMapBadLimit(t *testing.T) {
	for _, n := range []int{0, -1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				called := false
				got, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) {
					called = true
					return x, nil
				}, seqN(3), anyio.Limit(n))
				if got != nil || err == nil || !strings.Contains(err.Error(), "Limit") {
					t.Errorf("AMap with Limit(%d) = %v, %v; want an error about the limit", n, got, err)
				}
				if called {
					t.Errorf("AMap with Limit(%d) called the function", n)
				}
				return nil
			})
		})
	}
}

// After a failure, a limited AMap stops consuming its input: an endless
// sequence ends.
func TestAMapStopsConsumingOnFailure(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		var pulled atomic.Int64
		endless := func(yield func(int) bool) {
			for i := 0; ; i++ {
				pulled.Add(1)
				if !yield(i) {
					return
				}
			}
		}
		_, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) {
			if x == 5 {
				return 0, boom
			}
			return x, nil
		}, endless, anyio.Limit(2))
		if !errors.Is(err, boom) {
			t.Errorf("AMap = %v, want it to hold %v", err, boom)
		}
		if p := pulled.Load(); p < 6 {
			t.Errorf("AMap pulled %d items, want at least the 6 up to the failing one", p)
		}
		return nil
	})
}

// An input sequence that panics ends AMap cleanly: the running calls are
// cancelled and return, then the panic is re-raised.
func TestAMapSequencePanics(t *testing.T) {
	for _, opts := range [][]anyio.AMapOption{nil, {anyio.Limit(5)}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				var started, returned atomic.Int64
				broken := func(yield func(int) bool) {
					for i := range 3 {
						if !yield(i) {
							return
						}
					}
					panic("the input broke")
				}
				r := tgMustPanic(t, "AMap", func() {
					_, _ = anyio.AMap(ctx, func(ctx context.Context, x int) (int, error) {
						started.Add(1)
						defer returned.Add(1)
						return x, anyio.SleepForever(ctx)
					}, broken, opts...)
				})
				if pe, ok := r.(*anyio.PanicError); !ok || pe.Value != "the input broke" {
					t.Errorf("AMap panicked with %v, want a *PanicError of the input's panic", r)
				}
				if s, ret := started.Load(), returned.Load(); ret != s {
					t.Errorf("%d calls started, %d returned before the panic came out", s, ret)
				}
				return nil
			})
		})
	}
}

// An input sequence that goes on after AMap stopped it is a runtime error;
// AMap ends cleanly and re-raises it.
func TestAMapSequenceIgnoresStop(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		// Endless, so that AMap stops it whatever the timing: a token
		// handed over before the group's cancellation may let a few more
		// items start after the first failure.
		rude := func(yield func(int) bool) {
			for i := 0; ; i++ {
				yield(i) // ignores false
			}
		}
		r := tgMustPanic(t, "AMap", func() {
			_, _ = anyio.AMap(ctx, func(ctx context.Context, x int) (int, error) {
				return 0, boom
			}, rude, anyio.Limit(1))
		})
		pe, ok := r.(*anyio.PanicError)
		if !ok || !strings.Contains(fmt.Sprint(pe.Value), "continued iteration") {
			t.Errorf("AMap panicked with %v, want the runtime's error about the sequence going on", r)
		}
		return nil
	})
}

// A cancellation from outside ends AMap with a cancellation error, also
// while it waits for a free slot.
func TestAMapCancelledFromOutside(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var aerr error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, aerr = anyio.AMap(ctx, func(ctx context.Context, x int) (int, error) {
						return x, anyio.SleepForever(ctx)
					}, seqN(10), anyio.Limit(2))
					return aerr
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if err != nil {
			t.Errorf("WithTaskGroup = %v, want nil", err)
		}
		if !errors.Is(aerr, anyio.ErrCancelled) {
			t.Errorf("AMap in a cancelled scope = %v, want a cancellation error", aerr)
		}
		return nil
	})
}

// Ports AnyIO's test_as_completed_ordering: handles come in completion
// order (2, 3, 1), each final. Here the body, once it has a handle, lets the
// next task finish (AnyIO's tasks trigger each other, which in Go would let
// the next task finish before the previous one has returned).
func TestAsCompletedOrdering(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		events := map[int]*anyio.Event{1: anyio.NewEvent(), 2: anyio.NewEvent(), 3: anyio.NewEvent()}
		triggers := map[int]*anyio.Event{2: events[3], 3: events[1]}
		events[2].Set()
		returnWhen := func(v int) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { return v, events[v].Wait(ctx) }
		}
		var got []int
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){returnWhen(1), returnWhen(2), returnWhen(3)},
			func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
				for h := range done {
					if s := h.Status(); s != anyio.TaskFinished {
						t.Errorf("a yielded handle has status %v, want finished", s)
					}
					v, err := h.Result()
					if err != nil {
						return err
					}
					got = append(got, v)
					if e := triggers[v]; e != nil {
						e.Set()
					}
				}
				return nil
			})
		if err != nil || !slices.Equal(got, []int{2, 3, 1}) {
			t.Errorf("AsCompleted gave %v, %v; want [2 3 1], nil", got, err)
		}
		return nil
	})
}

func asCompletedA(context.Context) (int, error) { return 1, nil }
func asCompletedB(context.Context) (int, error) { return 2, nil }

// Ports AnyIO's test_as_completed_naming: each task is named after its
// function.
func TestAsCompletedNaming(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		names := map[string]bool{}
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){asCompletedA, asCompletedB},
			func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
				for h := range done {
					names[h.Name()] = true
				}
				return nil
			})
		if err != nil {
			return err
		}
		for _, want := range []string{"anyio_test.asCompletedA", "anyio_test.asCompletedB"} {
			found := false
			for n := range names {
				found = found || strings.HasSuffix(n, want)
			}
			if !found {
				t.Errorf("handle names %v: none ends in %q", names, want)
			}
		}
		return nil
	})
}

// Ports AnyIO's test_as_completed_no_coroutines.
func TestAsCompletedNoFunctions(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		called := false
		err := anyio.AsCompleted(ctx, nil, func(context.Context, iter.Seq[*anyio.TaskHandle[int]]) error {
			called = true
			return nil
		})
		if err != anyio.ErrNoFunctions {
			t.Errorf("AsCompleted with no functions = %v, want ErrNoFunctions", err)
		}
		if called {
			t.Errorf("AsCompleted with no functions called its body")
		}
		return nil
	})
}

// Ports AnyIO's test_as_completed_propagates_exception.
func TestAsCompletedPropagatesError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		fail := func(context.Context) (int, error) { return 0, boom }
		succeed := func(ctx context.Context) (int, error) { return 1, anyio.NewEvent().Wait(ctx) }
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){succeed, fail},
			func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
				for range done {
				}
				return nil
			})
		eg := tgAsGroup(t, "AsCompleted", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != boom {
			t.Errorf("AsCompleted errors = %v, want [%v]", eg.Errors, boom)
		}
		return nil
	})
}

// Ports AnyIO's test_as_completed_early_exit: leaving the body after the
// first result cancels the unfinished task.
func TestAsCompletedEarlyExit(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var neverCancelled atomic.Bool
		returnNow := func(context.Context) (int, error) { return 1, nil }
		never := func(ctx context.Context) (int, error) {
			err := anyio.NewEvent().Wait(ctx)
			neverCancelled.Store(errors.Is(err, anyio.ErrCancelled))
			return 2, err
		}
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){returnNow, never},
			func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
				for h := range done {
					if v, err := h.Result(); v != 1 || err != nil {
						t.Errorf("first handle: Result = %v, %v; want 1, nil", v, err)
					}
					break
				}
				return nil
			})
		if err != nil {
			t.Errorf("AsCompleted = %v, want nil", err)
		}
		if !neverCancelled.Load() {
			t.Errorf("the unfinished task was not cancelled when the body returned")
		}
		return nil
	})
}

// done can be ranged over again; it goes on where the last loop stopped.
func TestAsCompletedRangeTwice(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		fns := make([]func(context.Context) (int, error), 4)
		for i := range fns {
			fns[i] = func(context.Context) (int, error) { return i, nil }
		}
		var got []int
		err := anyio.AsCompleted(ctx, fns, func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
			for h := range done {
				v, _ := h.Result()
				got = append(got, v)
				break
			}
			for h := range done {
				v, _ := h.Result()
				got = append(got, v)
			}
			return nil
		})
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []int{0, 1, 2, 3}) {
			t.Errorf("AsCompleted gave %v, %v; want each of 0..3 once", got, err)
		}
		return nil
	})
}

// The body's error is the group's: it cancels the tasks and comes back in
// the *ExceptionGroup.
func TestAsCompletedBodyError(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		oops := errors.New("oops")
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){
			func(ctx context.Context) (int, error) { return 0, anyio.SleepForever(ctx) },
		}, func(context.Context, iter.Seq[*anyio.TaskHandle[int]]) error { return oops })
		eg := tgAsGroup(t, "AsCompleted", err)
		if len(eg.Errors) != 1 || eg.Errors[0] != oops {
			t.Errorf("AsCompleted errors = %v, want [%v]", eg.Errors, oops)
		}
		return nil
	})
}

// Failed and panicking tasks are yielded as failed handles.
func TestAsCompletedFailedHandle(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		var h0 *anyio.TaskHandle[int]
		err := anyio.AsCompleted(ctx, []func(context.Context) (int, error){failOnceBlocked(boom)},
			func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[int]]) error {
				for h := range done {
					h0 = h
				}
				return nil
			})
		if !errors.Is(err, boom) {
			t.Errorf("AsCompleted = %v, want it to hold %v", err, boom)
		}
		if h0 == nil {
			t.Fatalf("the failed task's handle was not yielded")
		}
		_, rerr := h0.Result()
		wantTaskFailed(t, "Result", rerr, h0.Name(), boom)
		return nil
	})
}

// AsCompleted with a timeout (in virtual time): the handles that finish in
// time are yielded, the rest are cancelled.
func TestAsCompletedTimeout(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		sleeper := func(d time.Duration) func(context.Context) (time.Duration, error) {
			return func(ctx context.Context) (time.Duration, error) { return d, anyio.Sleep(ctx, d) }
		}
		var got []time.Duration
		scope := anyio.MoveOnAfter(5 * time.Second)
		err := scope.Run(ctx, func(ctx context.Context) error {
			return anyio.AsCompleted(ctx, []func(context.Context) (time.Duration, error){
				sleeper(10 * time.Second), sleeper(2 * time.Second), sleeper(1 * time.Second),
			}, func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[time.Duration]]) error {
				for h := range done {
					if v, err := h.Result(); err == nil {
						got = append(got, v)
					}
				}
				return nil
			})
		})
		if err != nil {
			t.Errorf("MoveOnAfter(...).Run = %v, want nil", err)
		}
		if !scope.CancelledCaught() {
			t.Errorf("the timeout did not cut AsCompleted short")
		}
		if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("AsCompleted yielded %v in time, want %v", got, want)
		}
		return nil
	})
}

// A nil AMapOption is ignored, as the other option types' nil values are.
func TestAMapNilOption(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := anyio.AMap(ctx, func(_ context.Context, x int) (int, error) { return x + 1, nil }, seqN(3), nil)
		if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("AMap with a nil option = %v, %v; want [1 2 3], nil", got, err)
		}
		return nil
	})
}
