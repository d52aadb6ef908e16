package anyio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/anyio-go/anyio/internal/core"
)

// UDPPacket is a datagram with the address it came from or goes to.
type UDPPacket struct {
	// Data is the payload.
	Data []byte
	// Addr is the peer's address and port. An IPv4 peer has a 4-byte
	// address, also on a dual-stack socket.
	Addr netip.AddrPort
}

// UDPSocket is an unconnected UDP socket (AnyIO's UDPSocket): it receives
// datagrams from anyone and sends them anywhere.
//
// Receive blocks until a datagram arrives and returns it with its source
// address; Data is a new slice each time. Send sends one datagram to
// packet.Addr, SendTo to host (a name, resolved as with [GetAddrInfo], or an
// IP address) and port. Each blocks until the datagram is handed to the
// system, returns a cancellation error promptly once ctx is cancelled (the
// socket stays usable), [ErrClosedResource] once the socket was closed (also
// to a call blocked at that moment), and *[BusyResourceError] when another
// task is already receiving (or sending). An error of the system about one
// datagram (too large, no route) is returned as it is and leaves the socket
// usable.
//
// The socket offers SocketAttribute.Family, LocalAddress, LocalPort and
// RawSocket.
type UDPSocket interface {
	UnreliableObjectStream[UDPPacket]
	SendTo(ctx context.Context, data []byte, host string, port int) error
}

// ConnectedUDPSocket is a UDP socket connected to one peer (AnyIO's
// ConnectedUDPSocket): it sends datagrams to that peer and receives only
// theirs. Receive and Send behave as those of [UDPSocket]; a Receive may
// also return the error ECONNREFUSED that the system reports after the
// peer's host answered a datagram with "port unreachable".
//
// The socket offers SocketAttribute.Family, LocalAddress, LocalPort,
// RemoteAddress, RemotePort and RawSocket.
type ConnectedUDPSocket interface {
	UnreliableObjectStream[[]byte]
}

// CreateUDPSocket creates an unconnected UDP socket (AnyIO's
// create_udp_socket). [LocalHost] and [LocalPort] bind it (by default to
// every interface and a port that the system chooses); [Family] chooses its
// family when LocalHost does not (without either, the socket is dual-stack
// where the system allows it); [ReusePort] sets SO_REUSEPORT. A local port
// out of range or a family other than AFUnspec, AFInet or AFInet6 is an
// error. It returns a cancellation error once ctx is cancelled.
func CreateUDPSocket(ctx context.Context, opts ...UDPSocketOption) (UDPSocket, error) {
	cfg, err := applySocketOptions("CreateUDPSocket", opts)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	network, addr := "udp", fmt.Sprintf(":%d", cfg.localPort)
	switch {
	case cfg.localHost != "":
		ips, err := resolveIP(ctx, cfg.localHost, cfg.family)
		if err != nil {
			return nil, err
		}
		network, addr = udpNetwork(ips[0]), netip.AddrPortFrom(ips[0], uint16(cfg.localPort)).String()
	case cfg.family == AFInet:
		network = "udp4"
	case cfg.family == AFInet6:
		network = "udp6"
	}
	lc := net.ListenConfig{Control: reusePortControl(cfg)}
	pc, err := lc.ListenPacket(noDeadline{ctx}, network, addr)
	if err != nil {
		return nil, err
	}
	return WrapPacketConn(pc), nil
}

// CreateConnectedUDPSocket creates a UDP socket connected to host and port
// (AnyIO's create_connected_udp_socket); host is a name (the first address
// it resolves to is used) or an IP address. [Family] restricts the address
// family, [LocalHost] and [LocalPort] bind the local end, [ReusePort] sets
// SO_REUSEPORT (the options of [CreateUDPSocket]). No packet is sent: connecting
// a UDP socket only fixes its peer. It returns a cancellation error once ctx
// is cancelled.
func CreateConnectedUDPSocket(ctx context.Context, host string, port int, opts ...UDPSocketOption) (ConnectedUDPSocket, error) {
	cfg, err := applySocketOptions("CreateConnectedUDPSocket", opts)
	if err != nil {
		return nil, err
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("anyio: CreateConnectedUDPSocket: port %d is out of range 0-65535", port)
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	ips, err := resolveIP(ctx, host, cfg.family)
	if err != nil {
		return nil, err
	}
	remote := ips[0]
	d := net.Dialer{Control: reusePortControl(cfg)}
	if cfg.localHost != "" || cfg.localPort != 0 {
		local := netip.Addr{}
		if cfg.localHost != "" {
			locals, err := resolveIP(ctx, cfg.localHost, cfg.family)
			if err != nil {
				return nil, err
			}
			la, ok := localFor(locals, remote)
			if !ok {
				return nil, fmt.Errorf("anyio: CreateConnectedUDPSocket: no local address among %v has the family of %v", locals, remote)
			}
			local = la
		}
		d.LocalAddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, uint16(cfg.localPort)))
	}
	c, err := d.DialContext(noDeadline{ctx}, udpNetwork(remote), netip.AddrPortFrom(remote, uint16(port)).String())
	if err != nil {
		if ctx.Err() != nil {
			return nil, core.CancelErr(ctx)
		}
		return nil, err
	}
	uc := c.(*net.UDPConn)
	s := &connectedDgram{conn: uc}
	s.pc = uc
	s.attrs = socketAttributes(uc.LocalAddr(), remoteAddr(uc), uc)
	s.initFDs("UDP")
	return s, nil
}

