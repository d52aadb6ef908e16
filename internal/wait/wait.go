// Package wait is the one parking primitive under every anyio
// synchronization primitive and memory object stream: a FIFO queue of
// waiters, each with its own channel, each woken by a direct hand-off from
// the task that frees what it waits for, or by the cancellation of its
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
//   - The cancellation of a wait and a hand-off race for it with a
//     compare-and-swap (claim): the waker's Mark, the cancellation of the
//     waiter's context, or the waiter that finds its context done first.
//     A cancellation that loses sends nothing; one that wins sends false.
//     Every Mark is followed by its Signal, which sends true, so a channel
//     never holds more than two, and a send never blocks.
//   - Nothing is handed to a waiter whose context is already done: PopReady
//     drops such waiters, which then return their cancellation.
//   - A waiter whose wait the cancellation claimed re-locks the mutex and
//     checks whether it was handed something meanwhile (marked by a waker
//     that popped it just before its context ended); if it was, it consumes
//     the waker's Signal (so that it is not reused while the waker still
//     holds it) and the primitive decides what to do with what it was
//     handed (give it back, pass it on, or keep it): it is never lost.
//
// A task's waiter parks on its channel alone: the cancellation of its
// context reaches it through the task's standing registration on that
// context (core.Task.BeginWait), not through a select on the context's Done
// channel, which every task of a group shares and a select locks on every
// park and wake-up. A waiter that cannot use one (no task, or another
// goroutine sharing the task waits already) selects on both.
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
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
)

// Waiter is one task waiting in a Queue. T is what a hand-off carries (an
// item for a memory stream; struct{} for a token).
type Waiter[T any] struct {
	// ch carries the wake-ups of a wait: true from the waker's Signal
	// (one for every Mark), false from the cancellation of ctx if it
	// claimed the wait before any Mark (see claim). That is two at most,
	// so a send never blocks.
	ch chan bool
	// st is the generation of the wait (counted up each time the waiter
	// is reused) and its phase: gen<<2 | phaseWaiting or phaseClaimed.
	st atomic.Uint64
	// done is the Done channel of the context of the wait in progress (a
	// <-chan struct{}), for CancelWait; slot is the waiter's own entry
	// for core.Task.BeginWait.
	done   atomic.Value
	slot   core.WaitSlot
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
		w := &Waiter[T]{ch: make(chan bool, 2), ctx: ctx}
		w.slot.Target = w
		w.st.Store(1<<genShift | phaseWaiting)
		return w
	}
	r := t.Run()
	d := ctx.Done()
	if w, _ := poolOf[T]().Get().(*Waiter[T]); w != nil && w.run == r {
		w.ctx, w.Task = ctx, t
		// The Done channel of the new wait is in place before its
		// generation starts: a registration of the waiter's last wait
		// that fires late (it read the task's current wait before that
		// wait ended) must find the new generation with the new channel,
		// never with the old one, which it would take for its own. (A
		// nil d, of a shielded wait, is stored too: no channel matches
		// it.)
		if w.done.Load() != any(d) {
			w.done.Store(d)
		}
		w.st.Store((w.st.Load()>>genShift+1)<<genShift | phaseWaiting)
		return w
	}
	w := &Waiter[T]{ch: make(chan bool, 2), ctx: ctx, Task: t, run: r}
	w.slot.Target = w
	w.done.Store(d)
	w.st.Store(1<<genShift | phaseWaiting)
	return w
}

// Phases of a wait (the low bits of Waiter.st).
const (
	phaseWaiting = 1 // nobody has claimed the wake-up yet
	phaseClaimed = 2 // the waker, the cancellation or the waiter itself has
	genShift     = 2
)

// claim takes the right to end the current wait: true for exactly one
// caller per wait (the waker's Mark, the cancellation of the wait's
// context, or the waiter that found its context done before it parked).
func (w *Waiter[T]) claim() bool {
	for {
		v := w.st.Load()
		if v&phaseWaiting == 0 {
			return false
		}
		if w.st.CompareAndSwap(v, v&^phaseWaiting|phaseClaimed) {
			return true
		}
	}
}

// CancelWait is called by the task's standing registration when a context
// whose Done channel is done ends (see core.Task.BeginWait): if the wait in
// progress is on that context and nobody has claimed its wake-up, it wakes
// it as cancelled. The generation read first makes a waiter recycled
// meanwhile (a new wait, maybe on another context) safe: the claim fails.
func (w *Waiter[T]) CancelWait(done <-chan struct{}) {
	v := w.st.Load()
	if v&phaseWaiting == 0 || w.done.Load() != any(done) {
		return
	}
	if w.st.CompareAndSwap(v, v&^phaseWaiting|phaseClaimed) {
		w.ch <- false
	}
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
	// From now on the cancellation sends nothing. If it claimed the wait
	// first, the task is waking up by itself, and counts itself as running
	// when it runs (a Wake now would mark the task woken after that).
	if w.claim() {
		w.Task.Wake()
	}
}

// Signal wakes a waiter after Mark; it never blocks. The waiter may return
// (and be freed) at once, so the caller must not touch w afterwards. A
// waiter whose cancellation claimed the wait before the Mark still receives
// the Signal: it finds Handed set under the mutex and waits for it, so that
// it is never reused while its waker still holds it.
func (w *Waiter[T]) Signal() { w.ch <- true }

// Ctx returns the waiter's context.
func (w *Waiter[T]) Ctx() context.Context { return w.ctx }

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
	if w.park(info) {
		mu.Lock()
		return true
	}
	mu.Lock()
	if w.Handed {
		// Handed at the moment the context was cancelled: the waker's
		// Signal is in the channel, or on its way.
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
		// costs no park, its dearest part.
		// A waiter behind others parks at once.
		runtime.Gosched()
		select {
		case handed := <-w.ch:
			// Only the waker can have sent yet: its Wake marked the
			// task woken, and it takes the hand-off without parking.
			w.Task.ClearWake()
			return handed
		default:
		}
	}
	if w.park(info) {
		return true
	}
	mu.Lock()
	if w.Handed {
		<-w.ch // the waker's Signal, sent now or in a moment
	} else {
		q.Remove(w)
	}
	return false
}

// park parks the waiter's task until its wake-up: true for a hand-off,
// false when the context ended the wait (then no wake-up comes any more).
func (w *Waiter[T]) park(info *core.WaitInfo) bool {
	d := w.ctx.Done()
	w.Task.ParkDone(d, info)
	handed := w.sleep(d)
	w.Task.Unpark()
	return handed
}

func (w *Waiter[T]) sleep(d <-chan struct{}) bool {
	if d == nil {
		return <-w.ch // a context that is never done: only a hand-off ends the wait
	}
	// w.done is d already (see get).
	if w.Task.BeginWait(w.ctx, d, &w.slot) {
		// The context's cancellation now arrives on w.ch; if it came
		// before the announcement, it is seen here.
		select {
		case <-d:
			if w.claim() {
				w.Task.EndWait()
				return false
			}
		default:
		}
		handed := <-w.ch
		w.Task.EndWait()
		return handed
	}
	// No standing registration (a goroutine sharing the task waits
	// already, or there is no task): watch the context here.
	select {
	case handed := <-w.ch:
		return handed
	case <-d:
	}
	if w.claim() {
		return false
	}
	return <-w.ch // a Mark claimed the wait first: its Signal is on its way
}
