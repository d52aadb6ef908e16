package anyio_test

import (
	"context"
	"errors"
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

func skLocalAddrPort(t *testing.T, p anyio.TypedAttributeProvider) netip.AddrPort {
	t.Helper()
	a, err := anyio.Extra(p, anyio.SocketAttribute.LocalAddress)
	if err != nil {
		t.Fatal(err)
	}
	ap := a.(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func TestUDPSocket(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s, err := anyio.CreateUDPSocket(ctx, anyio.Family(fam.family), anyio.LocalHost("localhost"))
				if fam.family == anyio.AFInet6 && err != nil {
					// "localhost" has no IPv6 address on some machines.
					s, err = anyio.CreateUDPSocket(ctx, anyio.Family(fam.family), anyio.LocalHost(fam.loopback))
				}
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != fam.family {
					t.Errorf("Family = %v, want %v", got, fam.family)
				}
				self := skLocalAddrPort(t, s)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort); got != int(self.Port()) || got == 0 {
					t.Errorf("LocalPort = %d, LocalAddress = %v", got, self)
				}
				if sa := skSockname(t, s); skSockaddrPort(sa) != int(self.Port()) {
					t.Errorf("getsockname = %v, LocalAddress = %v", sa, self)
				}
				for _, a := range []any{anyio.SocketAttribute.RemoteAddress, anyio.SocketAttribute.RemotePort} {
					if _, ok := s.ExtraAttributes()[a]; ok {
						t.Errorf("an unconnected UDP socket has %v", a)
					}
				}
				if err := s.SendTo(ctx, []byte("blah"), self.Addr().String(), int(self.Port())); err != nil {
					return err
				}
				pkt, err := s.Receive(ctx)
				if err != nil {
					return err
				}
				if string(pkt.Data) != "blah" || pkt.Addr != self {
					t.Errorf("Receive = %q from %v, want %q from %v", pkt.Data, pkt.Addr, "blah", self)
				}
				if err := s.Send(ctx, anyio.UDPPacket{Data: []byte("halb"), Addr: self}); err != nil {
					return err
				}
				if pkt, err = s.Receive(ctx); err != nil || string(pkt.Data) != "halb" {
					t.Errorf("Receive = %q, %v", pkt.Data, err)
				}
				return nil
			})
		})
	}
}

func TestUDPSocketEcho(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				server, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback))
				if err != nil {
					return err
				}
				defer server.Close(ctx)
				client, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback))
				if err != nil {
					return err
				}
				defer client.Close(ctx)
				srv := skLocalAddrPort(t, server)
				return skCheckReversedEcho(t, ctx, server, func(pkt anyio.UDPPacket) []byte { return pkt.Data },
					func(ctx context.Context, b []byte) error { return client.SendTo(ctx, b, fam.loopback, int(srv.Port())) },
					skReceiveUDP(client), srv)
			})
		})
	}
}

func TestUDPSocketUnbound(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s, err := anyio.CreateUDPSocket(ctx, anyio.Family(fam.family))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if p, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort); p <= 0 {
					t.Errorf("LocalPort = %d, want a port chosen by the system", p)
				}
				return nil
			})
		})
	}
	t.Run("DualStack", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			s, err := anyio.CreateUDPSocket(ctx)
			if err != nil {
				return err
			}
			defer s.Close(ctx)
			port, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort)
			if err := s.SendTo(ctx, []byte("v4"), "127.0.0.1", port); err != nil {
				return err
			}
			pkt, err := s.Receive(ctx)
			if err != nil {
				return err
			}
			if !pkt.Addr.Addr().Is4() {
				t.Errorf("an IPv4 sender's address = %v, want a 4-byte address", pkt.Addr)
			}
			return nil
		})
	})
}

func TestUDPSocketReusePort(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s1, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer s1.Close(ctx)
				port, _ := anyio.Extra(s1, anyio.SocketAttribute.LocalPort)
				s2, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback), anyio.LocalPort(port), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer s2.Close(ctx)
				if p2, _ := anyio.Extra(s2, anyio.SocketAttribute.LocalPort); p2 != port {
					t.Errorf("second socket on port %d, want %d", p2, port)
				}
				c1, err := anyio.CreateConnectedUDPSocket(ctx, fam.loopback, port, anyio.LocalHost(fam.loopback), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer c1.Close(ctx)
				cport, _ := anyio.Extra(c1, anyio.SocketAttribute.LocalPort)
				c2, err := anyio.CreateConnectedUDPSocket(ctx, fam.loopback, port+1, anyio.LocalHost(fam.loopback), anyio.LocalPort(cport), anyio.ReusePort())
				if err != nil {
					return err
				}
				defer c2.Close(ctx)
				if v := skSockopt(t, c2, unix.SOL_SOCKET, unix.SO_REUSEPORT); v == 0 {
					t.Error("SO_REUSEPORT is not set")
				}
				return nil
			})
		})
	}
}

