package tlsstream_test

// Tests of the TLS handshake: names, certificates, ALPN, failures,
// cancellation and session resumption.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

func TestStreamUnicodeHostnameIDNA2008(t *testing.T) {
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

func TestStreamNoPeerCertificate(t *testing.T) {
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

func TestStreamALPN(t *testing.T) {
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

func TestStreamHandshakeFailure(t *testing.T) {
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

func TestStreamHandshakeCancelled(t *testing.T) {
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

func TestStreamSessionResumption(t *testing.T) {
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
