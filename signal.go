package anyio

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// SignalReceiver receives operating system signals as an
// [ObjectReceiveStream] of os.Signal: AnyIO's open_signal_receiver. Make
// one with [OpenSignalReceiver] and close it when done. Its methods are
// safe for concurrent use; concurrent receivers each get different signals.
type SignalReceiver struct {
	sigs []os.Signal
	ch   chan os.Signal // os/signal delivers here
	stop chan struct{}  // closed by Close: the forwarder returns
	gone chan struct{}  // closed when the forwarder has returned

	mu      sync.Mutex
	closed  bool
	pending []os.Signal // received, not yet taken
	q       wait.Queue[os.Signal]
	info    core.WaitInfo
}

var _ ObjectReceiveStream[os.Signal] = (*SignalReceiver)(nil)

// signalBuffer is how many signals os/signal can queue for a receiver before
// its forwarder takes them; os/signal drops what does not fit.
const signalBuffer = 64

// OpenSignalReceiver starts receiving the signals sigs (for instance
// syscall.SIGHUP, os.Interrupt) and returns the receiver: from now until
// [SignalReceiver.Close], each such signal that reaches the process is
// queued for [SignalReceiver.Receive] instead of having its usual effect
// (os/signal's Notify). Other receivers of the same signals, and channels
// given to signal.Notify, get them too.
//
// Signals come in the order in which the Go runtime delivers them. As with
// signal.Notify, a signal that arrives again before the runtime handed on
// the first may be delivered once; distinct signals that are pending
// together come in the order of their numbers.
//
// OpenSignalReceiver starts a goroutine that Close ends; it does not block.
// It panics if sigs is empty (signal.Notify would then relay every signal)
// or holds a nil signal.
func OpenSignalReceiver(sigs ...os.Signal) *SignalReceiver {
	if len(sigs) == 0 {
		panic("anyio: OpenSignalReceiver needs at least one signal to receive")
	}
	names := make([]string, len(sigs))
	for i, s := range sigs {
		if s == nil {
			panic("anyio: OpenSignalReceiver was given a nil signal")
		}
		names[i] = s.String()
	}
	r := &SignalReceiver{
		sigs: append([]os.Signal(nil), sigs...),
		ch:   make(chan os.Signal, signalBuffer),
		stop: make(chan struct{}),
		gone: make(chan struct{}),
	}
	r.info = core.WaitInfo{What: "SignalReceiver.Receive (" + strings.Join(names, ", ") + ")", Obj: r}
	signal.Notify(r.ch, r.sigs...)
	go r.forward()
	return r
}

// forward moves each signal from os/signal's channel to a waiting Receive,
// or to the pending queue.
func (r *SignalReceiver) forward() {
	defer close(r.gone)
	for {
		select {
		case s := <-r.ch:
			r.deliver(s)
		case <-r.stop:
			return
		}
	}
}

func (r *SignalReceiver) deliver(s os.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if w := r.q.PopReady(); w != nil {
		w.Hand(s)
		return
	}
	r.pending = append(r.pending, s)
}

// Receive returns the next signal, blocking until one arrives. It returns
// [ErrClosedResource] once the receiver is closed (also while it waits), and
// a cancellation error if ctx is cancelled first: then it took no signal.
// A signal handed over at the moment ctx is cancelled is returned, never
// lost.
func (r *SignalReceiver) Receive(ctx context.Context) (os.Signal, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosedResource
	}
	if len(r.pending) > 0 {
		s := r.pending[0]
		r.pending[0] = nil
		r.pending = r.pending[1:]
		r.mu.Unlock()
		return s, nil
	}
	w := wait.New[os.Signal](ctx)
	r.q.Push(w)
	r.mu.Unlock()
	handed := w.Await(&r.mu, &r.q, &r.info)
	if !handed { // r.mu is held
		handed = w.Handed
		r.mu.Unlock()
	}
	s := w.Val
	w.Free()
	switch {
	case !handed:
		return nil, core.CancelErr(ctx)
	case s == nil: // handed by Close
		return nil, ErrClosedResource
	}
	return s, nil
}

// Close stops receiving: the signals go back to the handling they had
// before [OpenSignalReceiver] (os/signal's Stop): other receivers and
// signal.Notify channels keep getting them, and a signal that nobody else
// handles gets the Go runtime's default again (SIGTERM, SIGINT and SIGHUP
// end the program; SIGUSR1 is ignored). Signals not yet received are
// dropped, and tasks blocked in Receive return [ErrClosedResource]. It waits for the receiver's goroutine
// to end, which is immediate, and is idempotent.
func (r *SignalReceiver) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.pending = nil
	for w := r.q.PopReady(); w != nil; w = r.q.PopReady() {
		w.Hand(nil)
	}
	r.mu.Unlock()
	signal.Stop(r.ch)
	close(r.stop)
	<-r.gone
	return nil
}

// ExtraAttributes returns the typed attributes of the receiver: it has none.
func (r *SignalReceiver) ExtraAttributes() map[any]func() any { return nil }

// String describes the receiver, e.g. "SignalReceiver(hangup, interrupt)".
func (r *SignalReceiver) String() string {
	names := make([]string, len(r.sigs))
	for i, s := range r.sigs {
		names[i] = s.String()
	}
	return fmt.Sprintf("SignalReceiver(%s)", strings.Join(names, ", "))
}
