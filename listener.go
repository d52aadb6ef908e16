package anyio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// SocketListener is a [Listener] of socket streams that can also accept one
// connection at a time (AnyIO's SocketListener).
//
// Accept blocks until a connection arrives and returns it as a
// [SocketStream] ([UnixSocketStream] for a UNIX socket listener). It returns
// [ErrClosedResource] once the listener was closed (also to an Accept blocked
// at that moment), *[BusyResourceError] when another task is already
// accepting, a cancellation error once ctx is cancelled (the listener stays
// usable), and the system's error otherwise (such as EMFILE when the process
// is out of descriptors).
//
// Serve accepts connections until ctx is cancelled, the listener is closed
// or Accept fails with an error other than those below, and runs
// handler(ctx, stream) for each in a new task of tg (nil: of a task group of
// its own, which Serve waits for before it returns). As in any task group, a
// handler that fails cancels the group, and so Serve; the handler owns its
// stream and should close it.
//
// Unlike AnyIO's serve, Serve survives errors that say that the process or
// the system ran out of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM): it
// waits and accepts again, as net/http's Server does, 5 ms after the first
// failure, twice as long after each next one, at most 1 s, and back to 5 ms
// once a connection is accepted. It logs the first failure of each such
// burst at level Error through slog.Default() (Serve takes no options: the
// [Listener] interface fixes its signature). The wait ends at once when ctx
// is cancelled (Serve returns the cancellation error) or the listener is
// closed (Serve returns [ErrClosedResource]). An error that concerns only
// the connection being accepted (ECONNABORTED, ECONNRESET, EPROTO) makes
// Serve accept again at once, without logging. Accept itself still returns
// all these errors to its caller.
//
// The listener offers SocketAttribute.Family, LocalAddress, LocalPort (IP
// listeners) and RawSocket.
type SocketListener interface {
	Listener[SocketStream]
	Accept(ctx context.Context) (SocketStream, error)
}

// WrapListener turns a net.Listener made outside anyio (systemd socket
// activation, a listener inherited from a parent process, ...) into a
// [SocketListener] that behaves like those of [CreateTCPListener] and
// [CreateUnixListener]: accepted TCP connections get TCP_NODELAY, accepted
// UNIX connections are [UnixSocketStream]s.
//
// A cancelled Accept is interrupted through the listener's deadline when it
// has a SetDeadline method (as *net.TCPListener and *net.UnixListener do):
// the listener then owns that deadline. A listener without one is accepted
// from by a helper goroutine, which a cancelled Accept leaves waiting: its
// connection goes to the next Accept, and Close ends it.
func WrapListener(l net.Listener) SocketListener {
	sl := &socketListener{l: l}
	sl.closedCtx, sl.markClosed = context.WithCancel(context.Background())
	sl.dl, _ = l.(interface{ SetDeadline(time.Time) error })
	sl.attrs = socketAttributes(l.Addr(), nil, l)
	sl.op = &sl.opv
	// A listener's RawConn has no Read (the runtime's listeners only
	// offer Control): Accept waits for a pending connection through a
	// duplicate of the listener's descriptor that the runtime polls as a
	// file, counted as blocked while it waits, and accepts once one is.
	var rc syscall.RawConn
	kind := "TCP"
	switch l := l.(type) {
	case *net.TCPListener:
		rc, _ = l.SyscallConn()
	case *net.UnixListener:
		rc, _ = l.SyscallConn()
		kind = "UNIX"
	}
	if rc != nil && sl.dl != nil {
		rc.Control(func(fd uintptr) { sl.waitFile = pollableDup(fd, l.Addr().String()) })
		what := kind + " accept on " + l.Addr().String()
		if sl.waitFile != nil && !sl.wait.InitFile(sl.waitFile, false, func() string { return what }) {
			sl.waitFile.Close()
			sl.waitFile = nil
		}
	}
	return sl
}

type socketListener struct {
	l   net.Listener
	dl  interface{ SetDeadline(time.Time) error }
	opv cancelio.Op
	op  *cancelio.Op
	// waitFile, when not nil, is a duplicate of the listener's descriptor
	// that the runtime polls, through which wait waits for a pending
	// connection; Close closes it.
	waitFile *os.File
	wait     cancelio.FD
	busy     atomic.Bool
	closed   atomic.Bool
	// closedCtx is cancelled by Close; it ends Serve's back-off waits.
	closedCtx  context.Context
	markClosed context.CancelFunc
	attrs      map[any]func() any

	mu      sync.Mutex
	pending *acceptCall // fallback for listeners without deadlines
}

// acceptCall is an Accept of the helper goroutine, whose result may be
// collected by a later Accept than the one that started it.
type acceptCall struct {
	done chan struct{}
	c    net.Conn
	err  error
}

var _ SocketListener = (*socketListener)(nil)

