package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Scope kinds, for DumpTasks.
const (
	scopePlain uint8 = iota // a CancelScope
	scopeGroup              // a task group's scope
	scopeTask               // the own scope of a started task
)

// Scope states.
const (
	scopeNew uint8 = iota
	scopeEntered
	scopeExited
)

// The causes that every scope shares (made again by SetPublisher).
var (
	plainCancel    = newCancelled("", false, context.Canceled, nil)
	deadlineCancel = newCancelled("", true, context.Canceled, nil)
	exitedCause    = newCancelled("the cancel scope of this context has exited", false, context.Canceled, nil)
)

// Scope is the cancel scope machinery behind CancelScope, task groups and the
// scopes of started tasks.
//
// A scope's context wraps a standard cancelCtx whose parent is a detached view
// of the caller's context, so that cancellation from outside arrives only
// through Scope's own links: an intrusive child list when the parent is an
// anyio scope (no allocation, no goroutine), context.AfterFunc otherwise. That
// is what lets a shield be raised or lowered after the scope was entered.
//
// Lock order: a parent scope's mu before a child's.
type Scope struct {
	mu          sync.Mutex
	ctx         scopeCtx // ctx.Context is the standard cancelCtx; nil before Enter
	base        detached
	cancelInner context.CancelCauseFunc
	task        *Task

	cancelParent context.Context // whose cancellation and deadline apply unless shielded
	parent       *Scope          // the anyio scope this one is linked into
	prev, next   *Scope          // siblings in parent.children
	children     *Scope
	stopForeign  func() bool
	prevTask     *Scope     // the task's innermost scope before this one was entered
	waits        *scopeWait // standing registrations of waits on ctx (see waitreg.go)

	// A CancelScope is allocated for every scope a program enters, and its
	// size is most of what entering costs beyond context.WithCancel, so the
	// deadline, which most scopes lack, lives apart.
	dl *scopeDeadline

	hasDeadline     bool
	shield          bool
	kind            uint8 // scopePlain, scopeGroup or scopeTask
	state           uint8
	cancelCalled    bool
	deadlineFired   bool // the deadline was reached while the scope was entered
	timedOut        bool // the deadline was reached before Cancel was called
	parentCancelled bool
	caught          bool
	ownCause        *CancelledError
	parentCause     *CancelledError // set while parentCancelled

	// cause is what the scope's context was cancelled with, when that is a
	// *CancelledError (as every cause anyio gives is): CancelErr returns it
	// without taking the standard context's lock.
	cause atomic.Pointer[CancelledError]
}

// scopeDeadline is the deadline of a scope that has (or had) one.
type scopeDeadline struct {
	at    time.Time
	timer *time.Timer
}

// ScopeDeadline is the storage of a scope's deadline, for a caller that
// allocates it together with the scope (see UseDeadline).
type ScopeDeadline = scopeDeadline

// UseDeadline gives a scope that is not shared yet the storage for its
// deadline, so that a scope made with a deadline (MoveOnAfter, FailAfter)
// costs one allocation, not two.
func (s *Scope) UseDeadline(d *ScopeDeadline) { s.dl = d }

// setDeadlineLocked records t as the deadline; s.mu is held (or the scope is
// not shared yet).
func (s *Scope) setDeadlineLocked(t time.Time) {
	if s.dl == nil {
		s.dl = &scopeDeadline{}
	}
	s.dl.at, s.hasDeadline = t, true
}

// deadlineLocked returns the deadline; s.mu is held.
func (s *Scope) deadlineLocked() (time.Time, bool) {
	if s.dl == nil {
		return time.Time{}, false
	}
	return s.dl.at, s.hasDeadline
}

// stopTimerLocked stops the deadline's timer, if any; s.mu is held.
func (s *Scope) stopTimerLocked() {
	if s.dl != nil && s.dl.timer != nil {
		s.dl.timer.Stop()
	}
}

// SetOptions sets the initial deadline and shield of a scope not yet entered.
func (s *Scope) SetOptions(deadline time.Time, hasDeadline, shield bool) {
	if hasDeadline {
		s.setDeadlineLocked(deadline)
	} else {
		s.hasDeadline = false
	}
	s.shield = shield
}

// Enter enters the scope under parent and returns the context for its body.
// It panics if the scope was entered before.
func (s *Scope) Enter(parent context.Context) context.Context {
	return s.EnterTask(parent, TaskOf(parent), true)
}

