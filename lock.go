package anyio

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Lock is a mutual exclusion lock owned by a task: AnyIO's Lock. The zero
// value is an unlocked lock, ready to use; a Lock must not be copied after
// first use.
//
// The owner is the task of the ctx given to Acquire. The owner cannot acquire
// the lock a second time (that is an error, not a deadlock), and only the
// owner can release it. With a context that carries no anyio task (a plain
// context.Context), a Lock is a plain mutex: the holder has no identity, so
// there is no owner check and Statistics reports no owner.
//
// Waiters are served in the order in which they arrived: Release hands the
// lock straight to the first waiter, so no task can barge in between. As
// with sync.Mutex, a Release synchronizes before the next Acquire (or
// TryAcquire) that succeeds.
//
// The usual pattern:
//
//	if err := l.Acquire(ctx); err != nil {
//		return err // cancelled: the lock is not held
//	}
//	defer l.Release(ctx)
//
// A goroutine started with a bare go statement shares the identity of the
// task that started it; start tasks with a TaskGroup so that each has its own.
type Lock struct {
	// state is 0 while the lock is free, the holder's task ID (lockForeign
	// for a plain context) while nobody waits, and lockContended while tasks
	// wait; owner then says who holds it. The uncontended paths are one
	// compare-and-swap each; everything else happens under mu.
	state atomic.Uint64
	// holder is the last task that took the lock on the uncontended path,
	// for Statistics: it is the holder while state is its ID.
	holder atomic.Pointer[core.Task]
	mu     sync.Mutex
	owner  *core.Task // the holder while contended; nil for a plain context
	q      wait.Queue[struct{}]
	info   core.WaitInfo
}

// Values of Lock.state other than 0 and task IDs.
const (
	lockForeign   = math.MaxUint64
	lockContended = math.MaxUint64 - 1
)

// holderID returns what Lock.state holds while t holds the lock alone.
func holderID(t *core.Task) uint64 {
	if t == nil {
		return lockForeign
	}
	return t.ID()
}

// took records t as the holder after it took the free lock.
func (l *Lock) took(t *core.Task) {
	if t != nil && l.holder.Load() != t {
		l.holder.Store(t)
	}
}

// LockOption configures [NewLock]: [FastAcquire].
type LockOption interface{ applyLock() }

// FastAcquireOption is the option made by [FastAcquire]. It serves
// [NewLock] and [NewSemaphore].
type FastAcquireOption struct{}

// FastAcquire is AnyIO's fast_acquire=True: skip the yield to the scheduler
// that an uncontended acquire would otherwise make. In anyio an uncontended
// Acquire never yields the processor (Go's scheduler is preemptive), so there
// is nothing to skip: the option is accepted by NewLock and NewSemaphore and
// changes nothing. In particular it never skips the cancellation check.
func FastAcquire() FastAcquireOption { return FastAcquireOption{} }

func (FastAcquireOption) applyLock()                      {}
func (FastAcquireOption) applySemaphore(*semaphoreConfig) {}

var ()

// NewLock returns an unlocked lock. The only option, FastAcquire, changes
// nothing (see FastAcquire).
func NewLock(opts ...LockOption) *Lock { return &Lock{} }

// Acquire blocks until the lock is acquired by the task of ctx, or until ctx
// is cancelled, in which case it returns a cancellation error and the task
// does not hold the lock. Cancellation is level-triggered: in a cancelled
// scope Acquire fails even when the lock is free.
//
// Waiters acquire the lock in first-come, first-served order. A lock that is
// handed to a waiter at the very moment its ctx is cancelled goes on to the
// next waiter: a task never holds the lock after Acquire returned an error.
//
// Acquire returns an error at once if the task of ctx already holds the lock.
func (l *Lock) Acquire(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if ctx.Err() == nil && l.state.CompareAndSwap(0, holderID(t)) {
		if t != nil && l.holder.Load() != t {
			l.holder.Store(t)
		}
		return nil
	}
	return l.acquireSlow(ctx, t)
}

