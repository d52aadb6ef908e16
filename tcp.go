package anyio

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// ConnectTCP connects to host and port over TCP and returns the connection as
// a [SocketStream] (AnyIO's connect_tcp). host is a host name or an IP
// address; a name is resolved as with [GetAddrInfo] (with IDNA 2008 for
// names that are not ASCII).
//
// When host resolves to several addresses, ConnectTCP races them with the
// Happy Eyeballs algorithm (RFC 8305): it tries every address, IPv6 and IPv4
// alternately and IPv6 first, starting the next attempt when the previous one
// failed or after [HappyEyeballsDelay] (250 ms by default) without an answer,
// whichever comes first, while the earlier attempts go on. The first
// connection made wins; every other attempt is cancelled and any other
// connection made is closed. When every attempt fails, the error is a
// *[ConnectionFailedError] holding each address's failure (errors.Is sees
// them, e.g. syscall.ECONNREFUSED); a name that does not resolve gives the
// resolver's error.
//
// Options: [LocalHost] binds the source address (a name resolves to an
// address of the family of each attempt), [LocalPort] the source port,
// [HappyEyeballsDelay] the delay (see [ConnectTCPOption]). A local port out
// of range is an error.
//
// ConnectTCP blocks until a connection is made or every attempt failed; once
// ctx is cancelled it stops every attempt, closes what was connected and
// returns a cancellation error. The stream has TCP_NODELAY set.
func ConnectTCP(ctx context.Context, host string, port int, opts ...ConnectTCPOption) (SocketStream, error) {
	cfg, err := applySocketOptions("ConnectTCP", opts)
	if err != nil {
		return nil, err
	}
	c, err := defaultTCPConnector.connect(ctx, host, port, cfg)
	if err != nil {
		return nil, err
	}
	return WrapConn(c), nil
}

// tcpConnector holds the two steps of ConnectTCP that tests replace: name
// resolution and a single connection attempt.
type tcpConnector struct {
	resolve func(ctx context.Context, host string, port int) ([]netip.AddrPort, error)
	dial    func(ctx context.Context, local netip.AddrPort, remote netip.AddrPort) (net.Conn, error)
}

var defaultTCPConnector = tcpConnector{resolve: resolveTCP, dial: dialTCP}

func resolveTCP(ctx context.Context, host string, port int) ([]netip.AddrPort, error) {
	ips, err := resolveIP(ctx, host, AFUnspec)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(ips))
	for i, a := range ips {
		out[i] = netip.AddrPortFrom(a, uint16(port))
	}
	return out, nil
}

// dialTCP makes one connection attempt from local (an invalid address
// means any) to remote.
func dialTCP(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error) {
	var d net.Dialer
	if local.Addr().IsValid() || local.Port() != 0 {
		d.LocalAddr = net.TCPAddrFromAddrPort(local)
	}
	c, err := d.DialContext(noDeadline{ctx}, "tcp", remote.String())
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetNoDelay(true); err != nil {
			tc.Close()
			return nil, err
		}
	}
	return c, nil
}

