package tlsstream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// portVersions are the TLS versions the ports run under.
var portVersions = []struct {
	name string
	max  uint16
}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}}

// foreignServer serves one connection on 127.0.0.1 with crypto/tls alone
// (no anyio), as AnyIO's tests use a server thread with the ssl module. It
// returns the port and a channel that receives serve's result.
func foreignServer(t *testing.T, cfg *tls.Config, serve func(c *tls.Conn) error) (int, <-chan error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout)) // a safety net only
		done <- serve(c.(*tls.Conn))
	}()
	return ln.Addr().(*net.TCPAddr).Port, done
}

// readToEnd reads from c until an error and returns it: io.EOF once the
// peer's close_notify arrived.
func readToEnd(c *tls.Conn) error {
	buf := make([]byte, 256)
	for {
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
}

// rawFD returns the descriptor behind a syscall.RawConn.
func rawFD(t *testing.T, rc syscall.RawConn) uintptr {
	t.Helper()
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil {
		t.Fatalf("RawSocket.Control: %v", err)
	}
	return fd
}

// portConnectTLS connects to 127.0.0.1:port over TCP and wraps the
// connection in a client TLS stream for "localhost" with ccfg; it returns
// the TLS stream and its transport.
func portConnectTLS(ctx context.Context, port int, ccfg *tls.Config) (*tlsstream.Stream, anyio.SocketStream, error) {
	transport, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
	if err != nil {
		return nil, nil, err
	}
	s, err := tlsstream.Wrap(ctx, transport, tlsstream.Hostname("localhost"), tlsstream.Config(ccfg))
	if err != nil {
		anyio.CloseForcefully(transport)
		return nil, nil, err
	}
	return s, transport, nil
}

// portCloseNotify closes s (what names the Close in a failure) and checks
// that the server, whose read result arrives on served, saw close_notify.
func portCloseNotify(t *testing.T, ctx context.Context, s *tlsstream.Stream, what string, served <-chan error) {
	t.Helper()
	if err := s.Close(ctx); err != nil {
		t.Errorf("%s = %v", what, err)
	}
	if err := <-served; err != io.EOF {
		t.Errorf("the server's read ended with %v, want io.EOF (close_notify)", err)
	}
}

// Ports AnyIO's TestTLSStream.test_extra_attributes: a client TLS stream
// over TCP to a server that is not anyio offers every socket attribute of
// its transport unchanged, and the TLS attributes of the session.
func TestPortTLSStreamExtraAttributes(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range portVersions {
		t.Run(v.name, func(t *testing.T) {
			scfg, ccfg := ca.ServerConfig(), ca.ClientConfig()
			scfg.MaxVersion, ccfg.MaxVersion = v.max, v.max
			scfg.NextProtos, ccfg.NextProtos = []string{"h2"}, []string{"h2"}
			// No TLS 1.3 session tickets: the client never reads after the
			// handshake, and unread bytes would turn its close into a reset.
			scfg.SessionTicketsDisabled = true
			port, served := foreignServer(t, scfg, func(c *tls.Conn) error {
				if err := c.Handshake(); err != nil {
					return err
				}
				return readToEnd(c) // until the client's close_notify
			})
			anyiotest.Run(t, func(ctx context.Context) error {
				s, transport, err := portConnectTLS(ctx, port, ccfg)
				if err != nil {
					return err
				}
				// Every socket attribute passes through.
				if got, want := anyio.ExtraOr(s, anyio.SocketAttribute.Family, -1), anyio.ExtraOr(transport, anyio.SocketAttribute.Family, -2); got != want {
					t.Errorf("Family = %v, transport's = %v", got, want)
				}
				for _, a := range []*anyio.TypedAttribute[net.Addr]{anyio.SocketAttribute.LocalAddress, anyio.SocketAttribute.RemoteAddress} {
					got, err1 := anyio.Extra(s, a)
					want, err2 := anyio.Extra(transport, a)
					if err1 != nil || err2 != nil || got == nil || got.String() != want.String() {
						t.Errorf("%v = %v (%v), transport's = %v (%v)", a, got, err1, want, err2)
					}
				}
				for _, a := range []*anyio.TypedAttribute[int]{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort} {
					got, err1 := anyio.Extra(s, a)
					want, err2 := anyio.Extra(transport, a)
					if err1 != nil || err2 != nil || got != want {
						t.Errorf("%v = %d (%v), transport's = %d (%v)", a, got, err1, want, err2)
					}
				}
				if p, _ := anyio.Extra(s, anyio.SocketAttribute.RemotePort); p != port {
					t.Errorf("RemotePort = %d, want the server's %d", p, port)
				}
				rc, err1 := anyio.Extra(s, anyio.SocketAttribute.RawSocket)
				trc, err2 := anyio.Extra(transport, anyio.SocketAttribute.RawSocket)
				if err1 != nil || err2 != nil || rc == nil || trc == nil {
					t.Errorf("RawSocket = %v (%v), transport's = %v (%v)", rc, err1, trc, err2)
				} else if rawFD(t, rc) != rawFD(t, trc) {
					t.Error("RawSocket through TLS is not the transport's socket")
				}
				// The TLS attributes.
				if p, err := anyio.Extra(s, tlsstream.Attribute.ALPNProtocol); p != "h2" || err != nil {
					t.Errorf("ALPNProtocol = %q, %v; want h2", p, err)
				}
				if cs, err := anyio.Extra(s, tlsstream.Attribute.Cipher); cs == 0 || tls.CipherSuiteName(cs) == "" || err != nil {
					t.Errorf("Cipher = %#x, %v", cs, err)
				}
				cert, err := anyio.Extra(s, tlsstream.Attribute.PeerCertificate)
				if err != nil || cert == nil || cert.Subject.CommonName != "localhost" {
					t.Errorf("PeerCertificate = %v, %v; want the server's", cert, err)
				}
				if raw, err := anyio.Extra(s, tlsstream.Attribute.PeerCertificateBinary); err != nil || cert == nil || !bytes.Equal(raw, cert.Raw) {
					t.Errorf("PeerCertificateBinary = %d bytes, %v; want the server certificate's DER", len(raw), err)
				}
				if server, err := anyio.Extra(s, tlsstream.Attribute.ServerSide); server || err != nil {
					t.Errorf("ServerSide = %v, %v; want false", server, err)
				}
				if shared, err := anyio.Extra(s, tlsstream.Attribute.SharedCiphers); shared != nil || err != nil {
					t.Errorf("SharedCiphers on the client = %v, %v; want nil", shared, err)
				}
				if st, err := anyio.Extra(s, tlsstream.Attribute.ConnectionState); !st.HandshakeComplete || st.NegotiatedProtocol != "h2" || err != nil {
					t.Errorf("ConnectionState = %+v, %v", st, err)
				}
				if sc, err := anyio.Extra(s, tlsstream.Attribute.StandardCompatible); !sc || err != nil {
					t.Errorf("StandardCompatible = %v, %v; want true", sc, err)
				}
				if ver, err := anyio.Extra(s, tlsstream.Attribute.TLSVersion); ver != v.max || !strings.HasPrefix(tls.VersionName(ver), "TLS") || err != nil {
					t.Errorf("TLSVersion = %s, %v; want %s", tls.VersionName(ver), err, tls.VersionName(v.max))
				}
				if v.max == tls.VersionTLS12 {
					if u, err := anyio.Extra(s, tlsstream.Attribute.ChannelBindingTLSUnique); len(u) == 0 || err != nil {
						t.Errorf("ChannelBindingTLSUnique under TLS 1.2 = %x, %v", u, err)
					}
				}
				// Close sends close_notify: the server sees a clean end.
				portCloseNotify(t, ctx, s, "Close", served)
				return nil
			})
		})
	}
}

// Ports AnyIO's TestTLSStream.test_receive_send_after_eof: after the peer's
// close_notify, every Receive returns anyio.ErrEndOfStream (not a TLS error),
// and closing the stream then succeeds and sends close_notify back.
func TestPortTLSStreamReceiveAfterEOF(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range portVersions {
		t.Run(v.name, func(t *testing.T) {
			scfg, ccfg := ca.ServerConfig(), ca.ClientConfig()
			scfg.MaxVersion, ccfg.MaxVersion = v.max, v.max
			port, served := foreignServer(t, scfg, func(c *tls.Conn) error {
				if _, err := c.Write([]byte("hello")); err != nil {
					return err
				}
				if err := c.CloseWrite(); err != nil { // close_notify
					return err
				}
				return readToEnd(c) // the closing handshake: wait for the client's
			})
			anyiotest.Run(t, func(ctx context.Context) error {
				s, _, err := portConnectTLS(ctx, port, ccfg)
				if err != nil {
					return err
				}
				buf := make([]byte, 64)
				n, err := s.Receive(ctx, buf)
				if err != nil || string(buf[:n]) != "hello" {
					t.Errorf("Receive = %q, %v; want hello", buf[:n], err)
				}
				for i := range 3 {
					if n, err := s.Receive(ctx, buf); n != 0 || !errors.Is(err, anyio.ErrEndOfStream) {
						t.Errorf("Receive %d after the peer's close_notify = %d, %v; want anyio.ErrEndOfStream", i+1, n, err)
					}
				}
				portCloseNotify(t, ctx, s, "Close after the end of the stream", served)
				return nil
			})
		})
	}
}

// Ports AnyIO's TestTLSListener.test_extra_attributes: a stream that a
// Listener hands to its handler, for a client that is not anyio and
// presents a certificate, offers the TLS attributes of the server side;
// closing it sends close_notify.
func TestPortTLSListenerExtraAttributes(t *testing.T) {
	scfg, ccfg := mutualH2Configs(t)
	ccfg.ServerName = "localhost"
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		l := tlsstream.NewListener(multi, scfg, tlsstream.HandshakeErrorHandler(func(ctx context.Context, err error, s anyio.ByteStream) {
			t.Errorf("TLS handshake failed: %v", err)
			tlsstream.HandleHandshakeError(ctx, err, s)
		}))
		defer l.Close(ctx)
		if sc, err := anyio.Extra(l, tlsstream.Attribute.StandardCompatible); !sc || err != nil {
			t.Errorf("the listener's StandardCompatible = %v, %v; want true", sc, err)
		}
		handled := make(chan struct{})
		clientDone := make(chan error, 1)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
					defer close(handled)
					if p, _ := anyio.Extra(s, tlsstream.Attribute.ALPNProtocol); p != "h2" {
						t.Errorf("ALPNProtocol = %q, want h2", p)
					}
					if cs, _ := anyio.Extra(s, tlsstream.Attribute.Cipher); cs == 0 || tls.CipherSuiteName(cs) == "" {
						t.Errorf("Cipher = %#x", cs)
					}
					cert, _ := anyio.Extra(s, tlsstream.Attribute.PeerCertificate)
					if cert == nil || cert.Subject.CommonName != "dummy-client" {
						t.Errorf("PeerCertificate = %v, want the client's", cert)
					}
					if raw, _ := anyio.Extra(s, tlsstream.Attribute.PeerCertificateBinary); cert == nil || !bytes.Equal(raw, cert.Raw) {
						t.Errorf("PeerCertificateBinary does not match the client certificate")
					}
					if server, _ := anyio.Extra(s, tlsstream.Attribute.ServerSide); !server {
						t.Error("ServerSide = false")
					}
					if shared, _ := anyio.Extra(s, tlsstream.Attribute.SharedCiphers); len(shared) < 2 {
						t.Errorf("SharedCiphers = %v, want more than one", shared)
					}
					if st, _ := anyio.Extra(s, tlsstream.Attribute.ConnectionState); !st.HandshakeComplete {
						t.Error("ConnectionState.HandshakeComplete = false")
					}
					if sc, _ := anyio.Extra(s, tlsstream.Attribute.StandardCompatible); !sc {
						t.Error("StandardCompatible of the accepted stream = false")
					}
					if ver, _ := anyio.Extra(s, tlsstream.Attribute.TLSVersion); !strings.HasPrefix(tls.VersionName(ver), "TLS") {
						t.Errorf("TLSVersion = %s", tls.VersionName(ver))
					}
					if err := s.Send(ctx, []byte{0}); err != nil {
						t.Errorf("Send = %v", err)
					}
					if err := s.Close(ctx); err != nil {
						t.Errorf("Close = %v", err)
					}
					return nil
				}, nil)
			})
			go func() {
				raw, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
				if err != nil {
					clientDone <- err
					return
				}
				defer raw.Close()
				raw.SetDeadline(time.Now().Add(testTimeout)) // a safety net only
				c := tls.Client(raw, ccfg)
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err != nil || b[0] != 0 {
					clientDone <- errors.Join(err, errors.New("client: no zero byte"))
					return
				}
				clientDone <- readToEnd(c)
			}()
			// The client sees the end only after the handler's Close.
			if err := <-clientDone; err != io.EOF {
				t.Errorf("the client's read ended with %v, want io.EOF (close_notify)", err)
			}
			<-handled
			tg.CancelScope().Cancel()
			return nil
		})
	})
}