func udpNetwork(a netip.Addr) string {
	if a.Is4() {
		return "udp4"
	}
	return "udp6"
}

// reusePortControl returns the Control function that applies cfg's
// ReusePort, or nil.
func reusePortControl(cfg socketConfig) func(network, address string, c syscall.RawConn) error {
	if !cfg.reusePort {
		return nil
	}
	return func(_, _ string, c syscall.RawConn) error { return setReusePort(c) }
}

// WrapPacketConn turns a net.PacketConn made outside anyio into an
// unconnected [UDPSocket] (AnyIO 4.10's UDPSocket.from_socket). The socket
// owns c's read and write deadlines, through which it cancels blocked calls.
// With a c other than a *net.UDPConn, a source address that is not a
// *net.UDPAddr is reported as the zero netip.AddrPort.
func WrapPacketConn(c net.PacketConn) UDPSocket {
	s := &udpSocket{}
	s.pc = c
	s.uc, _ = c.(*net.UDPConn)
	s.attrs = socketAttributes(c.LocalAddr(), nil, c)
	s.family = ExtraOr(s, SocketAttribute.Family, AFUnspec)
	if s.family == AFInet || s.family == AFInet6 {
		s.initFDs("UDP")
	} else {
		s.rop, s.wop = s.rfd.Op(), s.wfd.Op()
	}
	return s
}

type udpSocket struct {
	dgram
	uc     *net.UDPConn // nil for other packet conns
	family AddressFamily
}

var _ UDPSocket = (*udpSocket)(nil)

func (s *udpSocket) Receive(ctx context.Context) (UDPPacket, error) {
	var from netip.AddrPort
	data, sa, err := s.receive(ctx, func(p []byte) (int, error) {
		if s.uc != nil {
			n, a, err := s.uc.ReadFromUDPAddrPort(p)
			from = a
			return n, err
		}
		n, a, err := s.pc.ReadFrom(p)
		if ua, ok := a.(*net.UDPAddr); ok {
			from = ua.AddrPort()
		}
		return n, err
	}, true)
	if err != nil {
		return UDPPacket{}, err
	}
	if sa != nil {
		from = sockaddrAddrPort(sa)
	}
	if from.Addr().Is4In6() {
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	}
	return UDPPacket{Data: data, Addr: from}, nil
}

func (s *udpSocket) Send(ctx context.Context, packet UDPPacket) error {
	if !packet.Addr.IsValid() {
		return fmt.Errorf("anyio: UDPSocket.Send: invalid destination address %v", packet.Addr)
	}
	var to syscall.Sockaddr
	if s.wfd.Ready() {
		var err error
		if to, err = udpSockaddr(s.family, packet.Addr); err != nil {
			return &net.OpError{Op: "write", Net: "udp", Source: s.pc.LocalAddr(), Addr: net.UDPAddrFromAddrPort(packet.Addr), Err: err}
		}
	}
	return s.send(ctx, func() (int, error) {
		if s.uc != nil {
			return s.uc.WriteToUDPAddrPort(packet.Data, packet.Addr)
		}
		return s.pc.WriteTo(packet.Data, net.UDPAddrFromAddrPort(packet.Addr))
	}, packet.Data, to, net.UDPAddrFromAddrPort(packet.Addr))
}

func (s *udpSocket) SendTo(ctx context.Context, data []byte, host string, port int) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("anyio: UDPSocket.SendTo: port %d is out of range 0-65535", port)
	}
	if s.closed.Load() {
		return ErrClosedResource
	}
	fam := AFUnspec
	if s.family == AFInet {
		fam = AFInet
	}
	ips, err := resolveIP(ctx, host, fam)
	if err != nil {
		return err
	}
	return s.Send(ctx, UDPPacket{Data: data, Addr: netip.AddrPortFrom(ips[0], uint16(port))})
}

// connectedDgram is a connected datagram socket, UDP or UNIX.
type connectedDgram struct {
	dgram
	conn net.Conn
}

var (
	_ ConnectedUDPSocket          = (*connectedDgram)(nil)
	_ ConnectedUnixDatagramSocket = (*connectedDgram)(nil)
)

func (s *connectedDgram) Receive(ctx context.Context) ([]byte, error) {
	data, _, err := s.receive(ctx, s.conn.Read, false)
	return data, err
}

func (s *connectedDgram) Send(ctx context.Context, data []byte) error {
	return s.send(ctx, func() (int, error) {
		n, err := s.conn.Write(data)
		if err == nil && n < len(data) {
			err = errors.New("anyio: short datagram write")
		}
		return n, err
	}, data, nil, nil)
}