// EnterTask is Enter with the task given (a started child's own scope) and
// track telling whether the task's innermost scope follows this one.
func (s *Scope) EnterTask(parent context.Context, task *Task, track bool) context.Context {
	s.mu.Lock()
	if s.state != scopeNew {
		s.mu.Unlock()
		panic("anyio: CancelScope.Run called on a scope that was already entered; a cancel scope can be entered only once, make a new one for each Run")
	}
	s.state = scopeEntered
	s.task = task
	s.base.parent = parent
	s.cancelParent = parent
	var inner context.Context
	inner, s.cancelInner = context.WithCancelCause(&s.base)
	s.ctx = scopeCtx{Context: inner, s: s}
	if s.cancelCalled {
		s.cancelWith(s.ownCause)
	} else if s.hasDeadline {
		s.armLocked()
	}
	s.mu.Unlock()
	s.link(parent)
	if track && task != nil {
		s.prevTask = task.enteredScope(s)
	}
	return &s.ctx
}

// Context returns the context of an entered scope (nil before Enter).
func (s *Scope) Context() context.Context {
	if s.ctx.Context == nil {
		return nil
	}
	return &s.ctx
}

// link attaches the scope to the cancellation of parent.
func (s *Scope) link(parent context.Context) {
	if p := directScope(parent); p != nil {
		p.mu.Lock()
		s.parent = p
		s.prev = nil
		s.next = p.children
		if p.children != nil {
			p.children.prev = s
		}
		p.children = s
		if p.ctx.Context.Err() != nil {
			s.parentDone(asCancelled(context.Cause(p.ctx.Context)))
		}
		p.mu.Unlock()
		return
	}
	if parent.Done() == nil {
		return
	}
	if parent.Err() != nil {
		s.parentDone(asCancelled(CancelErr(parent)))
		return
	}
	s.stopForeign = context.AfterFunc(parent, func() { s.parentDone(asCancelled(CancelErr(parent))) })
}

// unlink detaches the scope from its parent's cancellation.
func (s *Scope) unlink() {
	if p := s.parent; p != nil {
		p.mu.Lock()
		if s.prev != nil {
			s.prev.next = s.next
		} else {
			p.children = s.next
		}
		if s.next != nil {
			s.next.prev = s.prev
		}
		s.prev, s.next, s.parent = nil, nil, nil
		p.mu.Unlock()
	}
	if s.stopForeign != nil {
		s.stopForeign()
		s.stopForeign = nil
	}
}

// MoveTo moves an entered scope's cancellation (and deadline) link to a new
// parent context; values keep coming from the original parent. It is how a
// started task moves into its task group. A scope that is cancelled already,
// or whose parent's cancellation is on its way, is not moved: MoveTo then
// reports false, and the scope stays cancelled where it is.
func (s *Scope) MoveTo(parent context.Context) bool {
	if p := s.parent; p != nil {
		// The parent's lock keeps its cancellation from reaching the
		// scope while it is detached.
		p.mu.Lock()
		s.mu.Lock()
		if s.ctx.Context.Err() != nil {
			s.mu.Unlock()
			p.mu.Unlock()
			return false
		}
		if s.prev != nil {
			s.prev.next = s.next
		} else {
			p.children = s.next
		}
		if s.next != nil {
			s.next.prev = s.prev
		}
		s.prev, s.next, s.parent = nil, nil, nil
		s.cancelParent = parent
		s.parentCancelled, s.parentCause = false, nil
		s.mu.Unlock()
		p.mu.Unlock()
	} else {
		s.mu.Lock()
		cancelled := s.ctx.Context.Err() != nil
		s.mu.Unlock()
		if cancelled || s.stopForeign != nil && !s.stopForeign() {
			return false // a foreign parent's cancellation is under way
		}
		s.stopForeign = nil
		s.mu.Lock()
		s.cancelParent = parent
		s.parentCancelled, s.parentCause = false, nil
		s.mu.Unlock()
	}
	s.link(parent)
	return true
}

// parentDone is called when the parent's cancellation reaches the scope.
func (s *Scope) parentDone(ce *CancelledError) {
	s.mu.Lock()
	if s.state == scopeEntered && !s.parentCancelled {
		s.parentCancelled = true
		s.parentCause = ce
		if !s.shield {
			s.cancelLocked(ce)
		}
	}
	s.mu.Unlock()
}

// asCancelled returns the cancellation record of cause. Every cause anyio
// gives a scope's context is one; anything else is wrapped.
func asCancelled(cause error) *CancelledError {
	if ce := AsCancelled(cause); ce != nil {
		return ce
	}
	return newCancelled("", false, context.Canceled, cause)
}

