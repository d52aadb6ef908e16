package anyio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// AddressFamily is a socket address family, with the values of package
// syscall.
type AddressFamily int

// The address families of anyio's sockets.
const (
	AFUnspec AddressFamily = syscall.AF_UNSPEC
	AFInet   AddressFamily = syscall.AF_INET
	AFInet6  AddressFamily = syscall.AF_INET6
	AFUnix   AddressFamily = syscall.AF_UNIX
)

// String returns the family's name, e.g. "AF_INET6".
func (f AddressFamily) String() string {
	switch f {
	case AFUnspec:
		return "AF_UNSPEC"
	case AFInet:
		return "AF_INET"
	case AFInet6:
		return "AF_INET6"
	case AFUnix:
		return "AF_UNIX"
	}
	return fmt.Sprintf("AddressFamily(%d)", int(f))
}

// SocketAttribute holds the typed attributes of sockets (AnyIO's
// SocketAttribute): read them with [Extra] or [ExtraOr], for instance
// anyio.Extra(stream, anyio.SocketAttribute.RemotePort).
var SocketAttribute = struct {
	// Family is the socket's address family.
	Family *TypedAttribute[AddressFamily]
	// LocalAddress is the socket's own address.
	LocalAddress *TypedAttribute[net.Addr]
	// LocalPort is the socket's own port (IP sockets only).
	LocalPort *TypedAttribute[int]
	// RawSocket gives access to the underlying file descriptor.
	RawSocket *TypedAttribute[syscall.RawConn]
	// RemoteAddress is the peer's address (connected sockets only).
	RemoteAddress *TypedAttribute[net.Addr]
	// RemotePort is the peer's port (connected IP sockets only).
	RemotePort *TypedAttribute[int]
}{
	Family:        NewTypedAttribute[AddressFamily]("SocketAttribute.Family"),
	LocalAddress:  NewTypedAttribute[net.Addr]("SocketAttribute.LocalAddress"),
	LocalPort:     NewTypedAttribute[int]("SocketAttribute.LocalPort"),
	RawSocket:     NewTypedAttribute[syscall.RawConn]("SocketAttribute.RawSocket"),
	RemoteAddress: NewTypedAttribute[net.Addr]("SocketAttribute.RemoteAddress"),
	RemotePort:    NewTypedAttribute[int]("SocketAttribute.RemotePort"),
}

// SocketStream is a [ByteStream] over a connected socket, offering the
// [SocketAttribute] values that apply to it (AnyIO's SocketStream).
type SocketStream interface {
	ByteStream
}

// WrapConn turns a connected net.Conn (a TCP or UNIX connection, a
// *tls.Conn, one end of net.Pipe, ...) into a [SocketStream] (AnyIO 4.10's
// SocketStream.from_socket, for connections made outside anyio).
//
// Receive and Send follow the [ByteStream] contract: one task at a time per
// direction (*[BusyResourceError] otherwise), [ErrEndOfStream] when the peer
// closed, [ErrClosedResource] once closed, errors matching
// [ErrBrokenResource] (and wrapping the net error) on failure. A cancelled
// ctx interrupts a blocked call at once: the stream then owns c's read and
// write deadlines (it clears them after an interruption), so do not set them
// yourself. SendEOF half-closes a connection that has CloseWrite (TCP, UNIX);
// for others it returns an error matching errors.ErrUnsupported. Close closes
// c, which also ends blocked calls with [ErrClosedResource].
//
// The stream offers SocketAttribute.LocalAddress and RemoteAddress, Family
// and the ports for IP and UNIX connections, and RawSocket when c implements
// syscall.Conn; a c that offers typed attributes itself (as a net.Conn made
// by [AsConn] does) passes them on. A *net.UnixConn becomes a
// [UnixSocketStream], which can also pass file descriptors.
func WrapConn(c net.Conn) SocketStream {
	if uc, ok := c.(*net.UnixConn); ok {
		return newUnixStream(uc) // a UnixSocketStream
	}
	s := &connStream{c: c}
	s.attrs = connAttributes(c)
	s.initFDs("TCP")
	return s
}

type connStream struct {
	c        net.Conn
	attrs    map[any]func() any
	rbusy    atomic.Bool
	wbusy    atomic.Bool
	closed   atomic.Bool
	eofSent  atomic.Bool
	rop, wop *cancelio.Op
	// rfd and wfd are the reads and writes of a socket's descriptor (a
	// *net.TCPConn, a *net.UnixConn): the task counts as blocked exactly
	// while it waits for readiness. Other connections go through rop and
	// wop, and count as running while they block.
	rfd, wfd cancelio.FD
	kind     string // "TCP", "UNIX": names the waits
}

var _ SocketStream = (*connStream)(nil)

func (s *connStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, ErrEmptyBuffer
	}
	if s.closed.Load() {
		return 0, ErrClosedResource
	}
	if !s.rbusy.CompareAndSwap(false, true) {
		return 0, &BusyResourceError{Action: "reading from"}
	}
	defer s.rbusy.Store(false)
	for {
		if ctx.Err() != nil {
			return 0, core.CancelErr(ctx)
		}
		n, err, cancelled := s.read(ctx, p)
		if n > 0 {
			return n, nil
		}
		if cancelled {
			return 0, core.CancelErr(ctx)
		}
		if err != nil {
			return 0, s.mapErr(err)
		}
	}
}