func TestConnectedUDPSocket(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				peer, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost(fam.loopback))
				if err != nil {
					return err
				}
				defer peer.Close(ctx)
				pa := skLocalAddrPort(t, peer)
				s, err := anyio.CreateConnectedUDPSocket(ctx, fam.loopback, int(pa.Port()), anyio.LocalHost(fam.loopback), anyio.Family(fam.family))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != fam.family {
					t.Errorf("Family = %v", got)
				}
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.RemotePort); got != int(pa.Port()) {
					t.Errorf("RemotePort = %d, want %d", got, pa.Port())
				}
				remote, _ := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress)
				if remote.(*net.UDPAddr).AddrPort() != pa {
					t.Errorf("RemoteAddress = %v, want %v", remote, pa)
				}
				self := skLocalAddrPort(t, s)
				if err := s.Send(ctx, []byte("blah")); err != nil {
					return err
				}
				pkt, err := peer.Receive(ctx)
				if err != nil || string(pkt.Data) != "blah" || pkt.Addr != self {
					t.Errorf("peer received %q from %v (%v), want %q from %v", pkt.Data, pkt.Addr, err, "blah", self)
				}
				if err := peer.SendTo(ctx, []byte("halb"), self.Addr().String(), int(self.Port())); err != nil {
					return err
				}
				got, err := s.Receive(ctx)
				if err != nil || string(got) != "halb" {
					t.Errorf("connected Receive = %q, %v", got, err)
				}
				return nil
			})
		})
	}
}

func TestConnectedUDPSocketRefused(t *testing.T) {
	port := anyiotest.FreeUDPPort(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.CreateConnectedUDPSocket(ctx, "127.0.0.1", port)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if err := s.Send(ctx, []byte("anyone?")); err != nil {
			return err
		}
		// The ICMP "port unreachable" comes back as ECONNREFUSED on the next
		// call; the socket stays usable.
		_, err = s.Receive(ctx)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Receive after sending to a closed port = %v, want ECONNREFUSED", err)
		}
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := s.Receive(ctx)
			skWantErr(t, "Receive after the error", err, anyio.ErrCancelled)
			return err
		})
		return nil
	})
}

func TestUDPReceiveCancelledAndUsable(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		self := skLocalAddrPort(t, s)
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := s.Receive(ctx)
			skWantErr(t, "cancelled Receive", err, anyio.ErrCancelled)
			return err
		})
		s.Send(ctx, anyio.UDPPacket{Data: []byte("after"), Addr: self})
		pkt, err := s.Receive(ctx)
		if err != nil || string(pkt.Data) != "after" {
			t.Errorf("Receive after a cancelled one = %q, %v", pkt.Data, err)
		}
		return nil
	})
}

func TestWrapPacketConn(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			// AnyIO's test_aclose_waits_for_fd_release: after Close, the
			// port can be bound again at once.
			port := anyiotest.FreeUDPPort(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				for range 2 {
					pc, err := net.ListenPacket("udp", net.JoinHostPort(fam.loopback, itoaPort(port)))
					if err != nil {
						return err
					}
					s := anyio.WrapPacketConn(pc)
					if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != fam.family {
						t.Errorf("Family = %v", got)
					}
					self := skLocalAddrPort(t, s)
					s.Send(ctx, anyio.UDPPacket{Data: []byte("me"), Addr: self})
					if pkt, err := s.Receive(ctx); err != nil || pkt.Addr != self {
						t.Errorf("Receive = %v, %v", pkt, err)
					}
					if err := s.Close(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	t.Run("NotUDPConn", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				return err
			}
			s := anyio.WrapPacketConn(struct{ net.PacketConn }{pc})
			defer s.Close(ctx)
			self := pc.LocalAddr().(*net.UDPAddr).AddrPort()
			s.Send(ctx, anyio.UDPPacket{Data: []byte("generic"), Addr: self})
			pkt, err := s.Receive(ctx)
			if err != nil || string(pkt.Data) != "generic" || pkt.Addr != self {
				t.Errorf("Receive = %q from %v, %v", pkt.Data, pkt.Addr, err)
			}
			return nil
		})
	})
}

func itoaPort(p int) string { return strconv.Itoa(p) }

func TestUDPOptions(t *testing.T) {
	// Options that the UDP functions have no use for do not compile (see
	// options_compile_test.go); a value out of range is an error, and a nil
	// option is no option.
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := anyio.CreateUDPSocket(ctx, anyio.LocalPort(-1)); err == nil {
			t.Error("CreateUDPSocket accepted LocalPort(-1)")
		}
		if _, err := anyio.CreateConnectedUDPSocket(ctx, "127.0.0.1", 9, anyio.Family(anyio.AFUnix)); err == nil {
			t.Error("CreateConnectedUDPSocket accepted Family(AFUnix)")
		}
		if _, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath("")); err == nil {
			t.Error("CreateUnixDatagramSocket accepted LocalPath(\"\")")
		}
		var none anyio.UDPSocketOption
		s, err := anyio.CreateUDPSocket(ctx, none, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			t.Errorf("CreateUDPSocket with a nil option: %v", err)
			return nil
		}
		return s.Close(ctx)
	})
}
