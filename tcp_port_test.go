package anyio_test

// Ports of tests in AnyIO's tests/test_sockets.py that the other test files
// do not cover: TCP socket streams (TestTCPStream).

import (
	"context"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Ports TestTCPStream.test_unretrieved_future_exception_server_crash: the
// peer closes with the request unread (so the kernel resets the connection);
// the client's Receive fails with ErrBrokenResource.
func TestTCPStreamPeerClosesWithUnreadData(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			l := skListen(t, fam)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, peer, err := skConnectTCP(ctx, l, fam.loopback)
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if err := s.Send(ctx, []byte("GET")); err != nil {
					return err
				}
				// Wait until the request is in the peer's receive queue,
				// without taking it out.
				rc, err := peer.(*net.TCPConn).SyscallConn()
				if err != nil {
					return err
				}
				var perr error
				if err := rc.Read(func(fd uintptr) bool {
					_, _, perr = unix.Recvfrom(int(fd), make([]byte, 1), unix.MSG_PEEK)
					return perr != unix.EAGAIN
				}); err != nil {
					return err
				}
				if perr != nil {
					return perr
				}
				peer.Close()
				_, err = s.Receive(ctx, make([]byte, 16))
				skWantErr(t, "Receive after the peer closed with unread data", err, anyio.ErrBrokenResource)
				return nil
			})
		})
	}
}
