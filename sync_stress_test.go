package anyio_test

// Seeded stress tests of the synchronization primitives: many tasks, and
// thousands of cancellations at random moments (before a wait, during it, as
// a hand-off arrives), then checks of the invariants: no token or lock lost
// or duplicated, never more holders than allowed, nothing held by a task
// whose wait failed, no notification lost. The seed is printed with every
// failure; rerun one with -sync.seed.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

var syncSeed = flag.Uint64("sync.seed", 0, "seed of the synchronization stress tests (0: a new one)")

// stress is the shared harness: workers whose current wait can be cancelled
// by any other worker and by a chaos task, with a seeded source of choices.
type stress struct {
	t      *testing.T
	seed   uint64
	scopes []atomic.Pointer[anyio.CancelScope]
	cancel atomic.Int64 // cancellations requested
	failed atomic.Int64 // waits that returned a cancellation error
}

func newStress(t *testing.T, workers int) *stress {
	t.Helper()
	seed := *syncSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -sync.seed %d)", seed, seed)
	return &stress{t: t, seed: seed, scopes: make([]atomic.Pointer[anyio.CancelScope], workers)}
}

// rng returns the random source of worker i (or of the chaos task, i < 0).
func (s *stress) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed, uint64(i+1)))
}

func (s *stress) errorf(format string, args ...any) {
	s.t.Helper()
	s.t.Errorf("seed %d: %s", s.seed, fmt.Sprintf(format, args...))
}

// attempt runs body in a fresh cancel scope that other workers may cancel.
func (s *stress) attempt(ctx context.Context, i int, body func(ctx context.Context) error) error {
	scope := anyio.NewCancelScope()
	s.scopes[i].Store(scope)
	var err error
	serr := scope.Run(ctx, func(ctx context.Context) error {
		err = body(ctx)
		return nil
	})
	s.scopes[i].Store(nil)
	if serr != nil {
		return serr
	}
	if err != nil {
		if !isCancel(err) {
			return err
		}
		s.failed.Add(1)
	}
	return nil
}

// cancelSome cancels the current wait of a random worker, sometimes.
func (s *stress) cancelSome(r *rand.Rand, p float64) {
	if r.Float64() < p {
		if sc := s.scopes[r.IntN(len(s.scopes))].Load(); sc != nil {
			s.cancel.Add(1)
			sc.Cancel()
		}
	}
}

// run runs the workers and a chaos task that keeps cancelling random waits
// until the workers are done.
func (s *stress) run(ctx context.Context, worker func(ctx context.Context, i int, r *rand.Rand) error) error {
	var done atomic.Bool
	err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			r := s.rng(-1)
			for !done.Load() {
				s.cancelSome(r, 0.5)
				runtime.Gosched()
			}
			return nil
		})
		defer done.Store(true)
		return withGroup(ctx, func(ctx context.Context, wg *anyio.TaskGroup) error {
			for i := range s.scopes {
				wg.StartSoon(func(ctx context.Context) error { return worker(ctx, i, s.rng(i)) })
			}
			return nil
		})
	})
	s.t.Logf("%d cancellations requested, %d waits cancelled", s.cancel.Load(), s.failed.Load())
	if s.failed.Load() == 0 {
		s.errorf("no wait was cancelled: the test tested nothing")
	}
	return err
}

// stressRounds scales the stress tests down in -short mode.
func stressRounds(n int) int {
	if testing.Short() {
		return n / 4
	}
	return n
}