func (l *Lock) acquireSlow(ctx context.Context, t *core.Task) error {
	l.mu.Lock()
	if t != nil && l.heldByLocked(t) {
		l.mu.Unlock()
		return ErrLockAlreadyHeld
	}
	if ctx.Err() != nil {
		l.mu.Unlock()
		return core.CancelErr(ctx)
	}
	if l.lockOrQueueLocked(t) {
		l.mu.Unlock()
		return nil
	}
	w := wait.New[struct{}](ctx)
	l.q.Push(w)
	info := l.waitInfo()
	l.mu.Unlock()
	if w.Await(&l.mu, &l.q, info) {
		if ctx.Err() == nil {
			w.Free()
			return nil
		}
		// Handed the lock as ctx was cancelled: pass it on.
		l.mu.Lock()
	} else if !w.Handed {
		l.dequeuedLocked()
		l.mu.Unlock()
		w.Free()
		return core.CancelErr(ctx)
	}
	next := l.releaseLocked()
	l.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	w.Free()
	return core.CancelErr(ctx)
}

// lockOrQueueLocked takes the lock for t if it is free, and reports whether
// it did; otherwise it switches the lock to the contended state, ready for a
// waiter to be queued. l.mu is held.
func (l *Lock) lockOrQueueLocked(t *core.Task) bool {
	for {
		s := l.state.Load()
		switch {
		case s == 0:
			if l.state.CompareAndSwap(0, holderID(t)) {
				l.took(t)
				return true
			}
		case s == lockContended:
			return false
		case l.state.CompareAndSwap(s, lockContended):
			l.owner = nil
			if s != lockForeign {
				l.owner = l.uncontendedHolder(s)
			}
			return false
		}
	}
}

// uncontendedHolder returns the task whose ID is id, the uncontended holder,
// once it has recorded itself (it does so right after taking the lock).
func (l *Lock) uncontendedHolder(id uint64) *core.Task {
	for {
		if h := l.holder.Load(); h != nil && h.ID() == id {
			return h
		}
		runtime.Gosched()
	}
}

// dequeuedLocked returns the lock to the uncontended state once its last
// waiter has gone. l.mu is held.
func (l *Lock) dequeuedLocked() {
	if l.q.Len() == 0 && l.state.Load() == lockContended {
		l.setHolderLocked(l.owner)
	}
}

// setHolderLocked makes t the uncontended holder. l.mu is held, and nobody
// waits.
func (l *Lock) setHolderLocked(t *core.Task) {
	l.owner = nil
	if t != nil {
		l.holder.Store(t)
	}
	l.state.Store(holderID(t))
}

// releaseLocked hands the lock to the first live waiter (returned, to be
// signalled once l.mu is released), or unlocks it. The lock is held, and
// l.mu.
func (l *Lock) releaseLocked() *wait.Waiter[struct{}] {
	w := l.q.PopReady()
	if w == nil {
		l.owner = nil
		l.state.Store(0)
		return nil
	}
	w.Mark(struct{}{})
	if l.q.Len() == 0 {
		l.setHolderLocked(w.Task)
	} else {
		l.owner = w.Task
		l.state.Store(lockContended)
	}
	return w
}

// acquireShielded acquires the lock for the task of ctx whatever the state of
// ctx: Condition.Wait's re-acquire, which must not fail.
func (l *Lock) acquireShielded(ctx context.Context) {
	t := core.TaskOf(ctx)
	if l.state.CompareAndSwap(0, holderID(t)) {
		l.took(t)
		return
	}
	l.mu.Lock()
	if l.lockOrQueueLocked(t) {
		l.mu.Unlock()
		return
	}
	w := wait.NewShielded[struct{}](ctx)
	l.q.Push(w)
	info := l.waitInfo()
	l.mu.Unlock()
	w.Await(&l.mu, &l.q, info)
	w.Free()
}