// happyEyeballsOrder interleaves the IPv6 and IPv4 addresses, IPv6 first,
// keeping the resolver's order within each family (RFC 8305, section 4).
func happyEyeballsOrder(addrs []netip.AddrPort) []netip.AddrPort {
	var v6, v4 []netip.AddrPort
	for _, a := range addrs {
		if a.Addr().Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	out := make([]netip.AddrPort, 0, len(addrs))
	for i := 0; i < len(v6) || i < len(v4); i++ {
		if i < len(v6) {
			out = append(out, v6[i])
		}
		if i < len(v4) {
			out = append(out, v4[i])
		}
	}
	return out
}

// connect runs the Happy Eyeballs race and returns the winning connection.
func (tc tcpConnector) connect(ctx context.Context, host string, port int, cfg socketConfig) (net.Conn, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("anyio: ConnectTCP: port %d is out of range 0-65535", port)
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	addrs, err := tc.resolve(ctx, host, port)
	if err != nil {
		return nil, err
	}
	addrs = happyEyeballsOrder(addrs)
	if len(addrs) == 0 {
		return nil, &ConnectionFailedError{Target: net.JoinHostPort(host, strconv.Itoa(port))}
	}
	var locals []netip.Addr
	if cfg.localHost != "" {
		if locals, err = resolveIP(ctx, cfg.localHost, AFUnspec); err != nil {
			return nil, err
		}
	}

	var (
		mu     sync.Mutex
		winner net.Conn
		errs   = make([]error, len(addrs))
	)
	attempt := func(ctx context.Context, i int, failed chan<- struct{}, tg *TaskGroup) {
		remote := addrs[i]
		local := netip.AddrPortFrom(netip.Addr{}, uint16(cfg.localPort))
		if locals != nil {
			la, ok := localFor(locals, remote.Addr())
			if !ok {
				errs[i] = fmt.Errorf("anyio: connecting to %v: no local address of its family among %v", remote, locals)
				close(failed)
				return
			}
			local = netip.AddrPortFrom(la, uint16(cfg.localPort))
		}
		c, err := tc.dial(ctx, local, remote)
		if err != nil {
			errs[i] = err
			close(failed)
			return
		}
		mu.Lock()
		won := winner == nil
		if won {
			winner = c
		}
		mu.Unlock()
		if won {
			tg.CancelScope().Cancel()
		} else {
			c.Close()
		}
	}

	gerr := WithTaskGroup(ctx, func(ctx context.Context, tg *TaskGroup) error {
		for i := range addrs {
			failed := make(chan struct{})
			tg.StartSoon(func(ctx context.Context) error {
				attempt(ctx, i, failed, tg)
				return nil
			}, TaskName("ConnectTCP attempt "+addrs[i].String()))
			if i == len(addrs)-1 {
				break
			}
			if cfg.happyEyeballsDelay <= 0 {
				continue
			}
			t := time.NewTimer(cfg.happyEyeballsDelay)
			select {
			case <-failed:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			t.Stop()
		}
		return nil
	})
	if ctx.Err() != nil || gerr != nil {
		if winner != nil {
			winner.Close()
		}
		if ctx.Err() != nil {
			return nil, core.CancelErr(ctx)
		}
		return nil, gerr
	}
	if winner != nil {
		return winner, nil
	}
	return nil, &ConnectionFailedError{Target: net.JoinHostPort(host, strconv.Itoa(port)), Errors: errs}
}

// localFor picks the first of locals that can be the source address of a
// connection to remote.
func localFor(locals []netip.Addr, remote netip.Addr) (netip.Addr, bool) {
	for _, l := range locals {
		if l.Is4() == remote.Is4() {
			return l, true
		}
	}
	return netip.Addr{}, false
}

// ConnectionFailedError is returned when a connection could not be made:
// by [ConnectTCP] when every attempt failed, and by the Connect method of the
// connectables ([TCPConnectable], [UnixConnectable], tlsstream.Connectable)
// for any failure but a cancellation (AnyIO's ConnectionFailed).
//
// Errors holds the failure of each attempt, in the order the attempts were
// started; Unwrap returns them, so errors.Is and errors.As see each one.
type ConnectionFailedError struct {
	// Target is what was being connected to: "host:port" or a socket path.
	Target string
	// Errors are the failures, one per attempt.
	Errors []error
}

// Error lists the failure of every attempt.
func (e *ConnectionFailedError) Error() string {
	switch len(e.Errors) {
	case 0:
		return fmt.Sprintf("anyio: connecting to %s failed: no address to try", e.Target)
	case 1:
		return fmt.Sprintf("anyio: connecting to %s failed: %v", e.Target, e.Errors[0])
	}
	msg := fmt.Sprintf("anyio: all %d connection attempts to %s failed", len(e.Errors), e.Target)
	for _, err := range e.Errors {
		msg += "; " + err.Error()
	}
	return msg
}

// Unwrap returns the failure of each attempt.
func (e *ConnectionFailedError) Unwrap() []error { return e.Errors }
