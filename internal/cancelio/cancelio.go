// Package cancelio makes a blocking Read or Write on a file descriptor that
// has deadlines (a net.Conn, a pollable *os.File) return promptly once a
// context is cancelled: a wake-up armed with context.AfterFunc sets a deadline
// in the past, the call returns a timeout, and the wake-up is told apart from a
// real timeout and undone.
package cancelio

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"
)

// longAgo is a deadline in the past that interrupts a blocked call at once.
var longAgo = time.Unix(1, 0)

// Op serializes the cancellation state of one direction (reads or writes) of
// one descriptor. At most one call runs through an Op at a time; the caller
// guarantees that (a busy guard).
//
// An Op keeps its wake-up registered with the context of the last call, so
// that calls with the same context (the same Done channel) pay for one
// context.AfterFunc in all, not one each. Release ends the registration; the
// owner of the descriptor calls it when it closes it.
type Op struct {
	mu          sync.Mutex
	active      bool
	interrupted bool
	setDeadline func(time.Time) error
	reg         uint64          // identifies the live registration
	regDone     <-chan struct{} // the Done channel it watches; nil: none
	stop        func() bool
}

// Do runs call, which blocks in a Read or Write, so that it returns soon after
// ctx is cancelled. setDeadline sets the deadline of the direction that call
// uses. Do returns call's results and whether the call was interrupted by the
// cancellation (its error is then the timeout that the interruption caused).
// If the call was interrupted after it succeeded, its results stand and
// cancelled is false. The deadline is cleared after an interruption: an Op
// owns its descriptor's deadline.
//
// A ctx whose Done channel is nil costs nothing.
func (o *Op) Do(ctx context.Context, setDeadline func(time.Time) error, call func() (int, error)) (n int, err error, cancelled bool) {
	done := ctx.Done()
	if done == nil {
		n, err = call()
		return n, err, false
	}
	o.mu.Lock()
	o.active, o.interrupted = true, false
	o.setDeadline = setDeadline
	if o.regDone != done {
		o.releaseLocked()
		o.reg++
		reg := o.reg
		o.regDone = done
		o.stop = context.AfterFunc(ctx, func() { o.fire(reg) })
	}
	o.mu.Unlock()
	n, err = call()
	o.mu.Lock()
	o.active = false
	interrupted := o.interrupted
	o.mu.Unlock()
	if interrupted {
		setDeadline(time.Time{})
		if err != nil && IsTimeout(err) {
			return n, err, true
		}
	}
	return n, err, false
}

// fire is the wake-up of registration reg: it interrupts the call in
// progress, if any. A registration fires once; the next call registers anew.
func (o *Op) fire(reg uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reg != reg {
		return // released or replaced meanwhile
	}
	o.regDone, o.stop = nil, nil
	if o.active {
		o.interrupted = true
		o.setDeadline(longAgo)
	}
}

// Release ends the Op's registration with its last context. Do may be
// called again afterwards.
func (o *Op) Release() {
	o.mu.Lock()
	o.releaseLocked()
	o.mu.Unlock()
}

func (o *Op) releaseLocked() {
	if o.stop != nil {
		o.stop()
	}
	o.reg++
	o.regDone, o.stop = nil, nil
}

// IsTimeout reports whether err is a deadline's timeout.
func IsTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
