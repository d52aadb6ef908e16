package anyio

import "sync/atomic"

// ResourceGuard detects concurrent use of a resource that only one task may
// use at a time, such as the receiving side of a stream: AnyIO's
// ResourceGuard. It never blocks: a second user gets an error instead. The
// zero value is a free guard whose action is "using"; a ResourceGuard must
// not be copied after first use.
type ResourceGuard struct {
	busy   atomic.Bool
	action string
}

// NewResourceGuard returns a free guard. action says what a user does to the
// resource, for the error message: "reading from", "writing to".
func NewResourceGuard(action string) *ResourceGuard { return &ResourceGuard{action: action} }

// Enter marks the resource as in use. If it already is, Enter returns a
// *BusyResourceError naming the action ("another task is already reading
// from this resource") and changes nothing. Every successful Enter must be
// followed by one Exit.
func (g *ResourceGuard) Enter() error {
	if !g.busy.CompareAndSwap(false, true) {
		action := g.action
		if action == "" {
			action = "using"
		}
		return &BusyResourceError{Action: action}
	}
	return nil
}

// Exit marks the resource as free again. An Exit synchronizes before the
// Enter that succeeds after it.
func (g *ResourceGuard) Exit() { g.busy.Store(false) }
