package anyio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// skTCPStreams returns an anyio TCP stream made by ConnectTCP and one made
// by a listener's Accept, connected to each other.
func skTCPStreams(t *testing.T, fam skFamily) (anyio.SocketStream, anyio.SocketStream) {
	t.Helper()
	ctx := context.Background()
	multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback))
	if err != nil {
		t.Fatal(err)
	}
	defer multi.Close(ctx)
	l := multi.Listeners()[0].(anyio.SocketListener)
	port, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
	client, err := anyio.ConnectTCP(ctx, fam.loopback, port)
	if err != nil {
		t.Fatal(err)
	}
	server, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

func TestTCPStreamConformance(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				return skTCPStreams(t, fam)
			})
		})
	}
}

func TestTCPStreamExtraAttributes(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			l := skListen(t, fam)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, err := anyio.ConnectTCP(ctx, fam.loopback, skPort(l.Addr()))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != fam.family {
					t.Errorf("Family = %v, want %v", got, fam.family)
				}
				local, _ := anyio.Extra(s, anyio.SocketAttribute.LocalAddress)
				sa := skSockname(t, s)
				if local.(*net.TCPAddr).Port != skSockaddrPort(sa) {
					t.Errorf("LocalAddress = %v, getsockname = %v", local, sa)
				}
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort); got != skSockaddrPort(sa) {
					t.Errorf("LocalPort = %d, want %d", got, skSockaddrPort(sa))
				}
				remote, _ := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress)
				if remote.String() != l.Addr().String() {
					t.Errorf("RemoteAddress = %v, want %v", remote, l.Addr())
				}
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.RemotePort); got != skPort(l.Addr()) {
					t.Errorf("RemotePort = %d, want %d", got, skPort(l.Addr()))
				}
				if v := skSockopt(t, s, unix.IPPROTO_TCP, unix.TCP_NODELAY); v == 0 {
					t.Error("TCP_NODELAY is not set on a stream made by ConnectTCP")
				}
				return nil
			})
		})
	}
}

func TestTCPStreamSendReceive(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		if err := s.Send(ctx, []byte("blah")); err != nil {
			return err
		}
		req := make([]byte, 4)
		if _, err := io.ReadFull(peer, req); err != nil {
			return err
		}
		peer.Write([]byte{req[3], req[2], req[1], req[0]})
		buf := make([]byte, 100)
		n, err := s.Receive(ctx, buf)
		if err != nil {
			return err
		}
		if string(buf[:n]) != "halb" {
			t.Errorf("Receive = %q, want %q", buf[:n], "halb")
		}
		for _, p := range [][]byte{nil, {}} {
			if _, err := s.Receive(ctx, p); !errors.Is(err, anyio.ErrEmptyBuffer) {
				t.Errorf("Receive(empty) = %v, want anyio.ErrEmptyBuffer", err)
			}
		}
		return nil
	})
}

func TestTCPStreamLargeBuffers(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	big := bytes.Repeat([]byte{0xff}, 1<<20) // more than the kernel's buffers
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if _, err := peer.Write(big); err != nil {
					return err
				}
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				// The peer echoes what it reads back in reverse order of
				// direction: a large Send must go through whole.
				return s.Send(ctx, big)
			})
			got := make([]byte, 0, len(big))
			buf := make([]byte, 65536)
			for len(got) < len(big) {
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return err
				}
				got = append(got, buf[:n]...)
			}
			if !bytes.Equal(got, big) {
				t.Error("the large buffer arrived corrupted")
			}
			back := make([]byte, len(big))
			if _, err := io.ReadFull(peer, back); err != nil {
				return err
			}
			if !bytes.Equal(back, big) {
				t.Error("the large Send arrived corrupted")
			}
			return nil
		})
	})
}

func TestTCPStreamSendEOF(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		s.Send(ctx, []byte("hello, "))
		s.Send(ctx, []byte("world\n"))
		if err := s.SendEOF(ctx); err != nil {
			return err
		}
		req, err := io.ReadAll(peer) // ends at the half-close
		if err != nil {
			return err
		}
		for i, j := 0, len(req)-1; i < j; i, j = i+1, j-1 {
			req[i], req[j] = req[j], req[i]
		}
		peer.Write(req)
		peer.Close()
		got, err := io.ReadAll(anyio.AsReader(ctx, s))
		if err != nil {
			return err
		}
		if string(got) != "\ndlrow ,olleh" {
			t.Errorf("reply = %q, want %q", got, "\ndlrow ,olleh")
		}
		return nil
	})
}