// enqueueFor queues a shielded waiter for the task t behind the current
// waiters and returns it; the caller makes t wait on it (Condition.Notify,
// whose caller holds the lock, queues the tasks it wakes). Should the lock
// be free, t gets it at once: the waiter is handed it already.
func (l *Lock) enqueueFor(t *core.Task) *wait.Waiter[struct{}] {
	w := wait.NewShieldedFor[struct{}](t)
	l.mu.Lock()
	l.waitInfo()
	if l.lockOrQueueLocked(t) {
		w.Mark(struct{}{})
		l.mu.Unlock()
		w.Signal()
		return w
	}
	l.q.Push(w)
	l.mu.Unlock()
	return w
}

// waitInfo returns what a task waiting for l is parked on. l.mu is held.
func (l *Lock) waitInfo() *core.WaitInfo {
	if l.info.Obj == nil {
		l.info = core.WaitInfo{What: "Lock.Acquire", Obj: l}
	}
	return &l.info
}

// TryAcquire acquires the lock for the task of ctx if it is free, without
// blocking; it returns ErrWouldBlock if another task holds the lock or is
// being handed it. Like Acquire, it returns an error if the task already
// holds the lock. It does not check ctx for cancellation.
func (l *Lock) TryAcquire(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if l.state.CompareAndSwap(0, holderID(t)) {
		l.took(t)
		return nil
	}
	if t != nil && l.heldBy(t) {
		return ErrLockAlreadyHeld
	}
	return ErrWouldBlock
}

// Release releases the lock held by the task of ctx and hands it to the
// first waiter, if any. It never blocks. It returns an error if the lock is
// not held, or if it is held by another task. A lock acquired through a plain
// context has no owner and can be released through any context, like a
// sync.Mutex.
func (l *Lock) Release(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if l.state.CompareAndSwap(holderID(t), 0) {
		return nil
	}
	return l.releaseSlow(t)
}

func (l *Lock) releaseSlow(t *core.Task) error {
	l.mu.Lock()
	for {
		s := l.state.Load()
		switch {
		case s == 0:
			l.mu.Unlock()
			return ErrLockNotLocked
		case s == lockContended:
			if l.owner != nil && l.owner != t {
				l.mu.Unlock()
				return ErrLockNotOwner
			}
			next := l.releaseLocked()
			l.mu.Unlock()
			if next != nil {
				next.Signal()
			}
			return nil
		case s != lockForeign && s != holderID(t):
			l.mu.Unlock()
			return ErrLockNotOwner
		}
		if l.state.CompareAndSwap(s, 0) {
			l.mu.Unlock()
			return nil
		}
	}
}

// heldBy reports whether the lock is held by the task t (for a nil t: held
// through a plain context).
func (l *Lock) heldBy(t *core.Task) bool {
	if s := l.state.Load(); s != lockContended {
		return s == holderID(t)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heldByLocked(t)
}

func (l *Lock) heldByLocked(t *core.Task) bool {
	if s := l.state.Load(); s != lockContended {
		return s == holderID(t)
	}
	return l.owner == t
}

// Locked reports whether the lock is held (or being handed to a waiter).
func (l *Lock) Locked() bool { return l.state.Load() != 0 }

// LockStatistics is a snapshot of a Lock's state.
type LockStatistics struct {
	Locked       bool      // the lock is held
	Owner        *TaskInfo // the task holding it; nil when unlocked or held through a plain context
	TasksWaiting int       // tasks blocked in Acquire
}

// Statistics returns a snapshot of the lock's state.
func (l *Lock) Statistics() LockStatistics {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := LockStatistics{TasksWaiting: l.q.Live()}
	var owner *core.Task
	for owner == nil {
		s := l.state.Load()
		st.Locked = s != 0
		if s == 0 || s == lockForeign {
			break
		}
		if s == lockContended {
			owner = l.owner
			break
		}
		// The holder records itself right after taking the lock.
		if h := l.holder.Load(); h != nil && h.ID() == s {
			owner = h
		} else {
			runtime.Gosched()
		}
	}
	if owner != nil {
		ti := taskInfo(owner)
		st.Owner = &ti
	}
	return st
}
