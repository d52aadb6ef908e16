package anyio

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// PollableConn is a socket or file that the Go runtime polls, whose
// readiness [WaitReadable] and [WaitWritable] can wait for: a net.Conn such
// as *net.TCPConn, *net.UDPConn or *net.UnixConn, a *net.TCPListener, or an
// *os.File in non-blocking mode (a pipe, a socket from os.NewFile). The
// deadlines are how cancellation reaches a wait.
type PollableConn interface {
	syscall.Conn
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// WaitReadable blocks until c is readable: data or a connection waits, or
// the peer closed, or an error is pending (AnyIO 4.10's wait_readable). It
// does not read. It returns a cancellation error promptly once ctx is
// cancelled, by setting c's read deadline in the past and clearing it
// afterwards, so do not use the read deadline of c concurrently.
//
// Only one task may wait for c to become readable at a time: another gets
// *[BusyResourceError]. When c is closed during the wait, or [NotifyClosing]
// is called for it, the wait returns [ErrClosedResource].
func WaitReadable(ctx context.Context, c PollableConn) error { return waitPoll(ctx, c, false) }

// WaitWritable blocks until c is writable: there is room in its send buffer
// (AnyIO 4.10's wait_writable). It behaves as [WaitReadable] does, with the
// write deadline.
func WaitWritable(ctx context.Context, c PollableConn) error { return waitPoll(ctx, c, true) }

// WaitSocketReadable is [WaitReadable] (the name of AnyIO before 4.10).
func WaitSocketReadable(ctx context.Context, c PollableConn) error { return waitPoll(ctx, c, false) }

// WaitSocketWritable is [WaitWritable] (the name of AnyIO before 4.10).
func WaitSocketWritable(ctx context.Context, c PollableConn) error { return waitPoll(ctx, c, true) }

// NotifyClosing tells the tasks waiting in [WaitReadable] or [WaitWritable]
// for c that it is about to be closed: their waits return
// [ErrClosedResource] (AnyIO 4.7's notify_closing). Call it before closing
// c; it leaves c's deadlines in the past. It does not block.
func NotifyClosing(c PollableConn) {
	fd, ok := pollFD(c)
	if !ok {
		return
	}
	for _, write := range []bool{false, true} {
		if v, ok := pollWaiters.Load(pollKey{fd, write}); ok {
			// An open descriptor number names one socket: the waiter's.
			v.(*pollWaiter).closing.Store(true)
			if write {
				c.SetWriteDeadline(time.Unix(1, 0))
			} else {
				c.SetReadDeadline(time.Unix(1, 0))
			}
		}
	}
}

// pollKey identifies one direction of one descriptor.
type pollKey struct {
	fd    uintptr
	write bool
}

type pollWaiter struct {
	closing atomic.Bool
}

// pollWaiters holds the waits in progress, one per descriptor and direction.
var pollWaiters sync.Map // pollKey → *pollWaiter

func pollFD(c PollableConn) (uintptr, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil {
		return 0, false
	}
	return fd, true
}

func waitPoll(ctx context.Context, c PollableConn, write bool) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return closedOr(err)
	}
	fd, ok := pollFD(c)
	if !ok {
		return ErrClosedResource
	}
	key := pollKey{fd, write}
	w := &pollWaiter{}
	if _, busy := pollWaiters.LoadOrStore(key, w); busy {
		action := "reading from"
		if write {
			action = "writing to"
		}
		return &BusyResourceError{Action: action}
	}
	defer pollWaiters.CompareAndDelete(key, w)
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	setDeadline, wait := c.SetReadDeadline, rc.Read
	if write {
		setDeadline, wait = c.SetWriteDeadline, rc.Write
	}
	ready := func(fd uintptr) bool { return w.closing.Load() || cancelio.PollNow(fd, write) }
	var iofd cancelio.FD
	defer iofd.Release()
	iofd.Init(rc, write, setDeadline, func() string { return pollWaitName(c, write) })
	var cancelled bool
	if iofd.Ready() {
		// The task counts as blocked while the runtime waits.
		err, cancelled = iofd.Wait(ctx, ready)
	} else {
		_, err, cancelled = iofd.Op().Do(ctx, setDeadline, func() (int, error) { return 0, wait(ready) })
	}
	switch {
	case w.closing.Load():
		return ErrClosedResource
	case cancelled:
		return core.CancelErr(ctx)
	case err != nil:
		return closedOr(err)
	}
	return nil
}

// closedOr maps the error of a descriptor that was closed to
// ErrClosedResource.
func closedOr(err error) error {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
		return ErrClosedResource
	}
	return err
}

// pollWaitName names a wait of WaitReadable or WaitWritable for DumpTasks:
// "WaitReadable on TCP 127.0.0.1:40000->127.0.0.1:5000".
func pollWaitName(c PollableConn, write bool) string {
	what := "WaitReadable on "
	if write {
		what = "WaitWritable on "
	}
	switch c := c.(type) {
	case net.Conn:
		if r := c.RemoteAddr(); r != nil && r.String() != "" {
			return what + c.LocalAddr().Network() + " " + c.LocalAddr().String() + "->" + r.String()
		}
		return what + c.LocalAddr().Network() + " " + c.LocalAddr().String()
	case net.Listener:
		return what + c.Addr().Network() + " " + c.Addr().String()
	case *os.File:
		return what + c.Name()
	}
	return what + "a descriptor"
}
