package tlsstream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// testTimeout bounds the waits that anyiotest.Run's own timeout does not
// cover (a peer process, a handshake outside a Run, a raw deadline): a safety
// net against hangs, never a synchronisation.
const testTimeout = 30 * time.Second

// memoryPair returns two byte streams joined by memory object streams.
func memoryPair(buffer int) (anyio.ByteStream, anyio.ByteStream) {
	s1, r1 := anyio.NewMemoryObjectStream[[]byte](buffer)
	s2, r2 := anyio.NewMemoryObjectStream[[]byte](buffer)
	return anyio.ObjectToByteStream(stapled.NewObjectStream(s1, r2)),
		anyio.ObjectToByteStream(stapled.NewObjectStream(s2, r1))
}

// tcpPair returns the two ends of a loopback TCP connection as anyio
// streams.
func tcpPair(t *testing.T) (anyio.SocketStream, anyio.SocketStream) {
	t.Helper()
	ctx := context.Background()
	multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer multi.Close(ctx)
	l := multi.Listeners()[0].(anyio.SocketListener)
	port, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
	c, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// handshake wraps both ends of a transport pair concurrently and returns
// the client and the server stream.
func handshake(t *testing.T, ctx context.Context, ct, st anyio.ByteStream, copts, sopts []tlsstream.Option) (*tlsstream.Stream, *tlsstream.Stream, error) {
	t.Helper()
	var client, server *tlsstream.Stream
	var cerr, serr error
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			server, serr = tlsstream.Wrap(ctx, st, sopts...)
			return nil
		})
		client, cerr = tlsstream.Wrap(ctx, ct, copts...)
		if cerr != nil {
			// A client that fails before it says anything leaves the
			// server waiting.
			tg.CancelScope().Cancel()
		}
		return nil
	})
	if cerr != nil && errors.Is(serr, anyio.ErrCancelled) {
		serr = nil
	}
	if err == nil {
		err = errors.Join(cerr, serr)
	}
	return client, server, err
}

// tlsPair returns a client and a server TLS stream over the transports
// that mk makes, with TLS version max (0: the highest).
func tlsPair(t *testing.T, ca *anyiotest.CA, ct, st anyio.ByteStream, max uint16) (*tlsstream.Stream, *tlsstream.Stream) {
	t.Helper()
	ccfg, scfg := ca.ClientConfig(), ca.ServerConfig()
	ccfg.MaxVersion, scfg.MaxVersion = max, max
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, s, err := handshake(t, ctx, ct, st,
		[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ccfg)},
		[]tlsstream.Option{tlsstream.ServerSide(true), tlsstream.Config(scfg)})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestTLSStreamConformance(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}} {
		t.Run(v.name+"/TCP", func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				ct, st := tcpPair(t)
				return tlsPair(t, ca, ct, st, v.max)
			})
		})
		t.Run(v.name+"/Memory", func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				ct, st := memoryPair(4)
				return tlsPair(t, ca, ct, st, v.max)
			})
		})
	}
}

func TestTLSStreamSendReceiveWithCryptoTLSServer(t *testing.T) {
	ca := anyiotest.NewCA(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		buf := make([]byte, 10)
		n, err := c.Read(buf)
		if err == nil {
			b := buf[:n]
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
			_, err = c.Write(b)
		}
		done <- err
	}()
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := tlsstream.Connect(ctx, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, ca.ClientConfig())
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if err := s.Send(ctx, []byte("hello")); err != nil {
			return err
		}
		buf := make([]byte, 10)
		n, err := s.Receive(ctx, buf)
		if err != nil || string(buf[:n]) != "olleh" {
			t.Errorf("Receive = %q, %v; want %q", buf[:n], err, "olleh")
		}
		if _, err := s.Receive(ctx, nil); !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive(nil) = %v, want anyio.ErrEmptyBuffer", err)
		}
		return <-done
	})
}

