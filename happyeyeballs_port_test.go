package anyio_test

// Ports of tests in AnyIO's tests/test_sockets.py that the other test files
// do not cover: ConnectTCP to a host name with an address in each family
// (TestTCPStream's Happy Eyeballs and multi-address cases).

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// portLocalhost returns which families "localhost" resolves to here.
func portLocalhost(t *testing.T) (v4, v6 bool) {
	t.Helper()
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil {
		t.Fatalf("resolving localhost: %v", err)
	}
	for _, ip := range ips {
		ip = ip.Unmap()
		v4 = v4 || ip == netip.MustParseAddr("127.0.0.1")
		v6 = v6 || ip == netip.IPv6Loopback()
	}
	return v4, v6
}

// Ports TestTCPStream.test_happy_eyeballs: ConnectTCP to "localhost" reaches
// a server listening in one family or both, and prefers IPv6 when it can.
func TestConnectTCPLocalhost(t *testing.T) {
	v4, v6 := portLocalhost(t)
	for _, tc := range []struct {
		name, network, bind, wantClient string
	}{
		{"DualStack", "tcp", "[::]:0", "::1"},
		{"IPv4", "tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"IPv6", "tcp6", "[::1]:0", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "IPv4" && (!skIPv6() || !v6) {
				t.Skip("localhost does not resolve to ::1 here, or ::1 cannot be bound")
			}
			if tc.name != "IPv6" && !v4 {
				t.Skip("localhost does not resolve to 127.0.0.1 here")
			}
			l, err := net.Listen(tc.network, tc.bind)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			anyiotest.Run(t, func(ctx context.Context) error {
				s, peer, err := skConnectTCP(ctx, l, "localhost")
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				defer peer.Close()
				got := peer.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
				if got != netip.MustParseAddr(tc.wantClient) {
					t.Errorf("the server sees the client at %v, want %s", got, tc.wantClient)
				}
				return nil
			})
		})
	}
}

// Ports TestTCPStream.test_connection_refused[multi]: when every address of
// the host refuses, the error holds one refusal per address.
func TestConnectTCPRefusedEveryAddress(t *testing.T) {
	v4, v6 := portLocalhost(t)
	if !v4 || !v6 || !skIPv6() {
		t.Skip("localhost does not resolve to both 127.0.0.1 and ::1 here (or ::1 cannot be bound)")
	}
	port := anyiotest.FreeTCPPort(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := anyio.ConnectTCP(ctx, "localhost", port)
		var cf *anyio.ConnectionFailedError
		if !errors.As(err, &cf) {
			t.Errorf("ConnectTCP(localhost) to a closed port = %v, want *anyio.ConnectionFailedError", err)
			return nil
		}
		if len(cf.Errors) < 2 {
			t.Errorf("ConnectTCP(localhost) = %v, want one failure per address (two or more)", err)
		}
		for i, e := range cf.Errors {
			if !errors.Is(e, syscall.ECONNREFUSED) {
				t.Errorf("attempt %d failed with %v, want ECONNREFUSED", i, e)
			}
		}
		return nil
	})
}