func TestTCPStreamIterate(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		return skCheckIterateBytes(t, ctx, s, peer)
	})
}

func TestConnectTCPLocalAddress(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			l := skListen(t, fam)
			port := anyiotest.FreeTCPPort(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, err := anyio.ConnectTCP(ctx, fam.loopback, skPort(l.Addr()), anyio.LocalHost(fam.loopback), anyio.LocalPort(port))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort); got != port {
					t.Errorf("LocalPort = %d, want %d", got, port)
				}
				peer, err := l.Accept()
				if err != nil {
					return err
				}
				defer peer.Close()
				if got := peer.RemoteAddr().(*net.TCPAddr); got.Port != port || got.IP.String() != fam.loopback {
					t.Errorf("the server sees the client at %v, want %s port %d", got, fam.loopback, port)
				}
				return nil
			})
		})
	}
}

func TestConnectTCPRefused(t *testing.T) {
	port := anyiotest.FreeTCPPort(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
		var cf *anyio.ConnectionFailedError
		if !errors.As(err, &cf) {
			t.Fatalf("ConnectTCP to a closed port = %v, want *anyio.ConnectionFailedError", err)
		}
		if len(cf.Errors) != 1 || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("ConnectTCP = %v, want one attempt refused", err)
		}
		return nil
	})
}

func TestConnectTCPUnresolvable(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := anyio.ConnectTCP(ctx, "anyio.invalid", 6666)
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) {
			t.Errorf("ConnectTCP(anyio.invalid) = %v, want a *net.DNSError", err)
		}
		return nil
	})
}

func TestConnectTCPOptions(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		// Options that ConnectTCP has no use for do not compile (see
		// options_compile_test.go); a value out of range is an error.
		if _, err := anyio.ConnectTCP(ctx, "127.0.0.1", 1, anyio.LocalPort(70000)); err == nil {
			t.Error("ConnectTCP accepted LocalPort(70000)")
		}
		return nil
	})
}

func TestTCPStreamReceiveTimeout(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.ConnectTCP(ctx, fam.loopback, skPort(l.Addr()))
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		scope := anyio.MoveOnAfter(20 * time.Millisecond)
		start := time.Now()
		err = scope.Run(ctx, func(ctx context.Context) error {
			_, err := s.Receive(ctx, make([]byte, 1))
			return err
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("Receive under MoveOnAfter: Run = %v, CancelledCaught = %v", err, scope.CancelledCaught())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the cancelled Receive took %v to return", d)
		}
		return nil
	})
}

func TestTCPStreamConcurrentUse(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			// Nobody reads the peer: the sender fills the buffers and blocks.
			tg.StartSoon(func(ctx context.Context) error {
				chunk := make([]byte, 4096)
				for {
					if err := skRetryBusy(func() error { return s.Send(ctx, chunk) }); err != nil {
						return err
					}
				}
			})
			tg.StartSoon(func(ctx context.Context) error {
				return skRetryBusy(func() error {
					_, err := s.Receive(ctx, make([]byte, 16))
					return err
				})
			})
			skWaitBusy(t, func(ctx context.Context) error { return s.Send(ctx, []byte("x")) })
			err := s.Send(ctx, []byte("foo"))
			var busy *anyio.BusyResourceError
			if !errors.As(err, &busy) || busy.Action != "writing to" {
				t.Errorf("concurrent Send = %v, want *anyio.BusyResourceError writing to", err)
			}
			skWaitBusy(t, func(ctx context.Context) error { _, err := s.Receive(ctx, make([]byte, 1)); return err })
			_, err = s.Receive(ctx, make([]byte, 1))
			if !errors.As(err, &busy) || busy.Action != "reading from" {
				t.Errorf("concurrent Receive = %v, want *anyio.BusyResourceError reading from", err)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

func TestTCPStreamCloseWakesBlocked(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, fam.loopback)
		if err != nil {
			return err
		}
		defer peer.Close()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			recvErr, sendErr := make(chan error, 1), make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				recvErr <- skRetryBusy(func() error {
					_, err := s.Receive(ctx, make([]byte, 16))
					return err
				})
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				chunk := make([]byte, 65536)
				for {
					if err := skRetryBusy(func() error { return s.Send(ctx, chunk) }); err != nil {
						sendErr <- err
						return nil
					}
				}
			})
			skWaitBusy(t, func(ctx context.Context) error { _, err := s.Receive(ctx, make([]byte, 1)); return err })
			skWaitBusy(t, func(ctx context.Context) error { return s.Send(ctx, []byte("x")) })
			if err := s.Close(ctx); err != nil {
				t.Errorf("Close = %v", err)
			}
			skWantErr(t, "Receive blocked during Close", <-recvErr, anyio.ErrClosedResource)
			skWantErr(t, "Send blocked during Close", <-sendErr, anyio.ErrClosedResource)
			_, err := s.Receive(ctx, make([]byte, 1))
			skWantErr(t, "Receive after Close", err, anyio.ErrClosedResource)
			skWantErr(t, "Send after Close", s.Send(ctx, []byte("foo")), anyio.ErrClosedResource)
			return nil
		})
	})
}

