package core

import (
	"context"
	"sync"
	"sync/atomic"
)

// A wait in a queue (internal/wait) parks on its own channel alone, not in a
// select that also watches its context's Done channel: every task of a group
// shares that channel, and a select locks it on every park and every
// wake-up, which made a contended hand-off cost twice what it costs on one
// channel. The cancellation of the wait's context reaches the wait through a
// standing registration instead: the first time a task waits with a given
// context, it registers a context.AfterFunc on it, which stays until it
// fires, the scope that made the context exits, or the task ends. When it
// fires it ends the task's current wait, if that wait is on this context.

// WaitTarget is a wait that a standing registration can end.
type WaitTarget interface {
	// CancelWait ends the wait in progress as cancelled if it waits with
	// a context whose Done channel is done, and if it is still pending
	// (neither handed something nor cancelled).
	CancelWait(done <-chan struct{})
}

// WaitSlot is what a waiter hands to BeginWait: the waiter itself, set once
// when the waiter is made (a waiter is recycled, its slot with it).
type WaitSlot struct{ Target WaitTarget }

// waitRegs are a task's standing registrations and its current wait.
type waitRegs struct {
	cur  atomic.Pointer[WaitSlot] // the wait in progress, if BeginWait announced one
	last atomic.Value             // the Done channel registered last (<-chan struct{}), a shortcut

	mu   sync.Mutex
	regs []waitReg
	n    atomic.Int32 // len(regs), read without mu
}

type waitReg struct {
	done <-chan struct{}
	stop func() bool
}

// maxWaitRegs bounds a task's standing registrations: a task that waits
// with ever new contexts that it never cancels (context.WithTimeout without
// calling cancel, say) registers no more, and those waits watch their
// context themselves.
const maxWaitRegs = 16

func (t *Task) waitRegs() *waitRegs {
	w := t.waitRecord()
	if r := w.regs.Load(); r != nil {
		return r
	}
	r := new(waitRegs)
	if w.regs.CompareAndSwap(nil, r) {
		return r
	}
	return w.regs.Load()
}

// BeginWait announces that the task waits on slot's target until ctx
// (whose Done channel is d) is done, so that ctx's cancellation ends the wait through CancelWait. It
// reports false if it cannot: another goroutine sharing the task waits
// already, or the task has too many registrations; the caller then watches
// ctx.Done() itself. A true result must be followed by EndWait once the
// wait is over; a cancellation that came before BeginWait is the caller's
// to see (ctx.Done() is closed). A nil task returns false.
func (t *Task) BeginWait(ctx context.Context, d <-chan struct{}, slot *WaitSlot) bool {
	if t == nil {
		return false
	}
	r := t.waitRegs()
	if !r.cur.CompareAndSwap(nil, slot) {
		return false
	}
	if d == nil || r.last.Load() == any(d) {
		return true
	}
	r.mu.Lock()
	if !r.registeredLocked(d) {
		if len(r.regs) == maxWaitRegs {
			r.mu.Unlock()
			r.cur.Store(nil)
			return false
		}
		// AfterFunc runs f in a goroutine of its own, never here, so
		// holding r.mu is fine.
		stop := context.AfterFunc(ctx, func() { t.waitContextDone(d) })
		r.regs = append(r.regs, waitReg{done: d, stop: stop})
		r.n.Store(int32(len(r.regs)))
	}
	r.last.Store(d)
	r.mu.Unlock()
	return true
}

func (r *waitRegs) registeredLocked(d <-chan struct{}) bool {
	for i := range r.regs {
		if r.regs[i].done == d {
			return true
		}
	}
	return false
}

// EndWait ends what BeginWait announced.
func (t *Task) EndWait() { t.wait.Load().regs.Load().cur.Store(nil) }

// waitContextDone is the standing registration's callback: the context
// whose Done channel is d is done.
func (t *Task) waitContextDone(d <-chan struct{}) {
	r := t.wait.Load().regs.Load()
	r.mu.Lock()
	r.dropLocked(d)
	r.mu.Unlock()
	if s := r.cur.Load(); s != nil {
		s.Target.CancelWait(d)
	}
}

// dropLocked forgets the registration on d, and reports whether there was
// one.
func (r *waitRegs) dropLocked(d <-chan struct{}) (waitReg, bool) {
	for i := range r.regs {
		if r.regs[i].done == d {
			reg := r.regs[i]
			last := len(r.regs) - 1
			r.regs[i] = r.regs[last]
			r.regs[last] = waitReg{}
			r.regs = r.regs[:last]
			r.n.Store(int32(last))
			if r.last.Load() == any(d) {
				r.last.Store(noDone)
			}
			return reg, true
		}
	}
	return waitReg{}, false
}

// releaseWaitsOn stops the task's registration on the Done channel of ctx,
// if any: the scope whose context it is is exiting, and would otherwise fire
// it (a goroutine for nothing). It asks ctx for its Done channel only when
// the task has registrations: a context.cancelCtx makes the channel on the
// first call, which every scope exit would otherwise pay.
func (t *Task) releaseWaitsOn(ctx context.Context) {
	w := t.wait.Load()
	if w == nil {
		return
	}
	r := w.regs.Load()
	if r == nil || r.n.Load() == 0 {
		return
	}
	d := ctx.Done()
	r.mu.Lock()
	reg, ok := r.dropLocked(d)
	r.mu.Unlock()
	if ok {
		reg.stop()
	}
}

// releaseWaits stops all the task's registrations: it has ended.
func (t *Task) releaseWaits() {
	w := t.wait.Load()
	if w == nil {
		return
	}
	r := w.regs.Load()
	if r == nil {
		return
	}
	r.mu.Lock()
	regs := r.regs
	r.regs = nil
	r.n.Store(0)
	r.mu.Unlock()
	for _, reg := range regs {
		reg.stop()
	}
}
