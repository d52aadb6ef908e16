package wait

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/anyio-go/anyio/internal/core"
)

// These tests drive waiters from plain goroutines in a synctest bubble
// (synctest.Test, not anyiotest.RunVirtual): they need no Run, and this
// package cannot import anyiotest, which imports it through anyio.

// await runs w.Await in a new goroutine and returns its result, with mu
// unlocked again.
func await[T any](w *Waiter[T], mu sync.Locker, q *Queue[T]) <-chan bool {
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

// parked queues a waiter for ctx in q and returns it, with the result of
// its Await, once it is parked (inside a synctest bubble).
func parked(ctx context.Context, mu sync.Locker, q *Queue[int]) (*Waiter[int], <-chan bool) {
	w := New[int](ctx)
	q.Push(w)
	res := await(w, mu, q)
	synctest.Wait()
	return w, res
}

func TestAwaitHandOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		w, res := parked(t.Context(), &mu, &q)
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
		w, res := parked(ctx, &mu, &q)
		cancel()
		if ok := <-res; ok || w.Handed {
			t.Errorf("Await = %v, Handed %v, want false, false", ok, w.Handed)
		}
		if q.Len() != 0 || w.queued {
			t.Error("the cancelled waiter is still queued")
		}
	})
}

// chanLocker is a sync.Locker on a channel: a goroutine blocked in its Lock
// is durably blocked, so synctest.Wait can wait for it (it cannot for a
// sync.Mutex).
type chanLocker chan struct{}

func (l chanLocker) Lock()   { l <- struct{}{} }
func (l chanLocker) Unlock() { <-l }

// A waker popped the waiter just before its context ended, and marks it
// only after the waiter claimed its wait as cancelled: Await returns false
// with Handed set and the value (the hand-off is not lost, the primitive
// decides), having consumed the waker's Signal, so the channel is empty for
// the next wait.
func TestAwaitHandedWhileCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mu := make(chanLocker, 1)
		var q Queue[int]
		ctx, cancel := context.WithCancel(t.Context())
		w, res := parked(ctx, mu, &q)
		mu.Lock()
		got := q.PopReady()
		cancel()
		synctest.Wait() // the waiter has claimed its wait and blocks on mu
		got.Mark(7)
		mu.Unlock()
		got.Signal()
		if ok := <-res; ok || !w.Handed || w.Val != 7 {
			t.Errorf("Await = %v with Handed %v, Val %d, want false, true, 7", ok, w.Handed, w.Val)
		}
		if len(w.ch) != 0 {
			t.Error("a wake-up was left in the channel")
		}
	})
}

// A waiter marked before its context ends is handed the value: the Mark
// claimed the wait, so the cancellation that follows changes nothing and
// Await returns true once the Signal arrives.
func TestAwaitMarkedThenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mu := make(chanLocker, 1)
		var q Queue[int]
		ctx, cancel := context.WithCancel(t.Context())
		w, res := parked(ctx, mu, &q)
		mu.Lock()
		got := q.PopReady()
		got.Mark(7)
		cancel()
		synctest.Wait() // the waiter waits for the Signal
		mu.Unlock()
		got.Signal()
		if ok := <-res; !ok || !w.Handed || w.Val != 7 {
			t.Errorf("Await = %v with Handed %v, Val %d, want true, true, 7", ok, w.Handed, w.Val)
		}
		if len(w.ch) != 0 {
			t.Error("a wake-up was left in the channel")
		}
	})
}

// A hand-off whose Signal comes before the context ends wins: Await
// returns true with the value, whatever the context does next.
func TestAwaitSignalledThenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		ctx, cancel := context.WithCancel(t.Context())
		w, res := parked(ctx, &mu, &q)
		mu.Lock()
		got := q.PopReady()
		got.Mark(7)
		mu.Unlock()
		got.Signal()
		cancel()
		if ok := <-res; !ok || !w.Handed || w.Val != 7 {
			t.Errorf("Await = %v with Handed %v, Val %d, want true, true, 7", ok, w.Handed, w.Val)
		}
		if len(w.ch) != 0 {
			t.Error("a wake-up was left in the channel")
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

// taskCtx returns the context of the root task of a new Run over parent,
// and a function that ends the Run.
func taskCtx(parent context.Context) (context.Context, func()) {
	r, ctx := core.NewRun(parent, "waiter", 0)
	return ctx, r.Finish
}

// A task's wait ends when its context is cancelled, through the task's
// standing registration (the wait parks on its channel alone).
func TestAwaitTaskCancelledThroughRegistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		parent, cancel := context.WithCancel(t.Context())
		ctx, finish := taskCtx(parent)
		defer finish()
		w, res := parked(ctx, &mu, &q)
		cancel()
		if ok := <-res; ok || w.Handed {
			t.Errorf("Await = %v, Handed %v, want false, false", ok, w.Handed)
		}
		if q.Len() != 0 || w.queued || len(w.ch) != 0 {
			t.Error("the cancelled waiter is still queued, or left a wake-up behind")
		}
	})
}

