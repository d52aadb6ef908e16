package anyio

import (
	"context"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// CancelScope cancels the code it runs, on demand or at a deadline, and
// shields it from outside cancellation if asked to. It is AnyIO's CancelScope;
// where AnyIO enters a scope with "with", Go calls Run with a body.
//
// Cancellation is level-triggered: once a scope is cancelled, every blocking
// anyio call inside it (and every context operation on its context) fails
// with a cancellation error, every time, until the body returns. Run then
// swallows that error if this scope caused it and no cancellation from
// outside is visible (the outermost cancelled scope up to the first shield
// swallows: AnyIO's rule), and CancelledCaught reports true.
//
// The methods of a CancelScope are safe to call from any goroutine.
type CancelScope struct {
	s    core.Scope
	fail bool
}

// ScopeOption configures [NewCancelScope]: [Deadline], [Shielded]. A nil
// ScopeOption is ignored.
type ScopeOption interface{ applyScope(*CancelScope) }

// TimeoutOption configures the scopes that [MoveOnAfter], [MoveOnAt],
// [FailAfter] and [FailAt] return: [Shielded] (their deadline is their
// argument, so [Deadline] is no option of theirs). A nil TimeoutOption is
// ignored.
type TimeoutOption interface{ applyTimeout(*CancelScope) }

// Deadline sets the scope's deadline: when the clock reaches it, the scope is
// cancelled. A deadline in the past cancels the scope as soon as it is
// entered. The zero time means no deadline (AnyIO's deadline=math.inf), as
// it does for net.Conn.SetDeadline.
func Deadline(t time.Time) ScopeOption { return deadlineOption(t) }

type deadlineOption time.Time

func (o deadlineOption) applyScope(s *CancelScope) {
	t := time.Time(o)
	s.s.SetOptions(t, !t.IsZero(), s.s.Shield())
}

// ShieldedOption is the option made by [Shielded]. It serves
// [NewCancelScope], [MoveOnAfter], [MoveOnAt], [FailAfter] and [FailAt].
type ShieldedOption struct{}

// Shielded makes the scope ignore cancellation from outside (its parents'
// cancellation and deadlines); its own Cancel and deadline still apply.
func Shielded() ShieldedOption { return ShieldedOption{} }

func (ShieldedOption) applyScope(s *CancelScope)   { s.s.SetShield(true) }
func (ShieldedOption) applyTimeout(s *CancelScope) { s.s.SetShield(true) }

// NewCancelScope returns a cancel scope that is not entered yet.
func NewCancelScope(opts ...ScopeOption) *CancelScope {
	s := &CancelScope{}
	for _, o := range opts {
		if o != nil {
			o.applyScope(s)
		}
	}
	return s
}

// MoveOnAfter returns a scope that cancels its body d from now. The body's
// cancellation is swallowed by Run, which returns nil: check
// CancelledCaught to know whether the deadline cut the body short.
func MoveOnAfter(d time.Duration, opts ...TimeoutOption) *CancelScope {
	return MoveOnAt(time.Now().Add(d), opts...)
}

// MoveOnAt is MoveOnAfter with an absolute deadline (AnyIO 4.15's move_on_at).
// The zero time means no deadline, as None does for move_on_at: the scope
// then only cancels when Cancel is called.
func MoveOnAt(t time.Time, opts ...TimeoutOption) *CancelScope {
	x := &deadlineScope{}
	s := &x.CancelScope
	s.s.UseDeadline(&x.dl)
	for _, o := range opts {
		if o != nil {
			o.applyTimeout(s)
		}
	}
	s.s.SetOptions(t, !t.IsZero(), s.s.Shield())
	return s
}

// deadlineScope allocates a scope made with a deadline together with the
// deadline's storage.
type deadlineScope struct {
	CancelScope
	dl core.ScopeDeadline
}

// FailAfter returns a scope that cancels its body d from now; when that
// deadline cut the body short, Run returns ErrTimeout (which also matches
// context.DeadlineExceeded) instead of nil.
//
// The timeout rule: Run returns ErrTimeout exactly when the scope swallowed
// a cancellation and its own deadline, not Cancel, was the first reason it
// had to cancel itself. So a scope cancelled by hand is no timeout even if
// its deadline passes before the body meets the cancellation, and a
// deadline that fired is a timeout even if SetDeadline moves it later
// before the body meets the cancellation. (AnyIO instead compares the clock
// with the deadline in force when the scope exits; the two rules differ
// only in those two cases.)
func FailAfter(d time.Duration, opts ...TimeoutOption) *CancelScope {
	return FailAt(time.Now().Add(d), opts...)
}

// FailAt is FailAfter with an absolute deadline (AnyIO 4.15's fail_at).
// The zero time means no deadline, as None does for fail_at.
func FailAt(t time.Time, opts ...TimeoutOption) *CancelScope {
	s := MoveOnAt(t, opts...)
	s.fail = true
	return s
}

// Run enters the scope, runs body with the scope's context, and leaves the
// scope when body returns. A scope can be entered only once: Run panics if
// the scope was entered before.
//
// body's error is returned, less the cancellation errors that this scope
// swallows: when the scope cancelled itself (Cancel or its deadline) and no
// cancellation from outside is visible through its shield, every
// cancellation error is removed from what body returned, through nested
// *ExceptionGroups (a group left empty is dropped), and CancelledCaught
// becomes true. A cancellation from outside (a parent scope or a plain
// context) is never swallowed. For a FailAfter/FailAt scope, a swallowed
// cancellation becomes ErrTimeout when the deadline caused it (see
// FailAfter for the exact rule). If body panics, the scope is left and the
// panic goes on.
func (s *CancelScope) Run(ctx context.Context, body func(ctx context.Context) error) error {
	c := s.s.Enter(ctx)
	done := false
	defer func() {
		if !done {
			s.s.Abort()
		}
	}()
	err := body(c)
	done = true
	if err = s.s.Exit(err); err != nil {
		return err
	}
	if s.fail && s.s.CaughtTimeout() {
		return ErrTimeout
	}
	return nil
}

// Cancel cancels the scope. Cancelling a scope before Run makes its body
// start with a cancelled context; cancelling after Run returned has no
// effect. Cancel is idempotent.
func (s *CancelScope) Cancel() { s.s.Cancel("") }

// CancelWithReason cancels the scope like Cancel, and reason appears in the
// message of the cancellation errors that result (AnyIO 4's cancel(reason)).
// Only the first reason given is kept.
func (s *CancelScope) CancelWithReason(reason string) { s.s.Cancel(reason) }

// CancelCalled reports whether Cancel was called or the deadline was reached.
func (s *CancelScope) CancelCalled() bool { return s.s.CancelCalled() }

// CancelledCaught reports whether Run swallowed a cancellation that this
// scope caused. It is false if the body returned without meeting the
// cancellation, and false for a cancellation that came from outside.
func (s *CancelScope) CancelledCaught() bool { return s.s.CancelledCaught() }

// Deadline returns the scope's own deadline; ok is false if it has none.
func (s *CancelScope) Deadline() (deadline time.Time, ok bool) { return s.s.Deadline() }

// SetDeadline changes the scope's deadline, also after it was entered: an
// earlier one takes effect at once, a later one postpones the cancellation,
// one in the past cancels the scope now. The zero time removes the deadline,
// as ClearDeadline does (and as it does for net.Conn.SetDeadline).
func (s *CancelScope) SetDeadline(t time.Time) {
	if t.IsZero() {
		s.s.ClearDeadline()
		return
	}
	s.s.SetDeadline(t)
}

// ClearDeadline removes the scope's deadline.
func (s *CancelScope) ClearDeadline() { s.s.ClearDeadline() }

// Shield reports whether the scope is shielded from outside cancellation.
func (s *CancelScope) Shield() bool { return s.s.Shield() }

// SetShield raises or lowers the shield, also after the scope was entered.
// Lowering it while a parent is cancelled cancels the scope at once. Raising
// it cannot revive a scope whose context is already cancelled: a context
// stays done once done (see docs/api-mapping.md).
func (s *CancelScope) SetShield(shield bool) { s.s.SetShield(shield) }

// CurrentEffectiveDeadline returns the earliest deadline that applies to ctx:
// the deadlines of the enclosing scopes up to the first shield, and a plain
// context's deadline. ok is false when none applies. A cancelled context
// reports a deadline in the past (time.Unix(0, 0)), as AnyIO reports -inf.
func CurrentEffectiveDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	if ctx.Err() != nil {
		return time.Unix(0, 0), true
	}
	return ctx.Deadline()
}