// cancelLocked cancels the scope's context and its children's. s.mu is held.
func (s *Scope) cancelLocked(cause *CancelledError) {
	if s.ctx.Context.Err() != nil {
		return
	}
	s.cancelWith(cause)
	for c := s.children; c != nil; c = c.next {
		c.parentDone(cause)
	}
}

// isDone reports whether the scope's context is cancelled, without a lock:
// a done context's Err receives from its closed Done channel, which locks
// the channel, and thousands of tasks woken by one cancellation would queue
// there; a select with a default does not lock.
func (s *Scope) isDone() bool {
	select {
	case <-s.ctx.Context.Done():
		return true
	default:
		return false
	}
}

// cancelWith cancels the scope's context with cause and records the cause
// for CancelErr. Its calls are serialised under s.mu, and exitLocked cancels
// only after the state left scopeEntered, so the cause recorded is the one
// the context keeps.
func (s *Scope) cancelWith(cause *CancelledError) {
	if s.ctx.Context.Err() == nil {
		s.cause.Store(cause)
	}
	s.cancelInner(cause.pub)
	s.fireWaitsLocked()
}

// Cancel cancels the scope; reason, if not empty, appears in the error.
// Cancelling a scope that has not been entered yet makes its body start
// cancelled; cancelling an exited scope has no effect.
func (s *Scope) Cancel(reason string) {
	cause := plainCancel
	if reason != "" {
		cause = newCancelled(reason, false, context.Canceled, nil)
	}
	s.mu.Lock()
	if !s.cancelCalled {
		s.cancelCalled = true
		s.ownCause = cause
	}
	if s.state == scopeEntered {
		s.cancelLocked(s.ownCause)
	}
	s.mu.Unlock()
}

// CancelCalled reports whether Cancel was called or the deadline was reached.
func (s *Scope) CancelCalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelCalled || s.deadlineFired
}

// CancelledCaught reports whether the scope swallowed a cancellation that it
// caused.
func (s *Scope) CancelledCaught() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caught
}

// Cancelled reports whether the scope's context is cancelled.
func (s *Scope) Cancelled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx.Context != nil && s.ctx.Context.Err() != nil || s.state == scopeNew && s.cancelCalled
}

// Deadline returns the scope's own deadline.
func (s *Scope) Deadline() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadlineLocked()
}

// SetDeadline changes the deadline; a deadline in the past cancels an entered
// scope at once.
func (s *Scope) SetDeadline(t time.Time) {
	s.mu.Lock()
	s.setDeadlineLocked(t)
	if s.state == scopeEntered {
		s.armLocked()
	}
	s.mu.Unlock()
}

// ClearDeadline removes the deadline.
func (s *Scope) ClearDeadline() {
	s.mu.Lock()
	s.hasDeadline = false
	s.stopTimerLocked()
	s.mu.Unlock()
}

func (s *Scope) armLocked() {
	d := time.Until(s.dl.at)
	if d <= 0 {
		s.stopTimerLocked()
		s.deadlineExpiredLocked()
		return
	}
	if s.dl.timer == nil {
		s.dl.timer = time.AfterFunc(d, s.onTimer)
	} else {
		s.dl.timer.Reset(d)
	}
}

func (s *Scope) onTimer() {
	s.mu.Lock()
	if s.state == scopeEntered && s.hasDeadline {
		if d := time.Until(s.dl.at); d > 0 {
			s.dl.timer.Reset(d)
		} else {
			s.deadlineExpiredLocked()
		}
	}
	s.mu.Unlock()
}

// deadlineExpiredLocked records that the deadline was reached and cancels
// the scope. The deadline is recorded also when the scope's context is
// cancelled already (from outside, or by Cancel): it is what makes the scope
// the one to swallow the cancellation when its shield is raised later, as in
// Trio, where reaching a deadline calls cancel() whatever the state.
func (s *Scope) deadlineExpiredLocked() {
	if !s.deadlineFired {
		s.deadlineFired = true
		s.timedOut = !s.cancelCalled
	}
	s.cancelLocked(deadlineCancel)
}

// Shield reports whether the scope is shielded.
func (s *Scope) Shield() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shield
}

// SetShield raises or lowers the shield. Lowering it under a cancelled parent
// cancels the scope; raising it cannot revive a context already cancelled.
func (s *Scope) SetShield(v bool) {
	s.mu.Lock()
	s.shield = v
	if !v && s.state == scopeEntered && s.parentCancelled {
		s.cancelLocked(s.parentCause)
	}
	s.mu.Unlock()
}