func TestTCPStreamPeerClosed(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			l := skListen(t, fam)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, peer, err := skConnectTCP(ctx, l, fam.loopback)
				if err != nil {
					return err
				}
				peer.Close()
				_, err = s.Receive(ctx, make([]byte, 1))
				skWantErr(t, "Receive after the peer closed", err, anyio.ErrEndOfStream)
				for i := 0; i < 1000; i++ {
					if err = s.Send(ctx, []byte("foo")); err != nil {
						break
					}
				}
				skWantErr(t, "Send after the peer closed", err, anyio.ErrBrokenResource)
				s.Close(ctx)
				_, err = s.Receive(ctx, make([]byte, 1))
				skWantErr(t, "Receive after Close", err, anyio.ErrClosedResource)
				return nil
			})
		})
	}
}

func TestTCPStreamPeerReset(t *testing.T) {
	fam := skFamilies(t)[0]
	for _, op := range []string{"Receive", "Send"} {
		t.Run(op, func(t *testing.T) {
			l := skListen(t, fam)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, peer, err := skConnectTCP(ctx, l, fam.loopback)
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				peer.(*net.TCPConn).SetLinger(0) // close with a RST
				peer.Close()
				if op == "Receive" {
					_, err = s.Receive(ctx, make([]byte, 16))
				} else {
					for i := 0; i < 1000 && err == nil; i++ {
						err = s.Send(ctx, []byte("foo"))
					}
				}
				skWantErr(t, op+" after a reset", err, anyio.ErrBrokenResource)
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
					t.Errorf("%s after a reset = %v: the cause is lost", op, err)
				}
				return nil
			})
		})
	}
}