func TestTLSStreamUnicodeHostnameIDNA2008(t *testing.T) {
	ca := anyiotest.NewCA(t)
	scfg := ca.ServerConfig()
	// "faß.de" is "xn--fa-hia.de" in IDNA 2008, but "fass.de" in IDNA 2003.
	scfg.Certificates = []tls.Certificate{ca.IssueCert(t, "xn--fa-hia.de").TLS}
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(1)
		c, s, err := handshake(t, ctx, ct, st,
			[]tlsstream.Option{tlsstream.Hostname("faß.de"), tlsstream.Config(ca.ClientConfig())},
			[]tlsstream.Option{tlsstream.Config(scfg)})
		if err != nil {
			return err
		}
		c.Close(ctx)
		s.Close(ctx)
		// And a name that is no valid IDN is refused before any handshake.
		if _, err := tlsstream.Wrap(ctx, ct, tlsstream.Hostname("-ä.de"), tlsstream.Config(ca.ClientConfig())); err == nil || !strings.Contains(err.Error(), "IDNA") {
			t.Errorf("Wrap with Hostname(-ä.de) = %v, want an IDNA error", err)
		}
		return nil
	})
}

func TestTLSStreamAttributes(t *testing.T) {
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

func TestTLSStreamNoPeerCertificate(t *testing.T) {
	ca := anyiotest.NewCA(t)
	ct, st := memoryPair(2)
	c, s := tlsPair(t, ca, ct, st, 0)
	defer anyio.CloseForcefully(c)
	defer anyio.CloseForcefully(s)
	cert, err := anyio.Extra(s, tlsstream.Attribute.PeerCertificate)
	if err != nil || cert != nil {
		t.Errorf("server's PeerCertificate without a client certificate = %v, %v; want nil", cert, err)
	}
	if raw, err := anyio.Extra(s, tlsstream.Attribute.PeerCertificateBinary); err != nil || raw != nil {
		t.Errorf("server's PeerCertificateBinary = %v, %v; want nil", raw, err)
	}
}

func TestTLSStreamALPN(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(2)
		ccfg, scfg := ca.ClientConfig(), ca.ServerConfig()
		scfg.NextProtos = []string{"dummy1", "dummy2"}
		ccfg.NextProtos = []string{"dummy2", "dummy3"}
		c, s, err := handshake(t, ctx, ct, st,
			[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ccfg)},
			[]tlsstream.Option{tlsstream.Config(scfg)})
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		defer s.Close(ctx)
		for _, x := range []*tlsstream.Stream{c, s} {
			if p, _ := anyio.Extra(x, tlsstream.Attribute.ALPNProtocol); p != "dummy2" {
				t.Errorf("ALPNProtocol = %q, want dummy2", p)
			}
		}
		return nil
	})
}

func TestTLSStreamHandshakeFailure(t *testing.T) {
	ca, other := anyiotest.NewCA(t), anyiotest.NewCA(t)
	for _, tc := range []struct {
		name  string
		copts []tlsstream.Option
		want  func(error) bool
	}{
		{"UntrustedCA", []tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(other.ClientConfig())},
			func(err error) bool { var e *tls.CertificateVerificationError; return errors.As(err, &e) }},
		{"WrongHostname", []tlsstream.Option{tlsstream.Hostname("example.com"), tlsstream.Config(ca.ClientConfig())},
			func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) }},
		{"NoHostnameClient", []tlsstream.Option{tlsstream.ServerSide(false), tlsstream.Config(ca.ClientConfig())},
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "ServerName") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				ct, st := tcpPair(t)
				defer ct.Close(ctx)
				defer st.Close(ctx)
				c, s, err := handshake(t, ctx, ct, st, tc.copts, []tlsstream.Option{tlsstream.Config(ca.ServerConfig())})
				if err == nil {
					c.Close(ctx)
					s.Close(ctx)
					t.Fatal("the handshake succeeded")
				}
				if !tc.want(err) {
					t.Errorf("handshake error = %v", err)
				}
				// Wrap closed neither transport: both still work.
				if err := ct.Send(ctx, []byte("plain")); err != nil && !errors.Is(err, anyio.ErrBrokenResource) {
					t.Errorf("the client transport after a failed Wrap: Send = %v", err)
				}
				if errors.Is(ct.Send(ctx, []byte("x")), anyio.ErrClosedResource) || errors.Is(st.Send(ctx, []byte("x")), anyio.ErrClosedResource) {
					t.Error("a failed Wrap closed its transport")
				}
				return nil
			})
		})
	}
	t.Run("DefaultConfigServerWithoutCertificate", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			ct, st := memoryPair(2)
			_, _, err := handshake(t, ctx, ct, st,
				[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig())},
				nil) // no hostname and no Config: a server without a certificate
			if err == nil {
				t.Error("a server without a certificate completed a handshake")
			}
			return nil
		})
	})
}