// effectiveDeadline is the earliest deadline that applies to the scope.
func (s *Scope) effectiveDeadline() (time.Time, bool) {
	s.mu.Lock()
	d, ok := s.deadlineLocked()
	shield, parent := s.shield, s.cancelParent
	s.mu.Unlock()
	if !shield && parent != nil {
		if pd, pok := parent.Deadline(); pok && (!ok || pd.Before(d)) {
			d, ok = pd, true
		}
	}
	return d, ok
}

// swallowsLocked reports whether a cancellation reaching the scope's exit is
// the scope's own to swallow: the scope cancelled itself (Cancel or its
// deadline) and no cancellation from outside is visible through the shield.
func (s *Scope) swallowsLocked() bool {
	if s.ctx.Context.Err() == nil || !(s.cancelCalled || s.deadlineFired) {
		return false
	}
	if s.shield {
		return true
	}
	return !s.parentCancelled && (s.cancelParent == nil || s.cancelParent.Err() == nil)
}

// Exit leaves the scope after its body returned err and applies AnyIO's rule
// (Trio's): when the scope cancelled itself (Cancel or its deadline) and no
// cancellation from outside is visible through its shield, it swallows every
// cancellation error that err carries, through nested exception groups, and
// drops the groups that this leaves empty. It returns what the caller of the
// scope gets.
func (s *Scope) Exit(err error) error {
	s.mu.Lock()
	if err != nil && s.swallowsLocked() {
		var removed bool
		err, removed = StripCancellations(err)
		if removed {
			s.caught = true
		}
	}
	s.exitLocked()
	return err
}

// StripCancellations removes the cancellation errors from err: err itself if
// it is one, or the members of an exception group (nested ones included)
// that are; a group left empty is dropped, one left unchanged is kept as it
// is. removed reports whether anything was removed.
func StripCancellations(err error) (rest error, removed bool) {
	if IsCancellation(err) {
		return nil, true
	}
	eg := AsGroup(err)
	if eg == nil {
		return err, false
	}
	var kept []error
	for i, e := range eg.Errors {
		r, rm := StripCancellations(e)
		if rm && kept == nil {
			kept = append(make([]error, 0, len(eg.Errors)), eg.Errors[:i]...)
		}
		if kept != nil && r != nil {
			kept = append(kept, r)
		}
		removed = removed || rm
	}
	if !removed {
		return err, false
	}
	if len(kept) == 0 {
		return nil, true
	}
	return NewGroup(kept), true
}

// Abort leaves the scope without judging an error (the body panicked).
func (s *Scope) Abort() {
	s.mu.Lock()
	if s.state == scopeEntered {
		s.exitLocked()
		return
	}
	s.mu.Unlock()
}

// exitLocked finishes the exit; it unlocks s.mu.
func (s *Scope) exitLocked() {
	s.state = scopeExited
	s.stopTimerLocked()
	// No registration is added once the state is scopeExited (see
	// addWait): those left are fired once the context is done, below.
	waits := s.waits != nil
	s.mu.Unlock()
	s.unlink()
	if t := s.task; t != nil {
		t.releaseWaitsOn(s.ctx.Context)
	}
	// Not cancelWith: nobody waits on an exited scope in bulk, so its
	// cause need not be recorded (CancelErr then asks context.Cause), and
	// every scope's exit saves an atomic store.
	s.cancelInner(exitedCause.pub)
	if waits {
		s.mu.Lock()
		s.fireWaitsLocked()
		s.mu.Unlock()
	}
	if t := s.task; t != nil {
		t.leftScope(s, s.prevTask)
	}
}

// CaughtTimeout reports whether the scope swallowed a cancellation and its
// deadline, not Cancel, was the first reason it had to cancel itself: what
// turns FailAfter's cancellation into ErrTimeout. A scope cancelled by Cancel
// is no timeout, even if its deadline passes before the body meets the
// cancellation; a deadline reached is one, even if it is moved later
// afterwards.
func (s *Scope) CaughtTimeout() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caught && s.timedOut
}

// State describes the scope for DumpTasks.
func (s *Scope) State() (cancelled, shield bool, deadline time.Time, hasDeadline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline, hasDeadline = s.deadlineLocked()
	return s.ctx.Context != nil && s.ctx.Context.Err() != nil, s.shield, deadline, hasDeadline
}

// Task returns the task that entered the scope.
func (s *Scope) Task() *Task { return s.task }

// IsPlain reports whether the scope is a CancelScope, not the scope of a task
// group or of a started task.
func (s *Scope) IsPlain() bool { return s.kind == scopePlain }

// Parent returns the anyio scope this one is linked into, if any.
func (s *Scope) Parent() *Scope {
	if p := ScopeOf(s.base.parent); p != nil {
		return p
	}
	return nil
}