func TestTCPListenerConformance(t *testing.T) {
	// The streams a listener accepts are TCP streams like the others; the
	// conformance suite runs over ConnectTCP/Accept pairs already. Here:
	// several listeners, several families, one port.
	for _, tc := range []struct {
		name   string
		opts   []anyio.TCPListenerOption
		want   int
		needV6 bool
	}{
		{name: "NoHost", opts: nil, want: -1},
		{name: "NoHostIPv4", opts: []anyio.TCPListenerOption{anyio.Family(anyio.AFInet)}, want: 1},
		{name: "NoHostIPv6", opts: []anyio.TCPListenerOption{anyio.Family(anyio.AFInet6)}, want: 1, needV6: true},
		{name: "Localhost", opts: []anyio.TCPListenerOption{anyio.LocalHost("localhost")}, want: -2},
		{name: "LocalhostIPv4", opts: []anyio.TCPListenerOption{anyio.LocalHost("localhost"), anyio.Family(anyio.AFInet)}, want: 1},
		{name: "IPv6Wildcard", opts: []anyio.TCPListenerOption{anyio.LocalHost("::")}, want: 1, needV6: true},
		{name: "IPv4Loopback", opts: []anyio.TCPListenerOption{anyio.LocalHost("127.0.0.1"), anyio.Family(anyio.AFInet)}, want: 1},
		{name: "IPv6Loopback", opts: []anyio.TCPListenerOption{anyio.LocalHost("::1"), anyio.Family(anyio.AFInet6)}, want: 1, needV6: true},
	} {
		for _, fixed := range []bool{false, true} {
			name := tc.name
			if fixed {
				name += "/FixedPort"
			}
			t.Run(name, func(t *testing.T) {
				if tc.needV6 && !skIPv6() {
					t.Skip("IPv6 is not available: ::1 cannot be bound")
				}
				opts := tc.opts
				port := 0
				if fixed {
					port = anyiotest.FreeTCPPort(t)
					opts = append(append([]anyio.TCPListenerOption(nil), opts...), anyio.LocalPort(port))
				}
				want := tc.want
				switch want {
				case -1: // no host: one dual-stack socket, or one per family
					want = 1
					if skIPv6() && !skDualStack() {
						want = 2
					}
				case -2: // one per address of localhost
					ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
					if err != nil {
						t.Fatal(err)
					}
					seen := map[netip.Addr]bool{}
					for _, a := range ips {
						seen[a.Unmap()] = true
					}
					want = len(seen)
				}
				anyiotest.Run(t, func(ctx context.Context) error {
					multi, err := anyio.CreateTCPListener(ctx, opts...)
					if err != nil {
						return err
					}
					defer multi.Close(ctx)
					ls := multi.Listeners()
					if len(ls) != want {
						t.Errorf("%d listeners, want %d", len(ls), want)
					}
					ports := map[int]bool{}
					for _, l := range ls {
						p, err := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
						if err != nil {
							return err
						}
						ports[p] = true
						skEcho(t, ctx, l.(anyio.SocketListener))
					}
					if len(ports) != 1 || (fixed && !ports[port]) {
						t.Errorf("listener ports = %v, want one port (%d if fixed)", ports, port)
					}
					return nil
				})
			})
		}
	}
}

// skDualStack reports whether an IPv6 socket can take IPv4 connections.
func skDualStack() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0) == nil
}

// skEcho connects to l with a raw client and checks a round trip through a
// stream that l accepts.
func skEcho(t *testing.T, ctx context.Context, l anyio.SocketListener) {
	t.Helper()
	local, _ := anyio.Extra(l, anyio.SocketAttribute.LocalAddress)
	ta := local.(*net.TCPAddr)
	host := "127.0.0.1"
	if fam, _ := anyio.Extra(l, anyio.SocketAttribute.Family); fam == anyio.AFInet6 && (ta.IP.IsUnspecified() || ta.IP.To4() == nil) {
		host = "::1"
	}
	if !ta.IP.IsUnspecified() {
		host = ta.IP.String()
	}
	client, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(ta.Port)))
	if err != nil {
		t.Errorf("connecting to %v: %v", local, err)
		return
	}
	defer client.Close()
	s, err := l.Accept(ctx)
	if err != nil {
		t.Errorf("Accept: %v", err)
		return
	}
	defer s.Close(ctx)
	if v := skSockopt(t, s, unix.IPPROTO_TCP, unix.TCP_NODELAY); v == 0 {
		t.Error("TCP_NODELAY is not set on an accepted stream")
	}
	if lf, sf := anyio.ExtraOr(l, anyio.SocketAttribute.Family, 0), anyio.ExtraOr(s, anyio.SocketAttribute.Family, 0); lf != sf {
		t.Errorf("accepted stream's Family = %v, listener's = %v", sf, lf)
	}
	client.Write([]byte("blah"))
	buf := make([]byte, 100)
	n, err := s.Receive(ctx, buf)
	if err != nil {
		t.Errorf("Receive: %v", err)
		return
	}
	s.Send(ctx, []byte{buf[3], buf[2], buf[1], buf[0]})
	n, _ = io.ReadFull(client, buf[:n])
	if string(buf[:n]) != "halb" {
		t.Errorf("echo = %q, want %q", buf[:n], "halb")
	}
}

func TestTCPListenerAttributes(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback), anyio.Family(fam.family))
				if err != nil {
					return err
				}
				defer multi.Close(ctx)
				if got, _ := anyio.Extra(multi, anyio.SocketAttribute.Family); got != fam.family {
					t.Errorf("MultiListener Family = %v, want %v", got, fam.family)
				}
				for _, l := range multi.Listeners() {
					sa := skSockname(t, l)
					if got, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort); got != skSockaddrPort(sa) {
						t.Errorf("LocalPort = %d, getsockname says %d", got, skSockaddrPort(sa))
					}
					if v := skSockopt(t, l, unix.SOL_SOCKET, unix.SO_REUSEADDR); v == 0 {
						t.Error("SO_REUSEADDR is not set on the listener")
					}
					for _, a := range []any{anyio.SocketAttribute.RemoteAddress, anyio.SocketAttribute.RemotePort} {
						if _, ok := l.ExtraAttributes()[a]; ok {
							t.Errorf("a listener has the attribute %v", a)
						}
					}
				}
				return nil
			})
		})
	}
}

