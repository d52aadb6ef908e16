package tlsstream_test

// Tests of the typed attributes of TLS streams.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

func TestStreamAttributes(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				ct, st := tcpPair(t)
				ccfg, scfg := ca.ClientConfig(), ca.ServerConfig()
				ccfg.MaxVersion, scfg.MaxVersion = v.max, v.max
				ccfg.NextProtos, scfg.NextProtos = []string{"h2"}, []string{"h2"}
				client := ca.IssueCert(t, "dummy-client")
				ccfg.Certificates = []tls.Certificate{client.TLS}
				scfg.ClientAuth = tls.RequireAndVerifyClientCert
				c, s, err := handshake(t, ctx, ct, st,
					[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ccfg)},
					[]tlsstream.Option{tlsstream.Config(scfg)})
				if err != nil {
					return err
				}
				defer c.Close(ctx)
				defer s.Close(ctx)
				// The transport's socket attributes pass through.
				for _, a := range []*anyio.TypedAttribute[int]{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort} {
					if got, want := anyio.ExtraOr(c, a, -1), anyio.ExtraOr(ct, a, -2); got != want {
						t.Errorf("%v = %d, transport's = %d", a, got, want)
					}
				}
				if fam, _ := anyio.Extra(c, anyio.SocketAttribute.Family); fam != anyio.AFInet {
					t.Errorf("Family through TLS = %v", fam)
				}
				for _, side := range []struct {
					name   string
					s      *tlsstream.Stream
					server bool
					peer   string
				}{{"client", c, false, "localhost"}, {"server", s, true, "dummy-client"}} {
					get := func(a any) any { return side.s.ExtraAttributes()[a]() }
					if got := get(tlsstream.Attribute.ALPNProtocol); got != "h2" {
						t.Errorf("%s: ALPNProtocol = %v", side.name, got)
					}
					_, err := anyio.Extra(side.s, tlsstream.Attribute.ChannelBindingTLSUnique)
					if v.max == tls.VersionTLS13 {
						if !errors.Is(err, anyio.ErrTypedAttributeLookup) {
							t.Errorf("%s: ChannelBindingTLSUnique under TLS 1.3: %v, want it absent", side.name, err)
						}
					} else if u, _ := anyio.Extra(side.s, tlsstream.Attribute.ChannelBindingTLSUnique); len(u) == 0 {
						t.Errorf("%s: ChannelBindingTLSUnique under TLS 1.2 is empty", side.name)
					}
					if cs, _ := anyio.Extra(side.s, tlsstream.Attribute.Cipher); tls.CipherSuiteName(cs) == "" || cs == 0 {
						t.Errorf("%s: Cipher = %#x", side.name, cs)
					}
					cert, _ := anyio.Extra(side.s, tlsstream.Attribute.PeerCertificate)
					if cert == nil || cert.Subject.CommonName != side.peer {
						t.Errorf("%s: PeerCertificate = %v, want %s's", side.name, cert, side.peer)
					}
					if raw, _ := anyio.Extra(side.s, tlsstream.Attribute.PeerCertificateBinary); cert == nil || !bytes.Equal(raw, cert.Raw) {
						t.Errorf("%s: PeerCertificateBinary does not match", side.name)
					}
					if got, _ := anyio.Extra(side.s, tlsstream.Attribute.ServerSide); got != side.server {
						t.Errorf("%s: ServerSide = %v", side.name, got)
					}
					shared, _ := anyio.Extra(side.s, tlsstream.Attribute.SharedCiphers)
					if side.server && len(shared) < 2 {
						t.Errorf("server: SharedCiphers = %v, want several", shared)
					} else if !side.server && shared != nil {
						t.Errorf("client: SharedCiphers = %v, want nil", shared)
					}
					if st, _ := anyio.Extra(side.s, tlsstream.Attribute.ConnectionState); !st.HandshakeComplete {
						t.Errorf("%s: ConnectionState.HandshakeComplete = false", side.name)
					}
					if sc, _ := anyio.Extra(side.s, tlsstream.Attribute.StandardCompatible); !sc {
						t.Errorf("%s: StandardCompatible = false", side.name)
					}
					if ver, _ := anyio.Extra(side.s, tlsstream.Attribute.TLSVersion); ver != v.max {
						t.Errorf("%s: TLSVersion = %s, want %s", side.name, tls.VersionName(ver), tls.VersionName(v.max))
					}
				}
				return nil
			})
		})
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

// Ports AnyIO's TestTLSStream.test_extra_attributes: a client TLS stream
// over TCP to a server that is not anyio offers every socket attribute of
// its transport unchanged, and the TLS attributes of the session.
func TestStreamExtraAttributes(t *testing.T) {
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
