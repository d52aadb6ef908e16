package anyio_test

// Ports of tests in AnyIO's tests/test_sockets.py that the other test files
// do not cover: connected UDP sockets (TestConnectedUDPSocket).

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Ports TestConnectedUDPSocket.test_aclose_waits_for_fd_release: once Close
// returns, the local port can be bound again at once.
func TestConnectedUDPCloseReleasesPort(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			port := anyiotest.FreeUDPPort(t)
			peer, err := net.ListenPacket("udp", net.JoinHostPort(fam.loopback, "0"))
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			peerPort := peer.LocalAddr().(*net.UDPAddr).Port
			anyiotest.Run(t, func(ctx context.Context) error {
				for i := range 2 {
					s, err := anyio.CreateConnectedUDPSocket(ctx, fam.loopback, peerPort, anyio.LocalHost(fam.loopback), anyio.LocalPort(port))
					if err != nil {
						return fmt.Errorf("round %d: CreateConnectedUDPSocket on port %d: %w", i, port, err)
					}
					if got, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort); got != port {
						t.Errorf("round %d: LocalPort = %d, want %d", i, got, port)
					}
					if err := s.Close(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// Ports TestConnectedUDPSocket.test_iterate: an echo server iterating over
// a connected UDP socket.
func TestConnectedUDPSocketIterate(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				udp1, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback))
				if err != nil {
					return err
				}
				defer udp1.Close(ctx)
				p1, _ := anyio.Extra(udp1, anyio.SocketAttribute.LocalPort)
				udp2, err := anyio.CreateConnectedUDPSocket(ctx, fam.loopback, p1, anyio.LocalHost(fam.loopback))
				if err != nil {
					return err
				}
				defer udp2.Close(ctx)
				addr2 := skLocalAddrPort(t, udp2)
				return skCheckReversedEcho(t, ctx, udp2, func(data []byte) []byte { return data },
					func(ctx context.Context, b []byte) error {
						return udp1.SendTo(ctx, b, addr2.Addr().String(), int(addr2.Port()))
					},
					skReceiveUDP(udp1), addr2)
			})
		})
	}
}