func TestTLSStreamHandshakeCancelled(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(2) // nobody serves st
		defer st.Close(ctx)
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := tlsstream.Wrap(ctx, ct, tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()))
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Wrap cancelled during the handshake = %v", err)
			}
			return err
		})
		if err := ct.Close(ctx); err != nil {
			t.Errorf("the transport of a cancelled Wrap was closed already: %v", err)
		}
		return nil
	})
}

func TestTLSStreamUnwrap(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := tcpPair(t)
		c, s := tlsPair(t, ca, ct, st, 0)
		// The server sends, then unwraps and goes on in plaintext.
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := s.Send(ctx, []byte("encrypted")); err != nil {
					return err
				}
				plain, rest, err := s.Unwrap(ctx)
				if err != nil {
					return err
				}
				if len(rest) != 0 {
					t.Errorf("server: bytes after the session = %q, want none", rest)
				}
				return plain.Send(ctx, []byte("unencrypted"))
			})
			buf := make([]byte, 64)
			n, err := c.Receive(ctx, buf)
			if err != nil || string(buf[:n]) != "encrypted" {
				t.Errorf("Receive = %q, %v", buf[:n], err)
			}
			plain, rest, err := c.Unwrap(ctx)
			if err != nil {
				return err
			}
			if plain != ct {
				t.Error("Unwrap did not return the transport")
			}
			msg := append([]byte(nil), rest...)
			for len(msg) < len("unencrypted") {
				n, err := plain.Receive(ctx, buf)
				if err != nil {
					return err
				}
				msg = append(msg, buf[:n]...)
			}
			if string(msg) != "unencrypted" {
				t.Errorf("plaintext after Unwrap = %q", msg)
			}
			return nil
		})
		// The TLS streams are closed; the transports are not.
		if _, err := c.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("Receive after Unwrap = %v, want anyio.ErrClosedResource", err)
		}
		if _, _, err := c.Unwrap(ctx); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("second Unwrap = %v, want anyio.ErrClosedResource", err)
		}
		c.Close(ctx)
		if err := ct.Send(ctx, []byte("still open")); err != nil {
			t.Errorf("transport Send after Close of the unwrapped TLS stream = %v", err)
		}
		ct.Close(ctx)
		st.Close(ctx)
		return err
	})
}

// delayedReceive is a transport that, once armed, holds every Receive
// until the socket has the bytes suffix queued at its end (peeked, not
// read): then one Receive takes everything that is there.
type delayedReceive struct {
	anyio.SocketStream
	armed  atomic.Bool
	suffix []byte
}

func (d *delayedReceive) Receive(ctx context.Context, p []byte) (int, error) {
	if d.armed.Load() {
		rc, _ := anyio.Extra(d.SocketStream, anyio.SocketAttribute.RawSocket)
		peek := make([]byte, 1<<16)
		for ctx.Err() == nil {
			var n int
			rc.Control(func(fd uintptr) { n, _, _ = unix.Recvfrom(int(fd), peek, unix.MSG_PEEK|unix.MSG_DONTWAIT) })
			if n > 0 && bytes.HasSuffix(peek[:n], d.suffix) {
				break
			}
			runtime.Gosched()
		}
	}
	return d.SocketStream.Receive(ctx, p)
}

