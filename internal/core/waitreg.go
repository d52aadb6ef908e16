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
// context, it registers on it, and the registration stays until it fires,
// the scope that made the context exits, or the task ends. When it fires it
// ends the task's current wait, if that wait is on this context.
//
// On the context of an anyio scope (a scope's body, a task group's child),
// the registration is a node in the scope's list of waiters, and the scope
// fires the whole list itself, in the goroutine that cancels it: cancelling
// a group whose thousands of tasks wait in queues costs one call per task,
// as closing a channel does, not a goroutine per task. On any other context
// it is a context.AfterFunc.
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
	stop func() bool // a context.AfterFunc's; nil for a scope's node
	node *scopeWait  // the node in an anyio scope's list
}

// scopeWait is a task's standing registration on the context of an anyio
// scope: a node of the scope's list of waiters (Scope.waits), guarded by
// the scope's mu.
type scopeWait struct {
	t          *Task
	s          *Scope
	prev, next *scopeWait
	linked     bool // in s.waits; cleared when the scope fires it or it is stopped
}

// stopReg cancels the registration: it takes the node off its scope's list,
// or stops the context.AfterFunc.
func (reg *waitReg) stopReg() {
	if reg.node != nil {
		reg.node.s.dropWait(reg.node)
	} else {
		reg.stop()
	}
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
	if r.registeredLocked(d) {
		r.last.Store(d)
		r.mu.Unlock()
		return true
	}
	if len(r.regs) == maxWaitRegs {
		r.mu.Unlock()
		r.cur.Store(nil)
		return false
	}
	if s := directScope(ctx); s != nil && s.ctx.Context.Done() == d {
		// The node is linked after r.mu is released: the scope fires
		// its list under its own mu, and the registrations it fires take
		// r.mu (r.mu is a leaf lock).
		node := &scopeWait{t: t, s: s}
		r.regs = append(r.regs, waitReg{done: d, node: node})
		r.n.Store(int32(len(r.regs)))
		r.last.Store(d)
		r.mu.Unlock()
		if !s.addWait(node) {
			// The scope is done or exiting: the caller watches d itself.
			r.mu.Lock()
			r.dropLocked(d)
			r.mu.Unlock()
			r.cur.Store(nil)
			return false
		}
		return true
	}
	// AfterFunc runs f in a goroutine of its own, never here, so holding
	// r.mu is fine.
	stop := context.AfterFunc(ctx, func() { t.waitContextDone(d) })
	r.regs = append(r.regs, waitReg{done: d, stop: stop})
	r.n.Store(int32(len(r.regs)))
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
		reg.stopReg()
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
	for i := range regs {
		regs[i].stopReg()
	}
}

// addWait links a standing registration into the scope's list, and reports
// whether it did: not once the scope's context is done or the scope exits
// (then nothing would fire it).
func (s *Scope) addWait(n *scopeWait) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != scopeEntered || s.ctx.Context.Err() != nil {
		return false
	}
	n.prev, n.next = nil, s.waits
	if s.waits != nil {
		s.waits.prev = n
	}
	s.waits = n
	n.linked = true
	return true
}

// dropWait takes a registration off the scope's list if it is still there.
func (s *Scope) dropWait(n *scopeWait) {
	s.mu.Lock()
	if n.linked {
		s.unlinkWaitLocked(n)
	}
	s.mu.Unlock()
}

func (s *Scope) unlinkWaitLocked(n *scopeWait) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		s.waits = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	n.prev, n.next, n.linked = nil, nil, false
}

// fireWaitsLocked fires every registration on the scope's context, which is
// done: each ends its task's current wait if that wait is on the context.
// s.mu is held; a registration's callback takes only its task's waitRegs
// lock and sends on a buffered channel, so it never blocks.
func (s *Scope) fireWaitsLocked() {
	if s.waits == nil {
		return
	}
	d := s.ctx.Context.Done()
	for n := s.waits; n != nil; n = s.waits {
		s.unlinkWaitLocked(n)
		n.t.waitContextDone(d)
	}
}
