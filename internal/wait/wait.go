// Package wait is the one parking primitive under every anyio
// synchronization primitive and memory object stream: a FIFO queue of
// waiters, each with its own channel, each woken by a direct hand-off from
// the task that frees what it waits for, and each also waiting on its
// context.
//
// The rules that make it exact (see docs/design.md):
//
//   - The primitive's own mutex guards its state and its Queue. A waker hands
//     something to a waiter under that mutex: it takes the waiter out of the
//     queue and sets its Handed flag (and Val), crediting the task as running
//     again for WaitAllTasksBlocked (Mark); then it signals the waiter's
//     channel (Signal), under the mutex or after releasing it. Hand and Wake
//     do both at once.
//   - Nothing is handed to a waiter whose context is already done: PopReady
//     drops such waiters, which then return their cancellation.
//   - A waiter woken by its context re-locks the mutex and checks whether it
//     was handed something meanwhile; if it was, it consumes the signal and
//     the primitive decides what to do with what it was handed (give it back,
//     pass it on, or keep it) — it is never lost.
//
// Two ways to wait: Wait returns with the mutex held on every path; Await
// returns without it when the hand-off arrives (the common case, which then
// takes no lock at all) and with it only when the context ended the wait.
// Await yields the processor once before it parks a waiter that is alone in
// its queue: a hand-off that arrives meanwhile costs no park.
//
// A waiter is recycled by Free once its wait is over, so that a contended
// wait allocates nothing; see Free.
package wait

import (
	"context"
	"runtime"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
)

// Waiter is one task waiting in a Queue. T is what a hand-off carries (an
// item for a memory stream; struct{} for a token).
type Waiter[T any] struct {
	ch     chan struct{}
	ctx    context.Context
	Task   *core.Task
	Val    T    // carried by the hand-off, either way
	Handed bool // set by the waker under the primitive's mutex
	// Data is free for the primitive's own use (e.g. a borrower).
	Data any

	queued     bool
	prev, next *Waiter[T]
	run        *core.Run // the Run of the waiter's tasks, nil if it is not recycled
	alone      bool      // it was the only waiter when queued
}

// New returns a waiter for the task of ctx. Release it with Free once the wait
// is over and the primitive no longer refers to it.
func New[T any](ctx context.Context) *Waiter[T] {
	return get[T](ctx, core.TaskOf(ctx))
}

// NewShielded returns a waiter for the task of ctx that ignores ctx's
// cancellation: its wait ends only with a hand-off. It serves waits that must
// complete even in a cancelled scope, such as Condition.Wait re-acquiring its
// lock (AnyIO does that in a shielded scope).
func NewShielded[T any](ctx context.Context) *Waiter[T] {
	return get[T](never, core.TaskOf(ctx))
}

// NewShieldedFor is NewShielded for the task t, which need not be the
// caller's: a task that hands one wait over to another queues the second
// wait on the waiter's behalf (Condition.Notify queues the woken task for
// the lock, so that the notified tasks re-acquire it in FIFO order). t may
// be nil (a plain context).
func NewShieldedFor[T any](t *core.Task) *Waiter[T] {
	return get[T](never, t)
}

// never is a context that is never done, for shielded waiters.
var never = context.Background()

// Waiters are recycled, so that a contended wait allocates nothing: a waiter
// and its channel are made once and serve wait after wait. A waiter serves
// only tasks of the Run that made it. A Run lives in one testing/synctest
// bubble (or none), and a channel made in a bubble must not be used outside
// it; a recycled waiter of another Run is dropped, never used. Waiters of
// plain contexts (no task, so no Run) are not recycled.
var (
	tokenPool sync.Pool // *Waiter[struct{}]
	pools     sync.Map  // (*Waiter[T])(nil) -> *sync.Pool of *Waiter[T]
)

func poolOf[T any]() *sync.Pool {
	var key any = (*Waiter[T])(nil)
	if _, ok := key.(*Waiter[struct{}]); ok {
		return &tokenPool
	}
	if p, ok := pools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(key, new(sync.Pool))
	return p.(*sync.Pool)
}

func get[T any](ctx context.Context, t *core.Task) *Waiter[T] {
	if t == nil {
		return &Waiter[T]{ch: make(chan struct{}, 1), ctx: ctx}
	}
	r := t.Run()
	if w, _ := poolOf[T]().Get().(*Waiter[T]); w != nil && w.run == r {
		w.ctx, w.Task = ctx, t
		return w
	}
	return &Waiter[T]{ch: make(chan struct{}, 1), ctx: ctx, Task: t, run: r}
}

// Free ends the life of a waiter whose wait is over: nothing may refer to w
// any more (it is out of its queue, and its Val and Data have been read).
// Free recycles it for a later wait of a task of the same Run. (A recycled
// waiter keeps its last context and task until it is reused or collected:
// clearing them would cost every wait two write barriers.)
func (w *Waiter[T]) Free() {
	if w.run == nil || w.queued || len(w.ch) != 0 {
		return
	}
	var zero T
	w.Val, w.Handed = zero, false
	if w.Data != nil {
		w.Data = nil
	}
	poolOf[T]().Put(w)
}