// A registration left from an earlier wait on another context does not end
// a later wait: when that context is cancelled, the later wait (on a live
// context) goes on and takes its hand-off; and the recycled waiter's next
// wait is not ended by the old one's cancellation either.
func TestAwaitStaleRegistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		ctx, finish := taskCtx(t.Context())
		defer finish()
		// The first wait, on a context A that ends later, is handed a value.
		a, cancelA := context.WithCancel(ctx)
		w1, res := parked(a, &mu, &q)
		mu.Lock()
		q.PopReady().Hand(1)
		mu.Unlock()
		if ok := <-res; !ok || w1.Val != 1 {
			t.Fatalf("first Await = %v with %d, want true, 1", ok, w1.Val)
		}
		w1.Free()
		// The second wait, on the task's own context, must survive A's end.
		w2 := New[int](ctx)
		q.Push(w2)
		res = await(w2, &mu, &q)
		synctest.Wait()
		cancelA()
		synctest.Wait()
		select {
		case ok := <-res:
			t.Fatalf("the second wait ended (%v) when an earlier wait's context was cancelled", ok)
		default:
		}
		mu.Lock()
		q.PopReady().Hand(2)
		mu.Unlock()
		if ok := <-res; !ok || w2.Val != 2 {
			t.Errorf("second Await = %v with %d, want true, 2", ok, w2.Val)
		}
	})
}

// Two goroutines sharing one task (a go statement inside a task) wait at
// once: the second cannot announce its wait in the task's slot and watches
// its context itself; the cancellation reaches both.
func TestAwaitSharedTaskCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		parent, cancel := context.WithCancel(t.Context())
		ctx, finish := taskCtx(parent)
		defer finish()
		w1, w2 := New[int](ctx), New[int](ctx)
		q.Push(w1)
		q.Push(w2)
		res1 := await(w1, &mu, &q)
		res2 := await(w2, &mu, &q)
		synctest.Wait()
		cancel()
		if ok1, ok2 := <-res1, <-res2; ok1 || ok2 {
			t.Errorf("Await = %v, %v after the cancellation, want false, false", ok1, ok2)
		}
		if q.Len() != 0 {
			t.Errorf("%d waiters left in the queue", q.Len())
		}
	})
}

// A task that has waited with more contexts than it keeps registrations for
// (contexts that are never cancelled) still has its next wait cancelled: the
// wait watches its context itself.
func TestAwaitPastRegistrationLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q Queue[int]
		ctx, finish := taskCtx(t.Context())
		defer finish()
		var cancels []context.CancelFunc
		defer func() {
			for _, c := range cancels {
				c()
			}
		}()
		for i := range 20 {
			c, cancel := context.WithCancel(ctx)
			cancels = append(cancels, cancel)
			w, res := parked(c, &mu, &q)
			mu.Lock()
			q.PopReady().Hand(i)
			mu.Unlock()
			if ok := <-res; !ok || w.Val != i {
				t.Fatalf("wait %d: Await = %v with %d, want true, %d", i, ok, w.Val, i)
			}
			w.Free()
		}
		c, cancel := context.WithCancel(ctx)
		w, res := parked(c, &mu, &q)
		cancel()
		if ok := <-res; ok || w.Handed {
			t.Errorf("Await past the registration limit = %v, Handed %v, want false, false", ok, w.Handed)
		}
	})
}

// A standing registration's callback reads the task's current wait, then
// ends it; the wait can end meanwhile and its waiter be recycled for a new
// wait, on another context (or a shielded one). The late callback must not
// end the new wait, even when it comes before the new wait parks: a new wait
// on a live context that reported itself cancelled made Lock.Acquire return
// nil (the error of a live context) without the lock.
func TestCancelWaitStaleAfterReuse(t *testing.T) {
	for _, shielded := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			var q Queue[int]
			ctx, finish := taskCtx(t.Context())
			defer finish()
			for range 100 { // until the pool hands the waiter back (it drops some under -race)
				a, cancelA := context.WithCancel(ctx)
				w1, res := parked(a, &mu, &q)
				mu.Lock()
				q.PopReady().Hand(1)
				mu.Unlock()
				if ok := <-res; !ok {
					t.Fatal("first Await = false, want true")
				}
				w1.Free()
				cancelA()
				var w2 *Waiter[int]
				if shielded {
					w2 = NewShielded[int](ctx)
				} else {
					w2 = New[int](ctx)
				}
				if w2 != w1 {
					continue
				}
				w2.CancelWait(a.Done()) // the late callback of a's registration
				q.Push(w2)
				res = await(w2, &mu, &q)
				synctest.Wait()
				select {
				case ok := <-res:
					t.Fatalf("shielded %v: the new wait ended (%v) by the cancellation of the old wait's context", shielded, ok)
				default:
				}
				mu.Lock()
				q.PopReady().Hand(2)
				mu.Unlock()
				if ok := <-res; !ok || w2.Val != 2 {
					t.Errorf("shielded %v: second Await = %v with %d, want true, 2", shielded, ok, w2.Val)
				}
				return
			}
			t.Errorf("shielded %v: a freed waiter was never reused", shielded)
		})
	}
}