func (l *socketListener) Accept(ctx context.Context) (SocketStream, error) {
	if l.closed.Load() {
		return nil, ErrClosedResource
	}
	if !l.busy.CompareAndSwap(false, true) {
		return nil, &BusyResourceError{Action: "accepting connections from"}
	}
	defer l.busy.Store(false)
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	var (
		c   net.Conn
		err error
	)
	if l.dl != nil {
		var cancelled bool
		if l.waitFile != nil {
			// Wait for a pending connection, counted as blocked (one
			// poll(2) per Accept when one is pending already); the
			// task runs again before Accept takes it.
			err, cancelled = l.wait.Wait(ctx, func(fd uintptr) bool { return cancelio.PollNow(fd, false) })
			if cancelled {
				return nil, core.CancelErr(ctx)
			}
			if err != nil {
				return nil, l.acceptErr(err)
			}
		}
		_, err, cancelled = l.op.Do(ctx, l.dl.SetDeadline, func() (int, error) {
			var aerr error
			c, aerr = l.l.Accept()
			return 0, aerr
		})
		if cancelled {
			return nil, core.CancelErr(ctx)
		}
	} else {
		c, err = l.acceptAsync(ctx)
		if core.IsCancellation(err) {
			return nil, err
		}
	}
	if err != nil {
		return nil, l.acceptErr(err)
	}
	return wrapAccepted(c), nil
}

func (l *socketListener) acceptErr(err error) error {
	if l.closed.Load() || errors.Is(err, net.ErrClosed) {
		return ErrClosedResource
	}
	return fmt.Errorf("anyio: accept: %w", err)
}

// acceptAsync accepts through the helper goroutine.
func (l *socketListener) acceptAsync(ctx context.Context) (net.Conn, error) {
	l.mu.Lock()
	call := l.pending
	if call == nil {
		call = &acceptCall{done: make(chan struct{})}
		l.pending = call
		go func() {
			call.c, call.err = l.l.Accept()
			if call.c != nil && l.closed.Load() {
				call.c.Close()
			}
			close(call.done)
		}()
	}
	l.mu.Unlock()
	select {
	case <-call.done:
		l.mu.Lock()
		l.pending = nil
		l.mu.Unlock()
		return call.c, call.err
	case <-ctx.Done():
		return nil, core.CancelErr(ctx)
	}
}

// wrapAccepted turns an accepted connection into the stream anyio gives
// for it.
func wrapAccepted(c net.Conn) SocketStream {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return WrapConn(c)
}

func (l *socketListener) Serve(ctx context.Context, handler func(ctx context.Context, stream SocketStream) error, tg *TaskGroup) error {
	return serveListener(ctx, l.Accept, handler, tg, l.l.Addr(), l.closedCtx)
}

// The back-off of Serve after an Accept that failed for want of
// descriptors or memory, as net/http's Server does it: the first wait is
// serveMinBackOff, each next one twice the last, up to serveMaxBackOff.
const (
	serveMinBackOff = 5 * time.Millisecond
	serveMaxBackOff = time.Second
)

// serveListener is the Serve loop of anyio's listeners. addr names the
// listener in the log (nil: not named); closed, cancelled when the listener
// is closed, ends a back-off wait early (nil: never).
func serveListener[T any](ctx context.Context, accept func(ctx context.Context) (T, error), handler func(ctx context.Context, stream T) error, tg *TaskGroup, addr net.Addr, closed context.Context) error {
	loop := func(ctx context.Context, tg *TaskGroup) error {
		var delay time.Duration // the last wait of a burst of failures; 0 outside one
		for {
			s, err := accept(ctx)
			if err != nil {
				switch classifyAcceptError(err) {
				case acceptAgain:
					continue
				case acceptBackOff:
					if delay == 0 {
						delay = serveMinBackOff
						logAcceptExhausted(ctx, err, addr)
					} else {
						delay = min(2*delay, serveMaxBackOff)
					}
					if err := backOff(ctx, delay, closed); err != nil {
						return err
					}
					continue
				}
				return err
			}
			delay = 0
			tg.StartSoon(func(ctx context.Context) error { return handler(ctx, s) }, TaskName("Listener.Serve handler"))
		}
	}
	if tg == nil {
		return WithTaskGroup(ctx, loop)
	}
	return loop(ctx, tg)
}

// backOff waits for d, or until ctx is cancelled (then it returns the
// cancellation error) or closed is (then it returns nil: the next Accept
// reports the closed listener).
func backOff(ctx context.Context, d time.Duration, closed context.Context) error {
	waitCtx := ctx
	if closed != nil {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(closed, cancel)
		defer stop()
	}
	if err := Sleep(waitCtx, d); err != nil && ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	return nil
}

// logAcceptExhausted logs the first failure of a burst of Accepts that ran
// out of descriptors or memory.
func logAcceptExhausted(ctx context.Context, err error, addr net.Addr) {
	attrs := []any{slog.Any("error", err)}
	if addr != nil {
		attrs = append(attrs, slog.String("listener", addr.String()))
	}
	slog.Default().ErrorContext(ctx, "anyio: Serve cannot accept connections for want of resources; it retries with back-off until they free up", attrs...)
}

// Close closes the listener; an Accept blocked in another task returns
// [ErrClosedResource]. Connections already accepted stay open.
func (l *socketListener) Close(ctx context.Context) error {
	if l.closed.Swap(true) {
		return nil
	}
	defer l.markClosed()
	defer l.op.Release()
	if l.waitFile != nil {
		// Ends a wait for a connection.
		l.waitFile.Close()
		l.wait.Release()
	}
	if err := l.l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (l *socketListener) ExtraAttributes() map[any]func() any { return l.attrs }