// Hand hands v to a waiter already removed from its queue (by PopReady or
// Remove) and wakes it. The caller holds the primitive's mutex.
func (w *Waiter[T]) Hand(v T) {
	w.Mark(v)
	w.Signal()
}

// Mark is the first half of Hand: under the primitive's mutex, it hands v to
// a waiter already removed from its queue and counts its task as running
// again. Signal, the second half, may follow after the mutex is released, so
// that the woken task does not find the mutex still held; every Mark must be
// followed by exactly one Signal. Between the two, a waiter woken by its
// context finds Handed set and waits for the Signal.
func (w *Waiter[T]) Mark(v T) {
	w.Val = v
	w.Handed = true
	w.Task.Wake()
}

// Signal wakes a waiter after Mark; it never blocks. The waiter may return
// (and be freed) at once, so the caller must not touch w afterwards.
func (w *Waiter[T]) Signal() { w.ch <- struct{}{} }

// Ctx returns the waiter's context.
func (w *Waiter[T]) Ctx() context.Context { return w.ctx }

// Wake hands off to a waiter already removed from its queue (by PopReady or
// Remove): the caller holds the primitive's mutex and has set Handed and Val.
func (w *Waiter[T]) Wake() {
	w.Task.Wake()
	w.ch <- struct{}{}
}

// Queue is a FIFO of waiters. It is guarded by the primitive's mutex.
type Queue[T any] struct {
	head, tail *Waiter[T]
	n          int
}

// Len returns the number of waiters.
func (q *Queue[T]) Len() int { return q.n }

// Push appends w.
func (q *Queue[T]) Push(w *Waiter[T]) {
	w.queued = true
	w.alone = q.n == 0
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.n++
}

// Remove takes w out of the queue if it is in it.
func (q *Queue[T]) Remove(w *Waiter[T]) {
	if !w.queued {
		return
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.n--
}

// Live returns the number of waiters whose context is not done: the tasks
// that still wait, for statistics. Waiters cancelled a moment ago but not yet
// gone from the queue are not counted.
func (q *Queue[T]) Live() int {
	n := 0
	for w := q.head; w != nil; w = w.next {
		if w.ctx.Err() == nil {
			n++
		}
	}
	return n
}

// PopReady removes and returns the first waiter whose context is not done.
// Waiters with a done context are removed on the way: they will find
// themselves unqueued and not handed, and return their cancellation.
func (q *Queue[T]) PopReady() *Waiter[T] {
	for w := q.head; w != nil; w = q.head {
		q.Remove(w)
		if w.ctx.Err() == nil {
			return w
		}
	}
	return nil
}

// All calls f for each waiter in order (for statistics and dumps).
func (q *Queue[T]) All(f func(w *Waiter[T]) bool) {
	for w := q.head; w != nil; w = w.next {
		if !f(w) {
			return
		}
	}
}

// Wait parks the waiter's task until a hand-off or until its context is done.
// The caller has pushed w under mu and released mu. When Wait returns, mu is
// held again and w is out of the queue; the result is w.Handed: true if
// something was handed to w (possibly at the very moment its context was
// cancelled: the caller decides whether to keep it, pass it on or give it
// back), false if the wait was cancelled with nothing handed.
func (w *Waiter[T]) Wait(mu sync.Locker, q *Queue[T], info *core.WaitInfo) bool {
	w.Task.ParkCtx(w.ctx, info)
	select {
	case <-w.ch:
		w.Task.Unpark()
		mu.Lock()
		return true
	case <-w.ctx.Done():
	}
	w.Task.Unpark()
	mu.Lock()
	if w.Handed {
		// The hand-off won the race; its signal is in the channel.
		<-w.ch
		return true
	}
	q.Remove(w)
	return false
}

// Await parks the waiter's task as Wait does, with a cheaper contract for
// the common case. When the hand-off arrives, Await returns true and mu is
// not held: Handed and Val are set (the Signal synchronizes with Await's
// return). When ctx is done first, Await re-locks mu, takes w out of the
// queue if it is still in it, and returns false with mu held; Handed then
// tells whether something was handed meanwhile (the caller keeps it, passes
// it on or gives it back).
//
// A true result does not mean that ctx is still live: a hand-off and a
// cancellation can arrive together, and the primitive decides which wins.
func (w *Waiter[T]) Await(mu sync.Locker, q *Queue[T], info *core.WaitInfo) bool {
	if w.alone {
		// The only waiter yields once before parking: the hand-off it
		// waits for is next, and often comes at once (the task that it
		// woke hands straight back); if it comes meanwhile, the wait
		// costs no park and no select on the context, its dearest parts.
		// A waiter behind others parks at once.
		runtime.Gosched()
		select {
		case <-w.ch:
			return true
		default:
		}
	}
	w.Task.ParkCtx(w.ctx, info)
	select {
	case <-w.ch:
		w.Task.Unpark()
		return true
	case <-w.ctx.Done():
	}
	w.Task.Unpark()
	mu.Lock()
	if w.Handed {
		<-w.ch // sent by the waker's Signal, now or in a moment
	} else {
		q.Remove(w)
	}
	return false
}
