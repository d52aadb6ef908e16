package anyio_test

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/internal/peertest"
)

// The interoperability tests run Python's AnyIO (the Debian package
// python3-anyio) as the peer; see internal/peertest for what a missing peer
// does.

func TestInteropSendFDsToPython(t *testing.T) {
	py := peertest.Python(t)
	path := skSocketPaths(t)["Path"]
	p := peertest.Start(t, skTimeout, nil, py, "testdata/socket_peer.py", "receive-fds", path)
	if got := p.Line(t); got != "ready" {
		t.Fatalf("the Python peer says %q", got)
	}
	f1, f2 := skFiles(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.ConnectUnix(ctx, path)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		return s.SendFDs(ctx, []byte("test"), []int{int(f1.Fd()), int(f2.Fd())})
	})
	if t.Failed() {
		return // the body failed: the peer waits for what it never sent
	}
	if got := p.Line(t); got != "test|Hello, World!" {
		t.Errorf("Python's anyio received %q, want %q", got, "test|Hello, World!")
	}
	p.Wait(t)
}

func TestInteropUDPWithPython(t *testing.T) {
	py := peertest.Python(t)
	t.Run("GoToPython", func(t *testing.T) {
		p := peertest.Start(t, skTimeout, nil, py, "testdata/socket_peer.py", "udp-echo")
		port, err := strconv.Atoi(strings.TrimPrefix(p.Line(t), "port "))
		if err != nil {
			t.Fatal(err)
		}
		anyiotest.Run(t, func(ctx context.Context) error {
			s, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			defer s.Close(ctx)
			if err := s.SendTo(ctx, []byte("shout"), "127.0.0.1", port); err != nil {
				return err
			}
			pkt, err := s.Receive(ctx)
			if err != nil {
				return err
			}
			if string(pkt.Data) != "SHOUT" || pkt.Addr != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)) {
				t.Errorf("answer = %q from %v", pkt.Data, pkt.Addr)
			}
			return nil
		})
		if t.Failed() {
			return // the body failed: the peer waits for what it never sent
		}
		p.Wait(t)
	})
	t.Run("PythonToGo", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			srv, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			defer srv.Close(ctx)
			port, _ := anyio.Extra(srv, anyio.SocketAttribute.LocalPort)
			p := peertest.Start(t, skTimeout, nil, py, "testdata/socket_peer.py", "udp-client", strconv.Itoa(port))
			pkt, err := srv.Receive(ctx)
			if err != nil {
				return err
			}
			if string(pkt.Data) != "ping" {
				t.Errorf("received %q from Python", pkt.Data)
			}
			if err := srv.Send(ctx, anyio.UDPPacket{Data: []byte("pong"), Addr: pkt.Addr}); err != nil {
				return err
			}
			want := "pong from 127.0.0.1:" + strconv.Itoa(port)
			if got := p.Line(t); got != want {
				t.Errorf("Python's anyio printed %q, want %q", got, want)
			}
			p.Wait(t)
			return nil
		})
	})
}
