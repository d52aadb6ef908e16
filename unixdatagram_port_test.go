package anyio_test

// Ports of tests in AnyIO's tests/test_sockets.py that the other test files
// do not cover: UNIX datagram sockets (TestUNIXDatagramSocket,
// TestConnectedUNIXDatagramSocket).

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Ports TestUNIXDatagramSocket.test_send_receive and test_iterate: an
// unconnected UNIX datagram socket sends to itself, and an echo server
// iterates over an unconnected one, answering each sender.
func TestUnixDatagramIterate(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			serverPath := filepath.Join(filepath.Dir(path), "peer_socket")
			if name == "Abstract" {
				serverPath = path + "-peer"
			}
			anyiotest.Run(t, func(ctx context.Context) error {
				client := skUnixDatagram(t, ctx, path)
				server := skUnixDatagram(t, ctx, serverPath)
				for _, word := range []string{"blah", "halb"} {
					if err := client.SendTo(ctx, []byte(word), path); err != nil {
						return err
					}
					pkt, err := client.Receive(ctx)
					if err != nil || string(pkt.Data) != word || pkt.Addr != path {
						t.Errorf("Receive of a datagram to itself = %q from %q, %v; want %q from %q", pkt.Data, pkt.Addr, err, word, path)
					}
				}
				return skCheckReversedEcho(t, ctx, server, func(pkt anyio.UnixDatagramPacket) []byte { return pkt.Data },
					func(ctx context.Context, b []byte) error { return client.SendTo(ctx, b, serverPath) },
					func(ctx context.Context) ([]byte, string, error) {
						pkt, err := client.Receive(ctx)
						return pkt.Data, pkt.Addr, err
					}, serverPath)
			})
		})
	}
}

// Ports TestConnectedUNIXDatagramSocket.test_extra_attributes.
func TestConnectedUnixDatagramAttributes(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			peerPath := path + "-peer"
			anyiotest.Run(t, func(ctx context.Context) error {
				skUnixDatagram(t, ctx, peerPath)
				s, err := anyio.CreateConnectedUnixDatagramSocket(ctx, peerPath, anyio.LocalPath(path))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != anyio.AFUnix {
					t.Errorf("Family = %v, want AF_UNIX", got)
				}
				if local, _ := anyio.Extra(s, anyio.SocketAttribute.LocalAddress); local == nil || local.String() != path {
					t.Errorf("LocalAddress = %v, want %s", local, path)
				}
				if remote, _ := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress); remote == nil || remote.String() != peerPath {
					t.Errorf("RemoteAddress = %v, want %s", remote, peerPath)
				}
				if sa, ok := skSockname(t, s).(*unix.SockaddrUnix); !ok || sa.Name != path {
					t.Errorf("getsockname of RawSocket = %v, want %s", skSockname(t, s), path)
				}
				for _, a := range []*anyio.TypedAttribute[int]{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort} {
					if v, err := anyio.Extra(s, a); !errors.Is(err, anyio.ErrTypedAttributeLookup) {
						t.Errorf("Extra(%v) = %d, %v; want anyio.ErrTypedAttributeLookup", a, v, err)
					}
				}
				return nil
			})
		})
	}
}
