package fromthread_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fromthread"
)

// runID identifies the Run a portal runs (its root task).
func runID(ctx context.Context) (uint64, error) { return anyio.GetRunningTasks(ctx)[0].ID, nil }

// Port of AnyIO's TestBlockingPortalProvider.test_single_thread: holds one
// after the other start a portal each, and nothing is left running.
func TestProviderSequential(t *testing.T) {
	before := goleak.IgnoreCurrent()
	provider := fromthread.NewBlockingPortalProvider()
	runs := map[uint64]bool{}
	for range 3 {
		p, release, err := provider.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		id, err := fromthread.Call(p, runID)
		if err != nil {
			t.Fatal(err)
		}
		runs[id] = true
		release()
		release() // idempotent
		if _, err := fromthread.Call(p, runID); !errors.Is(err, fromthread.ErrPortalNotRunning) {
			t.Errorf("Call after the last release = %v, want ErrPortalNotRunning", err)
		}
	}
	if len(runs) != 3 {
		t.Errorf("3 holds one after the other used %d portals, want 3", len(runs))
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("the provider left goroutines running: %v", err)
	}
}

// Port of AnyIO's test_single_thread_overlapping: nested holds share the
// portal, which runs until the outer release.
func TestProviderOverlapping(t *testing.T) {
	provider := fromthread.NewBlockingPortalProvider()
	p1, release1, err := provider.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	p2, release2, err := provider.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	if p1 != p2 {
		t.Error("nested Acquire returned another portal")
	}
	id2, _ := fromthread.Call(p2, runID)
	release2()
	id1, err := fromthread.Call(p1, runID)
	if err != nil || id1 != id2 {
		t.Errorf("Call after the inner release = %d, %v; want %d, nil", id1, err, id2)
	}
	release1()
}

// Port of AnyIO's test_multiple_threads: goroutines holding the provider
// at the same time share one portal (one Run).
func TestProviderConcurrent(t *testing.T) {
	provider := fromthread.NewBlockingPortalProvider()
	const n = 50
	var acquired, done sync.WaitGroup
	acquired.Add(n + 1)
	ids := make([]uint64, n)
	errs := make([]error, n)
	event := anyio.NewEvent()
	for i := range n {
		done.Go(func() {
			p, release, err := provider.Acquire()
			acquired.Done()
			if err != nil {
				errs[i] = err
				return
			}
			defer release()
			ids[i], errs[i] = fromthread.Call(p, func(ctx context.Context) (uint64, error) {
				if err := event.Wait(ctx); err != nil {
					return 0, err
				}
				return runID(ctx)
			})
		})
	}
	p, release, err := provider.Acquire()
	acquired.Done()
	if err != nil {
		t.Fatal(err)
	}
	acquired.Wait()
	want, _ := fromthread.Call(p, runID)
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) { event.Set(); return struct{}{}, nil }); err != nil {
		t.Fatal(err)
	}
	release()
	done.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != want {
			t.Errorf("goroutine %d: Call = %d, %v; want %d (the shared portal), nil", i, ids[i], errs[i], want)
		}
	}
}

// Acquire reports StartBlockingPortal's error.
func TestProviderUnknownBackend(t *testing.T) {
	provider := fromthread.NewBlockingPortalProvider(anyio.WithBackend("foo"))
	if _, _, err := provider.Acquire(); !errors.Is(err, anyio.ErrBackendNotFound) {
		t.Errorf("Acquire = %v, want ErrBackendNotFound", err)
	}
}