func TestStressLock(t *testing.T) {
	const workers = 16
	rounds := stressRounds(400)
	s := newStress(t, workers)
	var l anyio.Lock
	var holders, held atomic.Int64
	anyiotest.Run(t, func(ctx context.Context) error {
		err := s.run(ctx, func(ctx context.Context, i int, r *rand.Rand) error {
			for range rounds {
				var got bool
				err := s.attempt(ctx, i, func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						// Never held by a task whose Acquire failed.
						if l.Release(ctx) == nil {
							s.errorf("worker %d could release the lock after its Acquire failed with %v", i, err)
						}
						return err
					}
					got = true
					return nil
				})
				if err != nil {
					return err
				}
				if got {
					if n := holders.Add(1); n != 1 {
						s.errorf("%d holders of one lock", n)
					}
					held.Add(1)
					if r.IntN(4) == 0 {
						runtime.Gosched()
					}
					s.cancelSome(r, 0.3)
					holders.Add(-1)
					if err := l.Release(ctx); err != nil {
						s.errorf("worker %d: Release = %v", i, err)
					}
				}
			}
			return nil
		})
		t.Logf("%d acquisitions", held.Load())
		return err
	})
	if st := l.Statistics(); st.Locked || st.Owner != nil || st.TasksWaiting != 0 {
		s.errorf("Statistics at the end = %+v, want a free lock", st)
	}
}

func TestStressSemaphore(t *testing.T) {
	const workers, tokens = 16, 3
	rounds := stressRounds(400)
	s := newStress(t, workers)
	sem := anyio.NewSemaphore(tokens, anyio.MaxValue(tokens))
	var holders atomic.Int64
	anyiotest.Run(t, func(ctx context.Context) error {
		return s.run(ctx, func(ctx context.Context, i int, r *rand.Rand) error {
			for range rounds {
				var got bool
				err := s.attempt(ctx, i, func(ctx context.Context) error {
					if r.IntN(8) == 0 {
						if sem.TryAcquire() == nil {
							got = true
						}
						return nil
					}
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					got = true
					return nil
				})
				if err != nil {
					return err
				}
				if got {
					if n := holders.Add(1); n > tokens {
						s.errorf("%d holders of %d units", n, tokens)
					}
					if r.IntN(4) == 0 {
						runtime.Gosched()
					}
					s.cancelSome(r, 0.3)
					holders.Add(-1)
					if err := sem.Release(); err != nil {
						s.errorf("worker %d: Release = %v (a unit was duplicated)", i, err)
					}
				}
			}
			return nil
		})
	})
	// No unit lost (a failed waiter keeping one) or duplicated.
	if v, n := sem.Value(), sem.Statistics().TasksWaiting; v != tokens || n != 0 {
		s.errorf("Value, TasksWaiting at the end = %d, %d, want %d, 0", v, n, tokens)
	}
}

func TestStressLimiter(t *testing.T) {
	const workers, tokens = 16, 3
	rounds := stressRounds(400)
	s := newStress(t, workers)
	l := anyio.NewCapacityLimiter(tokens)
	var holders atomic.Int64
	anyiotest.Run(t, func(ctx context.Context) error {
		return s.run(ctx, func(ctx context.Context, i int, r *rand.Rand) error {
			for range rounds {
				onBehalf := r.IntN(3) == 0
				borrower := any(i)
				var got bool
				err := s.attempt(ctx, i, func(ctx context.Context) error {
					var err error
					switch {
					case r.IntN(8) == 0:
						if onBehalf {
							err = l.TryAcquireOnBehalfOf(borrower)
						} else {
							err = l.TryAcquire(ctx)
						}
						if err == anyio.ErrWouldBlock {
							return nil
						}
					case onBehalf:
						err = l.AcquireOnBehalfOf(ctx, borrower)
					default:
						err = l.Acquire(ctx)
					}
					if err != nil {
						// Never held by a borrower whose Acquire failed.
						if (onBehalf && l.ReleaseOnBehalfOf(borrower) == nil) || (!onBehalf && l.Release(ctx) == nil) {
							s.errorf("worker %d could release a token after its Acquire failed with %v", i, err)
						}
						return err
					}
					got = true
					return nil
				})
				if err != nil {
					return err
				}
				if got {
					if n := holders.Add(1); n > tokens {
						s.errorf("%d holders of %d tokens", n, tokens)
					}
					if b := l.BorrowedTokens(); b > tokens {
						s.errorf("%d tokens borrowed of %d", b, tokens)
					}
					if r.IntN(4) == 0 {
						runtime.Gosched()
					}
					s.cancelSome(r, 0.3)
					holders.Add(-1)
					if onBehalf {
						err = l.ReleaseOnBehalfOf(borrower)
					} else {
						err = l.Release(ctx)
					}
					if err != nil {
						s.errorf("worker %d: Release = %v", i, err)
					}
				}
			}
			return nil
		})
	})
	if st := l.Statistics(); st.BorrowedTokens != 0 || len(st.Borrowers) != 0 || st.TasksWaiting != 0 || l.AvailableTokens() != tokens {
		s.errorf("Statistics at the end = %+v, available %d, want every token back", st, l.AvailableTokens())
	}
}

