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
type Op struct {
	mu          sync.Mutex
	gen         uint64
	active      bool
	interrupted bool
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
	if ctx.Done() == nil {
		n, err = call()
		return n, err, false
	}
	o.mu.Lock()
	o.gen++
	gen := o.gen
	o.active, o.interrupted = true, false
	o.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		o.mu.Lock()
		if o.gen == gen && o.active {
			o.interrupted = true
			setDeadline(longAgo)
		}
		o.mu.Unlock()
	})
	n, err = call()
	stop()
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

// IsTimeout reports whether err is a deadline's timeout.
func IsTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
