package anyio

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// maxDatagram is the size of the receive buffer of a datagram socket: the
// largest UDP payload fits.
const maxDatagram = 65536

// dgram is the machinery shared by anyio's datagram sockets: one receiver
// and one sender at a time, cancellation through the socket's deadlines,
// closing that wakes blocked calls.
type dgram struct {
	pc       net.PacketConn
	rbusy    atomic.Bool
	wbusy    atomic.Bool
	closed   atomic.Bool
	rop, wop cancelio.Op
	buf      []byte // receive buffer, used under rbusy
	attrs    map[any]func() any
}

// receive runs read, which fills p with one datagram, and returns a copy of
// the datagram.
func (d *dgram) receive(ctx context.Context, read func(p []byte) (int, error)) ([]byte, error) {
	if d.closed.Load() {
		return nil, ErrClosedResource
	}
	if !d.rbusy.CompareAndSwap(false, true) {
		return nil, &BusyResourceError{Action: "reading from"}
	}
	defer d.rbusy.Store(false)
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	if d.buf == nil {
		d.buf = make([]byte, maxDatagram)
	}
	n, err, cancelled := d.rop.Do(ctx, d.pc.SetReadDeadline, func() (int, error) { return read(d.buf) })
	if cancelled {
		return nil, core.CancelErr(ctx)
	}
	if err != nil {
		return nil, d.mapErr(err)
	}
	out := make([]byte, n)
	copy(out, d.buf[:n])
	return out, nil
}

// send runs write, which sends one datagram.
func (d *dgram) send(ctx context.Context, write func() (int, error)) error {
	if d.closed.Load() {
		return ErrClosedResource
	}
	if !d.wbusy.CompareAndSwap(false, true) {
		return &BusyResourceError{Action: "writing to"}
	}
	defer d.wbusy.Store(false)
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	_, err, cancelled := d.wop.Do(ctx, d.pc.SetWriteDeadline, write)
	if cancelled {
		return core.CancelErr(ctx)
	}
	if err != nil {
		return d.mapErr(err)
	}
	return nil
}

// mapErr turns the error of a datagram operation into anyio's: closed
// sockets give ErrClosedResource; other errors (a datagram too large, a
// connected peer's ICMP "port unreachable" as ECONNREFUSED) concern one
// datagram and leave the socket usable, so they are returned as they are.
func (d *dgram) mapErr(err error) error {
	if d.closed.Load() || errors.Is(err, net.ErrClosed) {
		return ErrClosedResource
	}
	return err
}

// Close closes the socket; a call blocked in another task returns
// [ErrClosedResource]. The descriptor is released when Close returns.
func (d *dgram) Close(ctx context.Context) error {
	if d.closed.Swap(true) {
		return nil
	}
	defer d.rop.Release()
	defer d.wop.Release()
	if err := d.pc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (d *dgram) ExtraAttributes() map[any]func() any { return d.attrs }

// socketAttributes returns the typed attributes of a socket with these
// addresses; sock is the socket, used for RawSocket when it is a
// syscall.Conn.
func socketAttributes(local, remote net.Addr, sock any) map[any]func() any {
	attrs := make(map[any]func() any)
	if local != nil {
		attrs[SocketAttribute.LocalAddress] = func() any { return local }
	}
	if remote != nil {
		attrs[SocketAttribute.RemoteAddress] = func() any { return remote }
	}
	if port, ok := addrPort(local); ok {
		attrs[SocketAttribute.LocalPort] = func() any { return port }
	}
	if port, ok := addrPort(remote); ok {
		attrs[SocketAttribute.RemotePort] = func() any { return port }
	}
	var raw syscall.RawConn
	if sc, ok := sock.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			raw = rc
			attrs[SocketAttribute.RawSocket] = func() any { return rc }
		}
	}
	if fam, ok := addrFamily(local, raw); ok {
		attrs[SocketAttribute.Family] = func() any { return fam }
	}
	return attrs
}

// remoteAddr returns the peer address of a connected socket, and nil for an
// unconnected one (whose RemoteAddr is a typed nil).
func remoteAddr(c interface{ RemoteAddr() net.Addr }) net.Addr {
	a := c.RemoteAddr()
	switch a := a.(type) {
	case *net.UDPAddr:
		if a == nil {
			return nil
		}
	case *net.UnixAddr:
		if a == nil || a.Name == "" {
			return nil
		}
	}
	return a
}
