package anyio

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Event is a one-shot flag that tasks can wait for: AnyIO's Event. Once set,
// it stays set; make a new Event for the next occasion. The zero value is an
// unset event, ready to use; an Event must not be copied after first use.
//
// Set synchronizes before every Wait that it lets return and before every
// IsSet that reports true.
type Event struct {
	set  atomic.Bool
	mu   sync.Mutex
	q    wait.Queue[struct{}]
	info core.WaitInfo
}

// NewEvent returns an unset event.
func NewEvent() *Event {
	e := &Event{}
	e.info = core.WaitInfo{What: "Event.Wait", Obj: e}
	return e
}

// Set sets the event and wakes every task waiting for it. Setting an event
// that is already set does nothing. Set never blocks.
func (e *Event) Set() {
	if e.set.Load() {
		return
	}
	e.mu.Lock()
	if !e.set.Load() {
		e.set.Store(true)
		for w := e.q.PopReady(); w != nil; w = e.q.PopReady() {
			w.Hand(struct{}{})
		}
	}
	e.mu.Unlock()
}

// IsSet reports whether the event is set.
func (e *Event) IsSet() bool { return e.set.Load() }

// Wait blocks until the event is set, or until ctx is cancelled; then it
// returns a cancellation error. It returns nil at once if the event is
// already set, unless ctx is cancelled: cancellation is level-triggered, so
// in a cancelled scope Wait fails even for a set event. A Set that happened
// before the cancellation wins: Wait then returns nil.
func (e *Event) Wait(ctx context.Context) error {
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	if e.set.Load() {
		return nil
	}
	e.mu.Lock()
	if e.set.Load() {
		e.mu.Unlock()
		return nil
	}
	if e.info.Obj == nil {
		e.info = core.WaitInfo{What: "Event.Wait", Obj: e}
	}
	w := wait.New[struct{}](ctx)
	e.q.Push(w)
	e.mu.Unlock()
	if w.Await(&e.mu, &e.q, &e.info) {
		w.Free()
		return nil
	}
	handed := w.Handed // a Set that came with the cancellation wins
	e.mu.Unlock()
	w.Free()
	if handed {
		return nil
	}
	return core.CancelErr(ctx)
}

// EventStatistics is a snapshot of an Event's state.
type EventStatistics struct {
	TasksWaiting int // tasks blocked in Wait
}

// Statistics returns a snapshot of the event's state.
func (e *Event) Statistics() EventStatistics {
	e.mu.Lock()
	defer e.mu.Unlock()
	return EventStatistics{TasksWaiting: e.q.Live()}
}
