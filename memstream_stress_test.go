package anyio_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// stressSeed returns the seed of a randomized test: $ANYIO_STRESS_SEED if
// set, a fresh one otherwise. It is printed when the test fails, so that a
// failure can be replayed.
func stressSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ANYIO_STRESS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ANYIO_STRESS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with ANYIO_STRESS_SEED=%d", seed)
		}
	})
	return seed
}

// TestMemoryExactlyOnceStress moves a million items (a hundred thousand under
// the race detector, which slows every operation about tenfold) through
// memory object streams of several buffer sizes, between many senders and
// receivers whose operations are cancelled at random, and checks that every
// item is received exactly once: a Send that failed did not deliver, a
// Receive that failed took nothing.
//
// Cancellations come two ways: some operations run in a scope cancelled
// before they start (they must transfer nothing), and tasks cancel each
// other's operations in flight at random moments.
func TestMemoryExactlyOnceStress(t *testing.T) {
	seed := stressSeed(t)
	total := 1_000_000
	if raceEnabled {
		total = 100_000
	}
	if testing.Short() {
		total /= 10
	}
	buffers := []int{0, 1, 7, 64, anyio.Unbounded}
	var cancelled, inFlight int64
	for i, buf := range buffers {
		c, f := stressExactlyOnce(t, seed+uint64(i), total/len(buffers), buf, 6, 6)
		cancelled += c
		inFlight += f
	}
	t.Logf("%d items, %d cancelled operations (%d cancelled in flight by another task)", total, cancelled, inFlight)
	if cancelled < 1000 {
		t.Errorf("only %d operations were cancelled, want thousands", cancelled)
	}
}

func stressExactlyOnce(t *testing.T, seed uint64, n, buffer, senders, receivers int) (cancelled, inFlight int64) {
	t.Helper()
	counts := make([]atomic.Int32, n)
	slots := make([]atomic.Pointer[anyio.CancelScope], senders+receivers)
	var nCancelled, nInFlight atomic.Int64
	var failure atomic.Pointer[string]
	fail := func(msg string) { failure.CompareAndSwap(nil, &msg) }

	// op runs f, sometimes in a cancel scope that is cancelled up front or
	// that other tasks may cancel while f runs; it returns f's error.
	op := func(ctx context.Context, rng *rand.Rand, me int, f func(ctx context.Context) error) error {
		if rng.IntN(24) == 0 {
			other := rng.IntN(len(slots))
			if s := slots[other].Load(); s != nil {
				s.Cancel()
			}
		}
		switch r := rng.IntN(64); {
		case r == 0:
			scope := anyio.NewCancelScope()
			scope.Cancel()
			var err error
			scope.Run(ctx, func(ctx context.Context) error { err = f(ctx); return err })
			if err == nil {
				fail("an operation in a cancelled scope transferred an item")
			}
			return err
		case r < 16:
			scope := anyio.NewCancelScope()
			slots[me].Store(scope)
			var err error
			scope.Run(ctx, func(ctx context.Context) error { err = f(ctx); return err })
			slots[me].Store(nil)
			if errors.Is(err, anyio.ErrCancelled) {
				nInFlight.Add(1)
			}
			return err
		}
		return f(ctx)
	}

	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](buffer)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for k := range senders {
				s := send.Clone()
				rng := rand.New(rand.NewPCG(seed, uint64(k)))
				tg.StartSoon(func(ctx context.Context) error {
					defer s.Close(ctx)
					for item := k; item < n; item += senders {
						for {
							err := op(ctx, rng, k, func(ctx context.Context) error { return s.Send(ctx, item) })
							if err == nil {
								break
							}
							if !errors.Is(err, anyio.ErrCancelled) {
								return err
							}
							nCancelled.Add(1)
						}
					}
					return nil
				})
			}
			for k := range receivers {
				r := recv.Clone()
				rng := rand.New(rand.NewPCG(seed, uint64(senders+k)))
				tg.StartSoon(func(ctx context.Context) error {
					defer r.Close(ctx)
					for {
						var item int
						err := op(ctx, rng, senders+k, func(ctx context.Context) error {
							var err error
							item, err = r.Receive(ctx)
							return err
						})
						switch {
						case err == nil:
							counts[item].Add(1)
						case errors.Is(err, anyio.ErrEndOfStream):
							return nil
						case errors.Is(err, anyio.ErrCancelled):
							nCancelled.Add(1)
						default:
							return err
						}
					}
				})
			}
			send.Close(ctx)
			recv.Close(ctx)
			return nil
		})
	})
	if msg := failure.Load(); msg != nil {
		t.Fatalf("buffer %d: %s", buffer, *msg)
	}
	for item := range counts {
		if c := counts[item].Load(); c != 1 {
			t.Fatalf("buffer %d: item %d received %d times, want exactly once", buffer, item, c)
		}
	}
	return nCancelled.Load(), nInFlight.Load()
}
