package anyio

import (
	"context"
	"errors"
	"fmt"
	"github.com/anyio-go/anyio/internal/cancelio"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"

	"github.com/anyio-go/anyio/internal/core"
)

// UnixSocketStream is a [SocketStream] over a UNIX domain socket that can
// also pass file descriptors (AnyIO's UNIXSocketStream).
//
// SendFDs sends msg (which must not be empty) with the descriptors fds (at
// least one) attached as SCM_RIGHTS ancillary data. The descriptors stay open
// and owned by the caller; the peer receives duplicates. It blocks, counts as
// a Send for concurrency (*[BusyResourceError] while another task sends) and
// fails like Send.
//
// ReceiveFDs receives up to msglen bytes (msglen ≥ 0) and up to maxfds
// descriptors (maxfds ≥ 1) sent with them. The descriptors arrive
// close-on-exec as *os.File values that the caller owns and must close. A
// message that came with more than maxfds descriptors is an error: every
// descriptor it carried is closed and none is returned, so nothing leaks. It
// returns [ErrEndOfStream] when the peer closed the connection, and otherwise
// fails like Receive (with which it shares the one-reader rule).
type UnixSocketStream interface {
	SocketStream
	SendFDs(ctx context.Context, msg []byte, fds []int) error
	ReceiveFDs(ctx context.Context, msglen, maxfds int) ([]byte, []*os.File, error)
}

// ConnectUnix connects to the UNIX domain stream socket at path (AnyIO's
// connect_unix); a path starting with "@" or a NUL byte names a socket in
// Linux's abstract namespace. It blocks until connected and returns a
// cancellation error once ctx is cancelled. A path without a socket gives
// an error matching fs.ErrNotExist (or syscall.ECONNREFUSED).
func ConnectUnix(ctx context.Context, path string) (UnixSocketStream, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	var d net.Dialer
	c, err := d.DialContext(noDeadline{ctx}, "unix", path)
	if err != nil {
		if ctx.Err() != nil {
			return nil, core.CancelErr(ctx)
		}
		return nil, err
	}
	return newUnixStream(c.(*net.UnixConn)), nil
}

// CreateUnixListener listens on a UNIX domain stream socket at path (AnyIO's
// create_unix_listener). A socket file left at path by an earlier process is
// removed first (any other kind of file makes it fail); closing the listener
// removes the socket file. [Mode] sets the permissions of the socket file
// after it is bound, and [Backlog] the length of its accept queue (a negative
// backlog is an error). The listener's accepted streams are
// [UnixSocketStream]s.
func CreateUnixListener(ctx context.Context, path string, opts ...UnixListenerOption) (SocketListener, error) {
	cfg, err := applySocketOptions("CreateUnixListener", opts)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(noDeadline{ctx}, "unix", path)
	if err != nil {
		return nil, err
	}
	ul := l.(*net.UnixListener)
	if cfg.has(optMode) && !isAbstract(path) {
		if err := os.Chmod(path, cfg.mode); err != nil {
			ul.Close()
			return nil, err
		}
	}
	if cfg.has(optBacklog) {
		if err := setBacklog(ul, cfg.backlog); err != nil {
			ul.Close()
			return nil, fmt.Errorf("anyio: setting the backlog of %s to %d: %w", path, cfg.backlog, err)
		}
	}
	return WrapListener(ul), nil
}

// isAbstract reports whether a UNIX socket path is in Linux's abstract
// namespace.
func isAbstract(path string) bool {
	return path != "" && (path[0] == '@' || path[0] == 0)
}

