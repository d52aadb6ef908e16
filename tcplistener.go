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

// CreateTCPListener creates TCP listeners on one port and returns them as one
// [MultiListener] of socket streams (AnyIO's create_tcp_listener); each of
// its Listeners() is a [SocketListener].
//
// Without [LocalHost] (or with an empty one), the listener takes every
// interface: one dual-stack IPv6 socket that also accepts IPv4 where the
// system has them (as AnyIO 4 does), otherwise one socket per family, all on
// the same port; [Family] restricts it to AFInet or AFInet6. With LocalHost,
// there is one listener per address the host resolves to (in the family
// given, if any): "localhost" may give 127.0.0.1 and ::1; an IPv6 address
// listens for IPv6 only. When the port was left to the system ([LocalPort]
// absent or 0), every listener gets the port the first one got; if that port
// is taken in another family, CreateTCPListener starts over with a new port,
// a few times, before it gives up.
//
// Every socket has SO_REUSEADDR set (so that a server restarts on its port
// at once); [ReusePort] sets SO_REUSEPORT as well. [Backlog] sets the length
// of the accept queue (capped at 65536 and by the system; the default is the
// system's maximum). A negative backlog, a local port out of range or a
// family other than AFUnspec, AFInet or AFInet6 is an error.
//
// CreateTCPListener returns a cancellation error, and creates nothing, once
// ctx is cancelled; it blocks only to resolve LocalHost.
func CreateTCPListener(ctx context.Context, opts ...TCPListenerOption) (*MultiListener[SocketStream], error) {
	cfg, err := applySocketOptions("CreateTCPListener", opts)
	if err != nil {
		return nil, err
	}
	ls, err := defaultTCPBinder.create(ctx, cfg)
	if err != nil {
		return nil, err
	}
	listeners := make([]Listener[SocketStream], len(ls))
	for i, l := range ls {
		listeners[i] = WrapListener(l)
	}
	return NewMultiListener(listeners...), nil
}

// tcpBinder holds the steps of CreateTCPListener that tests replace.
type tcpBinder struct {
	// listen creates one listening socket; network is "tcp" (dual-stack
	// wildcard), "tcp4" or "tcp6".
	listen func(ctx context.Context, network string, addr netip.AddrPort, cfg socketConfig) (*net.TCPListener, error)
	// dualStack reports whether one IPv6 socket can take IPv4 connections.
	dualStack func() bool
	// hasIPv6 reports whether IPv6 sockets can be made at all.
	hasIPv6 func() bool
}

var defaultTCPBinder = tcpBinder{listen: listenTCP, dualStack: dualStackSupported, hasIPv6: ipv6Supported}

// bindAttempts is how many times CreateTCPListener looks for a port free in
// every family.
const bindAttempts = 10

// bindTarget is one socket to create.
type bindTarget struct {
	network string
	addr    netip.Addr
}

func (b tcpBinder) create(ctx context.Context, cfg socketConfig) ([]*net.TCPListener, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	var targets []bindTarget
	switch {
	case cfg.localHost != "":
		addrs, err := resolveIP(ctx, cfg.localHost, cfg.family)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if a.Is4() {
				targets = append(targets, bindTarget{"tcp4", a})
			} else {
				targets = append(targets, bindTarget{"tcp6", a})
			}
		}
	case cfg.family == AFInet:
		targets = []bindTarget{{"tcp4", netip.IPv4Unspecified()}}
	case cfg.family == AFInet6:
		targets = []bindTarget{{"tcp6", netip.IPv6Unspecified()}}
	case !b.hasIPv6():
		targets = []bindTarget{{"tcp4", netip.IPv4Unspecified()}}
	case b.dualStack():
		targets = []bindTarget{{"tcp", netip.IPv6Unspecified()}}
	default:
		targets = []bindTarget{{"tcp6", netip.IPv6Unspecified()}, {"tcp4", netip.IPv4Unspecified()}}
	}

	var lastErr error
	for range bindAttempts {
		ls, err := b.bindAll(ctx, targets, cfg)
		if err == nil {
			return ls, nil
		}
		if !errors.Is(err, errPortCollision) {
			return nil, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("anyio: could not create %d listeners with a consistent port after %d attempts: %w", len(targets), bindAttempts, lastErr)
}

var errPortCollision = errors.New("the port chosen for the first listener is taken in another one")

// bindAll creates one listener per target on one port. When the port was
// chosen by the system and a later target cannot have it, it closes what it
// made and returns an error matching errPortCollision.
func (b tcpBinder) bindAll(ctx context.Context, targets []bindTarget, cfg socketConfig) ([]*net.TCPListener, error) {
	port := cfg.localPort
	ls := make([]*net.TCPListener, 0, len(targets))
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	for i, t := range targets {
		l, err := b.listen(ctx, t.network, netip.AddrPortFrom(t.addr, uint16(port)), cfg)
		if err != nil {
			closeAll()
			if i > 0 && cfg.localPort == 0 && errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("%w: %w", errPortCollision, err)
			}
			return nil, err
		}
		ls = append(ls, l)
		if i == 0 {
			port = l.Addr().(*net.TCPAddr).Port
		}
	}
	return ls, nil
}

// listenTCP creates one listening socket with the options of cfg.
func listenTCP(ctx context.Context, network string, addr netip.AddrPort, cfg socketConfig) (*net.TCPListener, error) {
	lc := net.ListenConfig{}
	if cfg.reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error { return setReusePort(c) }
	}
	hostport := addr.String()
	if network == "tcp" {
		hostport = fmt.Sprintf(":%d", addr.Port())
	}
	l, err := lc.Listen(noDeadline{ctx}, network, hostport)
	if err != nil {
		if ctx.Err() != nil {
			return nil, core.CancelErr(ctx)
		}
		return nil, err
	}
	tl := l.(*net.TCPListener)
	if cfg.has(optBacklog) {
		if err := setBacklog(tl, cfg.backlog); err != nil {
			tl.Close()
			return nil, fmt.Errorf("anyio: setting the backlog of %v to %d: %w", tl.Addr(), cfg.backlog, err)
		}
	}
	return tl, nil
}

// setBacklog calls listen(2) again on a listening socket, which changes the
// length of its accept queue: Go's net package has no setting for it.
func setBacklog(l syscall.Conn, backlog int) error {
	rc, err := l.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = relisten(fd, backlog) }); err != nil {
		return err
	}
	return lerr
}