func TestTCPListenerAcceptAfterClose(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		l := multi.Listeners()[0].(anyio.SocketListener)
		l.Close(ctx)
		_, err = l.Accept(ctx)
		skWantErr(t, "Accept after Close", err, anyio.ErrClosedResource)
		return multi.Close(ctx)
	})
}

func TestTCPListenerAcceptCancelAndClose(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer multi.Close(ctx)
		l := multi.Listeners()[0].(anyio.SocketListener)
		// A cancelled Accept returns and leaves the listener usable.
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := l.Accept(ctx)
			skWantErr(t, "cancelled Accept", err, anyio.ErrCancelled)
			return err
		})
		skEcho(t, ctx, l)
		// A second Accept while one is blocked is busy; Close wakes the
		// blocked one.
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				done <- skRetryBusy(func() error { _, err := l.Accept(ctx); return err })
				return nil
			})
			skWaitBusy(t, func(ctx context.Context) error { _, err := l.Accept(ctx); return err })
			l.Close(ctx)
			skWantErr(t, "Accept blocked during Close", <-done, anyio.ErrClosedResource)
			return nil
		})
	})
}

func TestTCPListenerReusePort(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				m1, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer m1.Close(ctx)
				port, _ := anyio.Extra(m1, anyio.SocketAttribute.LocalPort)
				m2, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback), anyio.LocalPort(port), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer m2.Close(ctx)
				a1, _ := anyio.Extra(m1, anyio.SocketAttribute.LocalAddress)
				a2, _ := anyio.Extra(m2, anyio.SocketAttribute.LocalAddress)
				if a1.String() != a2.String() {
					t.Errorf("the two listeners are at %v and %v", a1, a2)
				}
				if v := skSockopt(t, m2.Listeners()[0], unix.SOL_SOCKET, unix.SO_REUSEPORT); v == 0 {
					t.Error("SO_REUSEPORT is not set")
				}
				if _, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback), anyio.LocalPort(port)); !errors.Is(err, syscall.EADDRINUSE) {
					t.Errorf("a third listener without ReusePort = %v, want EADDRINUSE", err)
				}
				return nil
			})
		})
	}
}

func TestTCPListenerBacklog(t *testing.T) {
	somaxconn := 4096
	if b, err := skReadInt("/proc/sys/net/core/somaxconn"); err == nil {
		somaxconn = b
	}
	for _, tc := range []struct {
		name string
		opts []anyio.TCPListenerOption
		want int
	}{
		{"Explicit", []anyio.TCPListenerOption{anyio.Backlog(3)}, 3},
		{"Zero", []anyio.TCPListenerOption{anyio.Backlog(0)}, 0},
		{"Capped", []anyio.TCPListenerOption{anyio.Backlog(1 << 20)}, min(65536, somaxconn)},
		{"Default", nil, somaxconn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				multi, err := anyio.CreateTCPListener(ctx, append([]anyio.TCPListenerOption{anyio.LocalHost("127.0.0.1")}, tc.opts...)...)
				if err != nil {
					return err
				}
				defer multi.Close(ctx)
				if got := skListenBacklog(t, multi.Listeners()[0]); got != tc.want {
					t.Errorf("the kernel's backlog of the listener = %d, want %d", got, tc.want)
				}
				return nil
			})
		})
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := anyio.CreateTCPListener(ctx, anyio.Backlog(-1)); err == nil {
			t.Error("Backlog(-1) was accepted")
		}
		return nil
	})
}