func TestTLSStreamUnwrapExactLeftover(t *testing.T) {
	// A STARTTLS-style protocol: plaintext, then TLS, then plaintext again,
	// where the server's first plaintext bytes arrive together with its
	// close_notify and must come back from Unwrap, exactly.
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		rawc, st := tcpPair(t)
		defer rawc.Close(ctx)
		defer st.Close(ctx)
		greeting := []byte("220 ready for plaintext again\r\n")
		ct := &delayedReceive{SocketStream: rawc, suffix: greeting}
		clientReady := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { // the server
				line := make([]byte, len("STARTTLS\r\n"))
				if _, err := io.ReadFull(anyio.AsReader(ctx, st), line); err != nil || string(line) != "STARTTLS\r\n" {
					return errors.Join(err, errors.New("server: no STARTTLS"))
				}
				if err := st.Send(ctx, []byte("220 go ahead\r\n")); err != nil {
					return err
				}
				s, err := tlsstream.Wrap(ctx, st, tlsstream.Config(ca.ServerConfig()))
				if err != nil {
					return err
				}
				if err := s.Send(ctx, []byte("secret")); err != nil {
					return err
				}
				<-clientReady
				plain, rest, err := s.Unwrap(ctx)
				if err != nil {
					return err
				}
				if len(rest) != 0 {
					t.Errorf("server leftover = %q", rest)
				}
				return plain.Send(ctx, greeting)
			})
			if err := ct.Send(ctx, []byte("STARTTLS\r\n")); err != nil {
				return err
			}
			reply := make([]byte, len("220 go ahead\r\n"))
			if _, err := io.ReadFull(anyio.AsReader(ctx, ct), reply); err != nil {
				return err
			}
			c, err := tlsstream.Wrap(ctx, ct, tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()))
			if err != nil {
				return err
			}
			secret := make([]byte, 6)
			if _, err := io.ReadFull(anyio.AsReader(ctx, c), secret); err != nil || string(secret) != "secret" {
				return errors.Join(err, errors.New("client: no secret"))
			}
			// From now on the transport hands over everything at once, once
			// the server's plaintext is there.
			ct.armed.Store(true)
			close(clientReady)
			plain, rest, err := c.Unwrap(ctx)
			if err != nil {
				return err
			}
			if !bytes.Equal(rest, greeting) {
				t.Errorf("Unwrap's leftover = %q, want exactly %q", rest, greeting)
			}
			if plain != anyio.ByteStream(ct) {
				t.Error("Unwrap returned another transport")
			}
			return nil
		})
	})
}

func TestTLSStreamRaggedEOF(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, tc := range []struct {
		name                   string
		server, client         bool // standard compatible
		wantClient, wantServer error
	}{
		{"BothStandard", true, true, anyio.ErrEndOfStream, nil},
		{"ServerStandard", true, false, anyio.ErrEndOfStream, anyio.ErrBrokenResource},
		{"ClientStandard", false, true, anyio.ErrBrokenResource, nil},
		{"NeitherStandard", false, false, anyio.ErrEndOfStream, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				ct, st := tcpPair(t)
				c, s, err := handshake(t, ctx, ct, st,
					[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()), tlsstream.StandardCompatible(tc.client)},
					[]tlsstream.Option{tlsstream.Config(ca.ServerConfig()), tlsstream.StandardCompatible(tc.server)})
				if err != nil {
					return err
				}
				var serverErr error
				err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						if err := s.Send(ctx, []byte("hello")); err != nil {
							return err
						}
						if tc.server {
							// A standard server does the closing handshake.
							_, _, serverErr = s.Unwrap(ctx)
							st.Close(ctx)
						} else {
							serverErr = s.Close(ctx) // no close_notify
						}
						return nil
					})
					buf := make([]byte, 16)
					n, err := c.Receive(ctx, buf)
					if err != nil || string(buf[:n]) != "hello" {
						t.Errorf("Receive = %q, %v", buf[:n], err)
					}
					if !tc.server || tc.client {
						_, err = c.Receive(ctx, buf)
						if !errors.Is(err, tc.wantClient) {
							t.Errorf("Receive at the end = %v, want %v", err, tc.wantClient)
						}
						_, err = c.Receive(ctx, buf)
						if !errors.Is(err, tc.wantClient) {
							t.Errorf("second Receive at the end = %v, want %v", err, tc.wantClient)
						}
					}
					c.Close(ctx)
					return nil
				})
				if tc.wantServer == nil && serverErr != nil {
					t.Errorf("server's end = %v", serverErr)
				} else if tc.wantServer != nil && !errors.Is(serverErr, tc.wantServer) {
					t.Errorf("server's end = %v, want %v", serverErr, tc.wantServer)
				}
				return err
			})
		})
	}
}

