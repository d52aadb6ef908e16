package anyio

import (
	"context"
	"errors"
	"net"
	"os"
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
	pc     net.PacketConn
	rbusy  atomic.Bool
	wbusy  atomic.Bool
	closed atomic.Bool
	// rfd and wfd are the receives and sends of the socket's descriptor:
	// the task counts as blocked exactly while it waits for readiness.
	// Without a descriptor (a net.PacketConn made outside this package),
	// calls go through rop and wop and count as running while they block.
	rfd, wfd cancelio.FD
	rop, wop *cancelio.Op
	network  string // "udp" or "unixgram", for the errors of system calls
	buf      []byte // receive buffer, used under rbusy
	attrs    map[any]func() any
}

// initFDs sets up the receives and sends of d once d.pc is set; kind names
// the socket in waits ("UDP", "UNIX datagram").
func (d *dgram) initFDs(kind string) {
	d.rop, d.wop = d.rfd.Op(), d.wfd.Op()
	var rc syscall.RawConn
	switch c := d.pc.(type) {
	case *net.UDPConn:
		rc, _ = c.SyscallConn()
		d.network = "udp"
	case *net.UnixConn:
		rc, _ = c.SyscallConn()
		d.network = "unixgram"
	}
	if rc == nil {
		return
	}
	var remote net.Addr
	if c, ok := d.pc.(net.Conn); ok {
		remote = c.RemoteAddr()
	}
	local := d.pc.LocalAddr()
	d.rfd.Init(rc, false, d.pc.SetReadDeadline, func() string {
		return waitName(kind+" receive from", kind+" receive on", remote, local)
	})
	d.wfd.Init(rc, true, d.pc.SetWriteDeadline, func() string {
		return waitName(kind+" send to", kind+" send on", remote, local)
	})
}

// receiveRaw receives one datagram into d.buf through the descriptor, with
// recvfrom(2) when from is wanted (an unconnected socket), read(2)
// otherwise.
func (d *dgram) receiveRaw(ctx context.Context, wantFrom bool) (n int, from syscall.Sockaddr, err error, cancelled bool) {
	if !wantFrom {
		n, err, cancelled = d.rfd.Read(ctx, d.buf)
		return n, nil, d.opError("read", err, nil), cancelled
	}
	werr, cancelled := d.rfd.Wait(ctx, func(fd uintptr) bool {
		n, from, err = cancelio.Recvfrom(fd, d.buf)
		switch err {
		case syscall.EAGAIN:
			return false
		}
		return true
	})
	if werr != nil {
		return 0, nil, werr, cancelled
	}
	return max(n, 0), from, d.opError("read", err, nil), cancelled
}

// sendRaw sends one datagram through the descriptor, with sendto(2) when
// to is not nil, write(2) otherwise.
func (d *dgram) sendRaw(ctx context.Context, p []byte, to syscall.Sockaddr, toAddr net.Addr) (n int, err error, cancelled bool) {
	if to == nil {
		n, err, cancelled = d.wfd.Write(ctx, p)
		return n, d.opError("write", err, nil), cancelled
	}
	werr, cancelled := d.wfd.Wait(ctx, func(fd uintptr) bool {
		err = cancelio.Sendto(fd, p, to)
		switch err {
		case syscall.EAGAIN:
			return false
		}
		return true
	})
	if werr != nil {
		return 0, werr, cancelled
	}
	if err != nil {
		return 0, d.opError("write", err, toAddr), cancelled
	}
	return len(p), nil, cancelled
}

// opError gives a system call's error the form net gives it ("write udp
// 127.0.0.1:40000->127.0.0.1:5000: message too long").
func (d *dgram) opError(op string, err error, to net.Addr) error {
	errno, ok := err.(syscall.Errno)
	if !ok {
		return err
	}
	if to == nil {
		if c, ok := d.pc.(net.Conn); ok {
			to = c.RemoteAddr()
		}
	}
	return &net.OpError{Op: op, Net: d.network, Source: d.pc.LocalAddr(), Addr: to, Err: os.NewSyscallError(op, errno)}
}

// receive receives one datagram and returns a copy of it: through the
// descriptor when the socket has one (from is then the sender's address when
// wantFrom is set), through read, which fills p with one datagram,
// otherwise.
func (d *dgram) receive(ctx context.Context, read func(p []byte) (int, error), wantFrom bool) (data []byte, from syscall.Sockaddr, err error) {
	if d.closed.Load() {
		return nil, nil, ErrClosedResource
	}
	if !d.rbusy.CompareAndSwap(false, true) {
		return nil, nil, &BusyResourceError{Action: "reading from"}
	}
	defer d.rbusy.Store(false)
	if ctx.Err() != nil {
		return nil, nil, core.CancelErr(ctx)
	}
	if d.buf == nil {
		d.buf = make([]byte, maxDatagram)
	}
	var (
		n         int
		cancelled bool
	)
	if d.rfd.Ready() {
		n, from, err, cancelled = d.receiveRaw(ctx, wantFrom)
	} else {
		n, err, cancelled = d.rop.Do(ctx, d.pc.SetReadDeadline, func() (int, error) { return read(d.buf) })
	}
	if cancelled {
		return nil, nil, core.CancelErr(ctx)
	}
	if err != nil {
		return nil, nil, d.mapErr(err)
	}
	out := make([]byte, n)
	copy(out, d.buf[:n])
	return out, from, nil
}

// send sends one datagram, p: through the descriptor when the socket has
// one (with sendto(2) to the address to when it is not nil; toAddr is the
// same address for errors), through write otherwise.
func (d *dgram) send(ctx context.Context, write func() (int, error), p []byte, to syscall.Sockaddr, toAddr net.Addr) error {
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
	var (
		n         int
		err       error
		cancelled bool
	)
	if d.wfd.Ready() {
		n, err, cancelled = d.sendRaw(ctx, p, to, toAddr)
		if err == nil && !cancelled && n < len(p) {
			err = errors.New("anyio: short datagram write")
		}
	} else {
		_, err, cancelled = d.wop.Do(ctx, d.pc.SetWriteDeadline, write)
	}
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