// In each round the producer adds n items and notifies n consumers while
// cancelling some consumers, notified or not, just before or after the
// Notify; a cancelled consumer sits out the rest of the round. Once all is
// quiet, an item left while consumers wait means a notification was lost to
// a cancelled consumer instead of passing on.
func TestStressCondition(t *testing.T) {
	const consumers = 10
	rounds := stressRounds(300)
	s := newStress(t, consumers)
	var c anyio.Condition
	avail, consumed := 0, 0 // guarded by c's lock
	stop := false
	var next atomic.Pointer[anyio.Event] // set when the round ends
	next.Store(anyio.NewEvent())
	anyiotest.Run(t, func(ctx context.Context) error {
		return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range consumers {
				tg.StartSoon(func(ctx context.Context) error {
					for {
						done := false
						err := s.attempt(ctx, i, func(ctx context.Context) error {
							if err := c.Acquire(ctx); err != nil {
								return err
							}
							for {
								err := c.WaitFor(ctx, func() bool { return avail > 0 || stop })
								// Wait re-acquires the lock on every path.
								if !c.Statistics().LockStatistics.Locked {
									s.errorf("consumer %d: lock free after WaitFor (%v)", i, err)
								}
								if err != nil || stop {
									done = stop
									if rerr := c.Release(ctx); rerr != nil {
										s.errorf("consumer %d: Release after WaitFor (%v) = %v", i, err, rerr)
									}
									return err
								}
								avail--
								consumed++
							}
						})
						if err != nil || done {
							return err
						}
						// Cancelled: sit out the rest of the round.
						if err := next.Load().Wait(ctx); err != nil {
							return err
						}
					}
				})
			}
			r := s.rng(-1)
			produced := 0
			for round := range rounds {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				n := 1 + r.IntN(consumers/2)
				cancelFirst := r.IntN(2) == 0
				if cancelFirst {
					s.cancelSome(r, 0.7)
				}
				avail += n
				produced += n
				if err := c.Notify(ctx, n); err != nil {
					return err
				}
				for range 2 {
					s.cancelSome(r, 0.7)
				}
				if err := c.Release(ctx); err != nil {
					return err
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				if waiting := c.Statistics().TasksWaiting; avail > 0 && waiting > 0 {
					s.errorf("round %d: %d items left while %d consumers wait: a notification was lost", round, avail, waiting)
				}
				produced -= avail // take back what nobody was left to consume
				avail = 0
				if round == rounds-1 {
					stop = true
					if err := c.NotifyAll(ctx); err != nil {
						return err
					}
				}
				if err := c.Release(ctx); err != nil {
					return err
				}
				ev := next.Swap(anyio.NewEvent())
				ev.Set()
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			next.Load().Set()
			if consumed != produced {
				s.errorf("consumed %d of %d items", consumed, produced)
			}
			t.Logf("%d items consumed, %d cancellations requested, %d waits cancelled", consumed, s.cancel.Load(), s.failed.Load())
			if s.failed.Load() == 0 {
				s.errorf("no wait was cancelled: the test tested nothing")
			}
			return nil
		})
	})
}