func TestTLSStreamSendEOFNeedsTLS13(t *testing.T) {
	ca := anyiotest.NewCA(t)
	ct, st := memoryPair(2)
	c, s := tlsPair(t, ca, ct, st, tls.VersionTLS12)
	defer anyio.CloseForcefully(c)
	defer anyio.CloseForcefully(s)
	err := c.SendEOF(context.Background())
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "TLS 1.3") {
		t.Errorf("SendEOF under TLS 1.2 = %v, want errors.ErrUnsupported", err)
	}
}

func TestTLSStreamCancelledSend(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(0) // a Send blocks until the peer receives
		c, s := tlsPair(t, ca, ct, st, 0)
		defer anyio.CloseForcefully(c)
		defer anyio.CloseForcefully(s)
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			err := c.Send(ctx, bytes.Repeat([]byte("x"), 100000))
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Send cancelled while blocked = %v", err)
			}
			return err
		})
		if !scope.CancelledCaught() {
			t.Fatal("the Send did not block")
		}
		if err := c.Send(ctx, []byte("more")); !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Send after a cancelled Send = %v, want anyio.ErrBrokenResource", err)
		}
		// Receiving still works.
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return s.Send(ctx, []byte("reply")) })
			buf := make([]byte, 5)
			if _, err := io.ReadFull(anyio.AsReader(ctx, c), buf); err != nil || string(buf) != "reply" {
				t.Errorf("Receive after a cancelled Send = %q, %v", buf, err)
			}
			return nil
		})
	})
}

func TestTLSStreamConcurrentUnwrap(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(2)
		c, s := tlsPair(t, ca, ct, st, 0)
		defer anyio.CloseForcefully(c)
		defer anyio.CloseForcefully(s)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				for { // the probe below may hold the stream when this starts
					_, err := c.Receive(ctx, make([]byte, 1))
					var busy *anyio.BusyResourceError
					if !errors.As(err, &busy) {
						return err
					}
					runtime.Gosched()
				}
			})
			for {
				_, _, err := c.Unwrap(skCancelled)
				var busy *anyio.BusyResourceError
				if errors.As(err, &busy) {
					break
				}
				runtime.Gosched()
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

var skCancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func TestTLSStreamSessionResumption(t *testing.T) {
	// Every server-side Wrap with one Config shares its session ticket keys,
	// so a client can resume a session on a new connection.
	ca := anyiotest.NewCA(t)
	scfg := ca.ServerConfig()
	ccfg := ca.ClientConfig()
	ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	anyiotest.Run(t, func(ctx context.Context) error {
		for i := range 2 {
			ct, st := memoryPair(4)
			c, s, err := handshake(t, ctx, ct, st,
				[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ccfg)},
				[]tlsstream.Option{tlsstream.Config(scfg)})
			if err != nil {
				return err
			}
			// The client reads the session ticket with the server's reply.
			err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error { return s.Send(ctx, []byte("x")) })
				_, err := c.Receive(ctx, make([]byte, 1))
				return err
			})
			if err != nil {
				return err
			}
			st1, _ := anyio.Extra(c, tlsstream.Attribute.ConnectionState)
			if resumed := st1.DidResume; resumed != (i == 1) {
				t.Errorf("connection %d: DidResume = %v", i+1, resumed)
			}
			anyio.CloseForcefully(c)
			anyio.CloseForcefully(s)
		}
		return nil
	})
}
