package anyio

import (
	"context"
	"fmt"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Condition is a condition variable over a Lock: AnyIO's Condition. A task
// holding the lock calls Wait to release it and sleep until another task,
// holding the lock, calls Notify or NotifyAll. The zero value is a condition
// over a lock of its own, ready to use; a Condition must not be copied after
// first use.
//
// A Notify synchronizes before the Wait that it lets return.
type Condition struct {
	lock *Lock
	own  Lock
	mu   sync.Mutex
	q    wait.Queue[struct{}]
	info core.WaitInfo
}

// NewCondition returns a condition over l, or over a new Lock if l is nil.
func NewCondition(l *Lock) *Condition { return &Condition{lock: l} }

func (c *Condition) l() *Lock {
	if c.lock != nil {
		return c.lock
	}
	return &c.own
}

// Acquire acquires the underlying lock, as Lock.Acquire.
func (c *Condition) Acquire(ctx context.Context) error { return c.l().Acquire(ctx) }

// TryAcquire acquires the underlying lock without blocking, as
// Lock.TryAcquire.
func (c *Condition) TryAcquire(ctx context.Context) error { return c.l().TryAcquire(ctx) }

// Release releases the underlying lock, as Lock.Release.
func (c *Condition) Release(ctx context.Context) error { return c.l().Release(ctx) }

// Locked reports whether the underlying lock is held.
func (c *Condition) Locked() bool { return c.l().Locked() }

// Wait releases the underlying lock, which the task of ctx must hold, blocks
// until a Notify or NotifyAll wakes it or ctx is cancelled, and acquires the
// lock again before it returns — on every path, also when cancelled, so the
// caller holds the lock whenever Wait returns.
//
// It returns nil when notified and a cancellation error when ctx was
// cancelled (in a cancelled scope it fails at once, without releasing the
// lock). A notification that reaches a waiter at the very moment its ctx is
// cancelled goes on to the next waiter. Wait returns an error, and does not
// wait, if the task of ctx does not hold the lock.
func (c *Condition) Wait(ctx context.Context) error {
	l := c.l()
	if !l.heldBy(core.TaskOf(ctx)) {
		return ErrConditionNotHeld
	}
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	w := wait.New[struct{}](ctx)
	c.mu.Lock()
	if c.info.Obj == nil {
		c.info = core.WaitInfo{What: "Condition.Wait", Obj: c}
	}
	c.q.Push(w)
	c.mu.Unlock()
	l.mu.Lock()
	next := l.releaseLocked()
	l.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	var err error
	var lw *wait.Waiter[struct{}] // where a notification queued us for the lock
	if w.Await(&c.mu, &c.q, &c.info) {
		lw = w.Data.(*wait.Waiter[struct{}])
		if ctx.Err() != nil {
			// Notified as ctx was cancelled: the notification goes on.
			err = core.CancelErr(ctx)
			c.mu.Lock()
			c.notifyLocked(1)
			c.mu.Unlock()
		}
	} else {
		err = core.CancelErr(ctx)
		if w.Handed {
			lw = w.Data.(*wait.Waiter[struct{}])
			c.notifyLocked(1)
		}
		c.mu.Unlock()
	}
	w.Free()
	if lw == nil {
		l.acquireShielded(ctx)
	} else {
		lw.Await(&l.mu, &l.q, &l.info)
		lw.Free()
	}
	return err
}

// WaitFor waits, as Wait does, until pred returns true, and returns nil then.
// pred is called with the lock held: first at once, then after every wake-up.
// It returns the error of Wait if one fails (the lock is held again even
// then), and an error if the task of ctx does not hold the lock.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	if !c.l().heldBy(core.TaskOf(ctx)) {
		return ErrConditionNotHeld
	}
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Notify wakes the first n tasks waiting in Wait, in the order in which they
// began to wait (fewer if fewer wait), and queues them for the lock in that
// order: they re-acquire it one after the other once the caller releases it.
// The task of ctx must hold the lock: otherwise Notify returns an error and
// wakes nobody. A negative n is an error. Notify never blocks and does not
// check ctx for cancellation.
func (c *Condition) Notify(ctx context.Context, n int) error {
	if n < 0 {
		return fmt.Errorf("%w: Condition.Notify: n must be >= 0, got %d", ErrInvalidArgument, n)
	}
	if !c.l().heldBy(core.TaskOf(ctx)) {
		return ErrConditionNotHeld
	}
	c.mu.Lock()
	c.notifyLocked(n)
	c.mu.Unlock()
	return nil
}

// NotifyAll wakes every task waiting in Wait, as Notify does. The task of
// ctx must hold the lock: otherwise NotifyAll returns an error and wakes
// nobody. It never blocks.
func (c *Condition) NotifyAll(ctx context.Context) error {
	if !c.l().heldBy(core.TaskOf(ctx)) {
		return ErrConditionNotHeld
	}
	c.mu.Lock()
	c.notifyLocked(c.q.Len())
	c.mu.Unlock()
	return nil
}

// notifyLocked wakes up to n live waiters, each queued for the lock in turn
// so that they re-acquire it in the order in which they waited. c.mu is
// held.
func (c *Condition) notifyLocked(n int) {
	for ; n > 0; n-- {
		w := c.q.PopReady()
		if w == nil {
			return
		}
		w.Data = c.l().enqueueFor(w.Task)
		w.Hand(struct{}{})
	}
}

// ConditionStatistics is a snapshot of a Condition's state.
type ConditionStatistics struct {
	TasksWaiting   int            // tasks blocked in Wait
	LockStatistics LockStatistics // the underlying lock's
}

// Statistics returns a snapshot of the condition's state.
func (c *Condition) Statistics() ConditionStatistics {
	c.mu.Lock()
	n := c.q.Live()
	c.mu.Unlock()
	return ConditionStatistics{TasksWaiting: n, LockStatistics: c.l().Statistics()}
}