// skListenBacklog returns the maximum length of the accept queue of a
// listening socket, as the kernel reports it in TCP_INFO (tcpi_sacked).
func skListenBacklog(t *testing.T, l anyio.TypedAttributeProvider) int {
	t.Helper()
	var info *unix.TCPInfo
	var err error
	skRaw(t, l).Control(func(fd uintptr) { info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
	if err != nil {
		t.Fatalf("TCP_INFO: %v", err)
	}
	return int(info.Sacked)
}

func TestTCPListenerServe(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer multi.Close(ctx)
		port, _ := anyio.Extra(multi, anyio.SocketAttribute.LocalPort)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				err := multi.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
					defer s.Close(ctx)
					buf := make([]byte, 64)
					for {
						n, err := s.Receive(ctx, buf)
						if errors.Is(err, anyio.ErrEndOfStream) {
							return nil
						}
						if err != nil {
							return err
						}
						if err := s.Send(ctx, buf[:n]); err != nil {
							return err
						}
					}
				}, nil)
				if !errors.Is(err, anyio.ErrCancelled) {
					t.Errorf("Serve after cancellation = %v, want a cancellation", err)
				}
				return nil
			})
			for i := range 3 {
				c, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
				if err != nil {
					return err
				}
				msg := []byte{'a' + byte(i)}
				c.Send(ctx, msg)
				got := make([]byte, 1)
				if _, err := c.Receive(ctx, got); err != nil || got[0] != msg[0] {
					t.Errorf("client %d: echo = %q, %v", i, got, err)
				}
				c.Close(ctx)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

func TestTCPListenerServeHalfClosedClient(t *testing.T) {
	// AnyIO's test_send_after_eof and test_eof_after_send.
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost(fam.loopback), anyio.Family(fam.family))
				if err != nil {
					return err
				}
				defer multi.Close(ctx)
				addr, _ := anyio.Extra(multi, anyio.SocketAttribute.LocalAddress)
				var received []byte
				err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						return multi.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
							defer s.Close(ctx)
							buf := make([]byte, 16)
							n, err := s.Receive(ctx, buf)
							if err != nil {
								return err
							}
							received = append(received, buf[:n]...)
							if _, err := s.Receive(ctx, buf); !errors.Is(err, anyio.ErrEndOfStream) {
								t.Errorf("Receive after the client's half-close = %v, want anyio.ErrEndOfStream", err)
							}
							err = s.Send(ctx, []byte("Hello\n"))
							tg.CancelScope().Cancel()
							return err
						}, tg)
					})
					client, err := net.Dial("tcp", addr.String())
					if err != nil {
						return err
					}
					defer client.Close()
					client.Write([]byte("Hello"))
					client.(*net.TCPConn).CloseWrite()
					reply, err := io.ReadAll(client)
					if err != nil || string(reply) != "Hello\n" {
						t.Errorf("reply after the half-close = %q, %v", reply, err)
					}
					return nil
				})
				if string(received) != "Hello" {
					t.Errorf("the handler received %q", received)
				}
				return err
			})
		})
	}
}

func TestTCPListenerCloseDuringServe(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		l := multi.Listeners()[0].(anyio.SocketListener)
		err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return skRetryBusy(func() error {
					return multi.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error { return s.Close(ctx) }, nil)
				})
			})
			skWaitBusy(t, func(ctx context.Context) error { _, err := l.Accept(ctx); return err })
			return multi.Close(ctx)
		})
		skWantErr(t, "the group of a Serve whose listener was closed", err, anyio.ErrClosedResource)
		return nil
	})
}

func TestWrapListener(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				raw := skListen(t, fam)
				l := anyio.WrapListener(raw)
				defer l.Close(ctx)
				if got, _ := anyio.Extra(l, anyio.SocketAttribute.Family); got != fam.family {
					t.Errorf("Family = %v, want %v", got, fam.family)
				}
				skEcho(t, ctx, l)
				return nil
			})
		})
	}
	t.Run("WithoutDeadline", func(t *testing.T) {
		// A listener that cannot be interrupted by a deadline is accepted
		// from by a helper goroutine; a cancelled Accept leaves the
		// connection to the next one.
		anyiotest.Run(t, func(ctx context.Context) error {
			raw := skListen(t, skFamilies(t)[0])
			l := anyio.WrapListener(struct{ net.Listener }{raw})
			defer l.Close(ctx)
			scope := anyio.MoveOnAfter(10 * time.Millisecond)
			scope.Run(ctx, func(ctx context.Context) error {
				_, err := l.Accept(ctx)
				skWantErr(t, "cancelled Accept", err, anyio.ErrCancelled)
				return err
			})
			skEcho(t, ctx, l)
			return nil
		})
	})
}
