package wait

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/anyio-go/anyio/internal/core"
)

// await runs w.Await in a new goroutine and returns its result, with mu
// unlocked again.
func await[T any](w *Waiter[T], mu *sync.Mutex, q *Queue[T]) <-chan bool {
	res := make(chan bool, 1)
	go func() {
		ok := w.Await(mu, q, nil)
		if !ok {
			mu.Unlock()
		}
		res <- ok
	}()
	return res
}

func TestAwaitHandOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		w := New[int](t.Context())
		q.Push(w)
		res := await(w, &mu, &q)
		synctest.Wait()
		mu.Lock()
		got := q.PopReady()
		if got != w {
			t.Fatalf("PopReady = %p, want the waiter %p", got, w)
		}
		got.Mark(42)
		mu.Unlock()
		got.Signal()
		if ok := <-res; !ok || w.Val != 42 || !w.Handed {
			t.Errorf("Await = %v with Val %d, Handed %v, want true, 42, true", ok, w.Val, w.Handed)
		}
		if q.Len() != 0 || w.queued {
			t.Error("the waiter is still queued")
		}
	})
}

func TestAwaitCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		ctx, cancel := context.WithCancel(t.Context())
		w := New[int](ctx)
		q.Push(w)
		res := await(w, &mu, &q)
		synctest.Wait()
		cancel()
		if ok := <-res; ok || w.Handed {
			t.Errorf("Await = %v, Handed %v, want false, false", ok, w.Handed)
		}
		if q.Len() != 0 || w.queued {
			t.Error("the cancelled waiter is still queued")
		}
	})
}

// A waiter woken by its context after a waker marked it (but before the
// waker's Signal) returns false with Handed set, and consumes the Signal: the
// hand-off is not lost, and the channel is empty for the next wait.
func TestAwaitHandedWhileCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		ctx, cancel := context.WithCancel(t.Context())
		w := New[int](ctx)
		q.Push(w)
		res := await(w, &mu, &q)
		synctest.Wait()
		mu.Lock()
		got := q.PopReady()
		got.Mark(7)
		cancel() // the select now ends on ctx.Done; the waiter blocks on mu
		mu.Unlock()
		got.Signal()
		if ok := <-res; ok || !w.Handed || w.Val != 7 {
			t.Errorf("Await = %v with Handed %v, Val %d, want false, true, 7", ok, w.Handed, w.Val)
		}
		if len(w.ch) != 0 {
			t.Error("the Signal was left in the channel")
		}
	})
}

func TestPopReadySkipsCancelled(t *testing.T) {
	var q Queue[struct{}]
	ctx, cancel := context.WithCancel(context.Background())
	a, b, c := New[struct{}](ctx), New[struct{}](context.Background()), New[struct{}](ctx)
	q.Push(a)
	q.Push(b)
	q.Push(c)
	cancel()
	if n := q.Live(); n != 1 {
		t.Errorf("Live = %d, want 1", n)
	}
	if got := q.PopReady(); got != b {
		t.Errorf("PopReady = %p, want the live waiter %p", got, b)
	}
	if got := q.PopReady(); got != nil || q.Len() != 0 {
		t.Errorf("PopReady = %p with %d left, want nil and an empty queue", got, q.Len())
	}
}

func TestShieldedIgnoresCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[struct{}]
		ctx, cancel := context.WithCancel(t.Context())
		w := NewShielded[struct{}](ctx)
		q.Push(w)
		res := await(w, &mu, &q)
		cancel()
		synctest.Wait()
		select {
		case <-res:
			t.Fatal("a shielded wait ended on its context's cancellation")
		default:
		}
		mu.Lock()
		q.PopReady().Mark(struct{}{})
		mu.Unlock()
		w.Signal()
		if !<-res {
			t.Error("Await of a shielded waiter = false, want true")
		}
	})
}

// Waiters are recycled within a Run, never across Runs (a Run may live in a
// synctest bubble whose channels must not be used outside it).
func TestFreeRecyclesWithinRun(t *testing.T) {
	r1, ctx1 := core.NewRun(context.Background(), "one", 0)
	defer r1.Finish()
	r2, ctx2 := core.NewRun(context.Background(), "two", 0)
	defer r2.Finish()
	w := New[struct{}](ctx1)
	w.Free()
	if w2 := New[struct{}](ctx2); w2 == w {
		t.Error("a waiter of one Run served another Run")
	}
	reused := false
	for range 100 { // sync.Pool may drop items (it does at random under -race)
		w := New[struct{}](ctx1)
		w.Free()
		if New[struct{}](ctx1) == w {
			reused = true
			break
		}
	}
	if !reused {
		t.Error("a freed waiter was never reused in its Run")
	}
	// Waiters of plain contexts are never recycled.
	p := New[struct{}](context.Background())
	p.Free()
	if New[struct{}](context.Background()) == p {
		t.Error("a waiter of a plain context was recycled")
	}
}