// Every waiter of an Event either sees it set or was cancelled; none hangs.
func TestStressEvent(t *testing.T) {
	const workers = 16
	rounds := stressRounds(100)
	s := newStress(t, workers)
	anyiotest.Run(t, func(ctx context.Context) error {
		for round := range rounds {
			ev := anyio.NewEvent()
			var woke atomic.Int64
			err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					r := s.rng(-2 - round)
					for range r.IntN(workers) {
						s.cancelSome(r, 0.5)
						runtime.Gosched()
					}
					ev.Set()
					return nil
				})
				for i := range workers {
					tg.StartSoon(func(ctx context.Context) error {
						return s.attempt(ctx, i, func(ctx context.Context) error {
							err := ev.Wait(ctx)
							if err == nil {
								woke.Add(1)
								if !ev.IsSet() {
									s.errorf("Wait returned nil before Set")
								}
							} else if !s.scopes[i].Load().CancelCalled() {
								s.errorf("Wait = %v, though the waiter was not cancelled", err)
							}
							return err
						})
					})
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n := woke.Load(); n > workers {
				s.errorf("round %d: %d wake-ups of %d waiters", round, n, workers)
			}
			if n := ev.Statistics().TasksWaiting; n != 0 {
				s.errorf("round %d: TasksWaiting after Set = %d", round, n)
			}
		}
		t.Logf("%d cancellations requested, %d waits cancelled", s.cancel.Load(), s.failed.Load())
		return nil
	})
}

// WaitAllTasksBlocked and DumpTasks see a task waiting in each primitive and
// name the primitive.
func TestSyncWaitsVisible(t *testing.T) {
	for _, tc := range []struct {
		what string
		wait func(ctx context.Context) (wait func(ctx context.Context) error, release func(ctx context.Context) error)
	}{
		{"Event.Wait", func(ctx context.Context) (func(ctx context.Context) error, func(ctx context.Context) error) {
			var ev anyio.Event
			return ev.Wait, func(context.Context) error { ev.Set(); return nil }
		}},
		{"Lock.Acquire", func(ctx context.Context) (func(ctx context.Context) error, func(ctx context.Context) error) {
			var l anyio.Lock
			if err := l.Acquire(ctx); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				return l.Release(ctx)
			}, l.Release
		}},
		{"Condition.Wait", func(ctx context.Context) (func(ctx context.Context) error, func(ctx context.Context) error) {
			var c anyio.Condition
			return func(ctx context.Context) error {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					if err := c.Wait(ctx); err != nil {
						return err
					}
					return c.Release(ctx)
				}, func(ctx context.Context) error {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					if err := c.NotifyAll(ctx); err != nil {
						return err
					}
					return c.Release(ctx)
				}
		}},
		{"Semaphore.Acquire", func(ctx context.Context) (func(ctx context.Context) error, func(ctx context.Context) error) {
			s := anyio.NewSemaphore(0)
			return s.Acquire, func(context.Context) error { return s.Release() }
		}},
		{"CapacityLimiter.Acquire", func(ctx context.Context) (func(ctx context.Context) error, func(ctx context.Context) error) {
			l := anyio.NewCapacityLimiter(0)
			return func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				return l.Release(ctx)
			}, func(context.Context) error { return l.SetTotalTokens(1) }
		}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				wait, release := tc.wait(ctx)
				return withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(wait, anyio.TaskName("waiter"))
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					var buf bytes.Buffer
					if err := anyio.DumpTasks(ctx, &buf); err != nil {
						return err
					}
					if want := `"waiter" waiting on ` + tc.what; !strings.Contains(buf.String(), want) {
						t.Errorf("DumpTasks output lacks %q:\n%s", want, buf.String())
					}
					return release(ctx)
				})
			})
		})
	}
}