func (s *connStream) Send(ctx context.Context, p []byte) error {
	if s.closed.Load() {
		return ErrClosedResource
	}
	if !s.wbusy.CompareAndSwap(false, true) {
		return &BusyResourceError{Action: "writing to"}
	}
	defer s.wbusy.Store(false)
	for len(p) > 0 {
		if ctx.Err() != nil {
			return core.CancelErr(ctx)
		}
		n, err, cancelled := s.write(ctx, p)
		p = p[n:]
		if cancelled {
			return core.CancelErr(ctx)
		}
		if err != nil {
			return s.mapErr(err)
		}
	}
	return nil
}

func (s *connStream) SendEOF(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosedResource
	}
	hc, ok := s.c.(interface{ CloseWrite() error })
	if !ok {
		return fmt.Errorf("anyio: SendEOF: %T cannot half-close: %w", s.c, errors.ErrUnsupported)
	}
	if s.eofSent.Swap(true) {
		return nil
	}
	if err := hc.CloseWrite(); err != nil {
		return s.mapErr(err)
	}
	return nil
}

func (s *connStream) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	defer s.rop.Release()
	defer s.wop.Release()
	if err := s.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (s *connStream) ExtraAttributes() map[any]func() any { return s.attrs }

// initFDs sets up the reads and writes of the stream: through the
// descriptor's RawConn when the connection is a socket of this process,
// through its Read and Write otherwise. kind names the socket in waits.
func (s *connStream) initFDs(kind string) {
	s.rop, s.wop = s.rfd.Op(), s.wfd.Op()
	var rc syscall.RawConn
	switch c := s.c.(type) {
	case *net.TCPConn:
		rc, _ = c.SyscallConn()
	case *net.UnixConn:
		rc, _ = c.SyscallConn()
	}
	if rc == nil {
		return
	}
	s.kind = kind
	s.rfd.Init(rc, false, s.c.SetReadDeadline, func() string {
		return waitName(kind+" receive from", kind+" receive on", s.c.RemoteAddr(), s.c.LocalAddr())
	})
	s.wfd.Init(rc, true, s.c.SetWriteDeadline, func() string {
		return waitName(kind+" send to", kind+" send on", s.c.RemoteAddr(), s.c.LocalAddr())
	})
}

// waitName names a wait on a socket for DumpTasks: "TCP receive from
// 127.0.0.1:5000"; a peer without a name (a UNIX client that did not bind)
// is named by the socket's own address: "UNIX receive on /run/app.sock".
func waitName(what, onWhat string, remote, local net.Addr) string {
	if named(remote) {
		return what + " " + remote.String()
	}
	if named(local) {
		return onWhat + " " + local.String()
	}
	return onWhat + " an unnamed socket"
}

// named reports whether a is a socket's name: not nil, not empty, and not
// the "@" that stands for a UNIX socket that did not bind (Linux reports
// its address as an empty name in the abstract namespace).
func named(a net.Addr) bool {
	if a == nil || a.String() == "" {
		return false
	}
	if ua, ok := a.(*net.UnixAddr); ok && ua.Name == "@" {
		return false
	}
	return true
}

// read receives into p once, and reports whether ctx's cancellation
// interrupted it.
func (s *connStream) read(ctx context.Context, p []byte) (int, error, bool) {
	if !s.rfd.Ready() {
		return s.rop.Do(ctx, s.c.SetReadDeadline, func() (int, error) { return s.c.Read(p) })
	}
	n, err, cancelled := s.rfd.Read(ctx, p)
	if err == nil && n == 0 {
		return 0, io.EOF, false
	}
	return n, s.opError("read", err), cancelled
}

// write sends p, or its beginning, once.
func (s *connStream) write(ctx context.Context, p []byte) (int, error, bool) {
	if !s.wfd.Ready() {
		return s.wop.Do(ctx, s.c.SetWriteDeadline, func() (int, error) { return s.c.Write(p) })
	}
	n, err, cancelled := s.wfd.Write(ctx, p)
	return n, s.opError("write", err), cancelled
}

// opError gives a system call's error the form net gives it ("read tcp
// 127.0.0.1:40000->127.0.0.1:5000: connection reset by peer"); the errors of
// the RawConn (closed, deadline) have it already.
func (s *connStream) opError(op string, err error) error {
	errno, ok := err.(syscall.Errno)
	if !ok {
		return err
	}
	network := "tcp"
	if s.kind == "UNIX" {
		network = "unix"
	}
	return &net.OpError{Op: op, Net: network, Source: s.c.LocalAddr(), Addr: s.c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

func (s *connStream) mapErr(err error) error {
	switch {
	case s.closed.Load() || errors.Is(err, net.ErrClosed):
		return ErrClosedResource
	case errors.Is(err, io.EOF):
		return ErrEndOfStream
	}
	return fmt.Errorf("%w: %w", ErrBrokenResource, err)
}

// connAttributes returns the typed attributes of c: its socket attributes,
// over any typed attributes c offers itself.
func connAttributes(c net.Conn) map[any]func() any {
	attrs := socketAttributes(c.LocalAddr(), c.RemoteAddr(), c)
	if p, ok := c.(TypedAttributeProvider); ok {
		return MergeAttributes(p.ExtraAttributes(), attrs)
	}
	return attrs
}

func addrPort(a net.Addr) (int, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port, true
	case *net.UDPAddr:
		return a.Port, true
	}
	return 0, false
}

// addrFamily returns the family of a socket: the one of its descriptor when it
// has one (an IPv4 peer of a dual-stack socket is still AF_INET6), else the
// one its address suggests.
func addrFamily(a net.Addr, raw syscall.RawConn) (AddressFamily, bool) {
	if raw != nil {
		if f, ok := socketFamily(raw); ok {
			return f, true
		}
	}
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	case *net.UnixAddr:
		return AFUnix, true
	default:
		return AFUnspec, false
	}
	if ip.To4() != nil {
		return AFInet, true
	}
	return AFInet6, true
}
