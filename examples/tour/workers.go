package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/toprocess"
	"github.com/anyio-go/anyio/tothread"
)

// primeRange is a chunk of the CPU-bound job: count the primes in [From, To).
type primeRange struct{ From, To int }

// countPrimes runs in worker processes: this executable started again,
// which toprocess.Init (the first line of main) turns into a worker. It is
// registered at package level, so that the workers register it too.
var countPrimes = toprocess.Register("tour.countPrimes", func(ctx context.Context, r primeRange) (int, error) {
	n := 0
	for i := max(r.From, 2); i < r.To; i++ {
		prime := true
		for d := 2; d*d <= i; d++ {
			if i%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			n++
		}
	}
	return n, nil
})

// processPool spreads a CPU-bound job over worker processes, at most as
// many at once as the machine has CPUs, and prints a progress line as the
// chunks come back.
func processPool(ctx context.Context) error {
	const limit, chunks = 400_000, 8
	var (
		mu    sync.Mutex
		done  int
		total int
	)
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for i := range chunks {
			tg.StartSoon(func(ctx context.Context) error {
				r := primeRange{From: i * limit / chunks, To: (i + 1) * limit / chunks}
				n, err := countPrimes.RunSync(ctx, r)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				done++
				total += n
				say("progress: [%-8s] %d/%d chunks", strings.Repeat("#", done), done, chunks)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	say("primes below %d: %d, counted in worker processes (at most %d at once: runtime.NumCPU)", limit, total,
		toprocess.CurrentDefaultProcessLimiter(ctx).TotalTokens())
	return nil
}

// legacyReport is synchronous code, written before anyio came: it knows
// nothing of tasks or contexts, only a portal through which it asks for
// work to be done in them.
func legacyReport(p *fromthread.BlockingPortal) (string, error) {
	// One call runs a whole task group and returns its result.
	sizes, err := fromthread.Call(p, func(ctx context.Context) ([]int, error) {
		sizes := make([]int, 3)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range sizes {
				tg.StartSoon(func(ctx context.Context) error {
					sizes[i] = (i + 1) * 100 // pretend to fetch something
					return anyio.Sleep(ctx, 0)
				})
			}
			return nil
		})
		return sizes, err
	})
	if err != nil {
		return "", err
	}
	// A task that keeps running after the call returns: its Future.
	f := fromthread.StartTaskSoon(p, func(ctx context.Context) (string, error) {
		return fmt.Sprintf("%d items, %d bytes", len(sizes), sizes[0]+sizes[1]+sizes[2]), anyio.Sleep(ctx, 0)
	})
	return f.Result()
}

// portalFromSync runs legacyReport on a worker goroutine (a blocking
// function, as far as anyio knows) and gives it a portal into this Run.
func portalFromSync(ctx context.Context) error {
	return fromthread.NewBlockingPortal(ctx, func(ctx context.Context, p *fromthread.BlockingPortal) error {
		report, err := tothread.RunSync(ctx, func(context.Context) (string, error) {
			return legacyReport(p)
		})
		if err != nil {
			return err
		}
		say("the synchronous function reported: %s", report)
		// The portal refuses to be called from its own tasks, which a
		// blocking call would stall.
		_, err = fromthread.Call(p, func(context.Context) (int, error) { return 0, nil })
		say("Call from the portal's own task: %v", err)
		return nil
	})
}