// removeStaleSocket removes the socket file at path, if there is one.
func removeStaleSocket(path string) error {
	if isAbstract(path) {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// unixStream is the stream of a UNIX domain stream socket.
type unixStream struct {
	*connStream
	uc *net.UnixConn
}

var _ UnixSocketStream = (*unixStream)(nil)

func newUnixStream(uc *net.UnixConn) *unixStream {
	cs := &connStream{c: uc}
	cs.attrs = connAttributes(uc)
	cs.initFDs("UNIX")
	return &unixStream{connStream: cs, uc: uc}
}

func (s *unixStream) SendFDs(ctx context.Context, msg []byte, fds []int) error {
	if len(msg) == 0 {
		return errors.New("anyio: SendFDs: the message must not be empty")
	}
	if len(fds) == 0 {
		return errors.New("anyio: SendFDs: fds must not be empty")
	}
	if s.closed.Load() {
		return ErrClosedResource
	}
	if !s.wbusy.CompareAndSwap(false, true) {
		return &BusyResourceError{Action: "writing to"}
	}
	defer s.wbusy.Store(false)
	oob := unixRights(fds)
	if oob == nil {
		return fmt.Errorf("anyio: SendFDs: %w", errors.ErrUnsupported)
	}
	for len(msg) > 0 {
		if ctx.Err() != nil {
			return core.CancelErr(ctx)
		}
		n, err, cancelled := s.sendMsg(ctx, msg, oob)
		if n > 0 {
			oob = nil // the descriptors went with the first bytes
		}
		msg = msg[n:]
		if cancelled {
			return core.CancelErr(ctx)
		}
		if err != nil {
			return s.mapErr(err)
		}
	}
	return nil
}

func (s *unixStream) ReceiveFDs(ctx context.Context, msglen, maxfds int) ([]byte, []*os.File, error) {
	if msglen < 0 {
		return nil, nil, fmt.Errorf("anyio: ReceiveFDs: msglen must not be negative, got %d", msglen)
	}
	if maxfds <= 0 {
		return nil, nil, fmt.Errorf("anyio: ReceiveFDs: maxfds must be positive, got %d", maxfds)
	}
	if s.closed.Load() {
		return nil, nil, ErrClosedResource
	}
	if !s.rbusy.CompareAndSwap(false, true) {
		return nil, nil, &BusyResourceError{Action: "reading from"}
	}
	defer s.rbusy.Store(false)
	if ctx.Err() != nil {
		return nil, nil, core.CancelErr(ctx)
	}
	buf := make([]byte, msglen)
	oob := make([]byte, rightsSpace(maxfds))
	n, oobn, flags, err, cancelled := s.receiveMsg(ctx, buf, oob)
	oobn = max(oobn, 0)
	fds, perr := parseRights(oob[:oobn])
	switch {
	case perr != nil:
		closeFDs(fds)
		return nil, nil, fmt.Errorf("anyio: ReceiveFDs: %w", perr)
	case len(fds) > maxfds || truncatedControl(flags):
		closeFDs(fds)
		return nil, nil, fmt.Errorf("anyio: ReceiveFDs: the message carried more than maxfds=%d descriptors; all were closed", maxfds)
	case n == 0 && len(fds) == 0 && cancelled:
		return nil, nil, core.CancelErr(ctx)
	case n == 0 && len(fds) == 0 && err != nil:
		return nil, nil, s.mapErr(err)
	case n == 0 && len(fds) == 0:
		return nil, nil, ErrEndOfStream
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), fmt.Sprintf("fd %d received over %v", fd, s.uc.LocalAddr()))
	}
	return buf[:n], files, nil
}

// sendMsg sends msg, or its beginning, with the control message oob, once:
// with sendmsg(2) through the descriptor, so that the task counts as blocked
// exactly while the socket's buffer is full.
func (s *unixStream) sendMsg(ctx context.Context, msg, oob []byte) (n int, err error, cancelled bool) {
	if !s.wfd.Ready() {
		return s.wop.Do(ctx, s.uc.SetWriteDeadline, func() (int, error) {
			n, _, err := s.uc.WriteMsgUnix(msg, oob, nil)
			return max(n, 0), err
		})
	}
	werr, cancelled := s.wfd.Wait(ctx, func(fd uintptr) bool {
		n, err = cancelio.Sendmsg(fd, msg, oob)
		switch err {
		case syscall.EAGAIN:
			return false
		}
		return true
	})
	if werr != nil {
		return 0, werr, cancelled
	}
	return max(n, 0), s.opError("write", err), cancelled
}

// receiveMsg receives into buf and oob once, with recvmsg(2) through the
// descriptor; received descriptors are close-on-exec.
func (s *unixStream) receiveMsg(ctx context.Context, buf, oob []byte) (n, oobn, flags int, err error, cancelled bool) {
	if !s.rfd.Ready() {
		n, err, cancelled = s.rop.Do(ctx, s.uc.SetReadDeadline, func() (int, error) {
			var (
				n   int
				err error
			)
			n, oobn, flags, _, err = s.uc.ReadMsgUnix(buf, oob)
			return max(n, 0), err
		})
		return n, max(oobn, 0), flags, err, cancelled
	}
	werr, cancelled := s.rfd.Wait(ctx, func(fd uintptr) bool {
		n, oobn, flags, err = cancelio.Recvmsg(fd, buf, oob)
		switch err {
		case syscall.EAGAIN:
			return false
		}
		return true
	})
	if werr != nil {
		return 0, 0, 0, werr, cancelled
	}
	if err == nil && n == 0 && oobn <= 0 && len(buf) > 0 {
		err = io.EOF
	}
	return max(n, 0), max(oobn, 0), flags, s.opError("read", err), cancelled
}
