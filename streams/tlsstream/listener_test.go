package tlsstream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// tcpListener returns a TCP listener on 127.0.0.1 and its port.
func tcpListener(t *testing.T, ctx context.Context) (*anyio.MultiListener[anyio.SocketStream], int) {
	t.Helper()
	multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	port, _ := anyio.Extra(multi, anyio.SocketAttribute.LocalPort)
	return multi, port
}

func TestListenerHandshakeFailure(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		failures := make(chan error, 1)
		var transport anyio.ByteStream
		l := tlsstream.NewListener(multi, ca.ServerConfig(), tlsstream.HandshakeErrorHandler(
			func(ctx context.Context, err error, s anyio.ByteStream) {
				transport = s
				tlsstream.HandleHandshakeError(ctx, err, s)
				failures <- err
			}))
		defer l.Close(ctx)
		if sc, _ := anyio.Extra(l, tlsstream.Attribute.StandardCompatible); !sc {
			t.Error("the listener's StandardCompatible is false")
		}
		if p, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort); p != port {
			t.Errorf("the listener's LocalPort = %d, want %d", p, port)
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
					t.Error("the handler was called for a failed handshake")
					return s.Close(ctx)
				}, nil)
			})
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
			if err != nil {
				return err
			}
			c.Close() // before the handshake
			err = <-failures
			if !errors.Is(err, anyio.ErrBrokenResource) {
				t.Errorf("handshake error = %v, want anyio.ErrBrokenResource", err)
			}
			if _, ok := transport.(anyio.SocketStream); !ok {
				t.Errorf("the handler got a %T, want the accepted socket stream", transport)
			}
			if err := transport.Send(ctx, []byte("x")); !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("the failed transport was not closed: Send = %v", err)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

func itoa(n int) string { return (&net.TCPAddr{Port: n}).String()[1:] }

// recordHandler is a slog.Handler that keeps its records.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func TestHandleHandshakeErrorLogs(t *testing.T) {
	h := &recordHandler{}
	old := slog.Default()
	slog.SetDefault(slog.New(h))
	defer slog.SetDefault(old)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := tcpPair(t)
		defer st.Close(ctx)
		failure := errors.New("handshake went wrong")
		tlsstream.HandleHandshakeError(ctx, failure, ct)
		if err := ct.Send(ctx, []byte("x")); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("the stream was not closed: Send = %v", err)
		}
		// A cancellation is not logged.
		ct2, st2 := tcpPair(t)
		defer st2.Close(ctx)
		tlsstream.HandleHandshakeError(ctx, anyio.ErrCancelled, ct2)
		return nil
	})
	if len(h.records) != 1 {
		t.Fatalf("%d log records, want 1", len(h.records))
	}
	r := h.records[0]
	var logged error
	var remote string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "error":
			logged, _ = a.Value.Any().(error)
		case "remote":
			remote = a.Value.String()
		}
		return true
	})
	if r.Level != slog.LevelError || !strings.Contains(r.Message, "TLS handshake") || logged == nil || logged.Error() != "handshake went wrong" {
		t.Errorf("log record = %v %q error=%v", r.Level, r.Message, logged)
	}
	if !strings.HasPrefix(remote, "127.0.0.1:") {
		t.Errorf("logged remote = %q", remote)
	}
}

// mutualH2Configs returns the server and client configurations of a fresh
// CA for a session that offers ALPN "h2" and in which the client presents a
// certificate for "dummy-client", which the server requires and verifies.
func mutualH2Configs(t *testing.T) (scfg, ccfg *tls.Config) {
	t.Helper()
	ca := anyiotest.NewCA(t)
	scfg = ca.ServerConfig()
	scfg.NextProtos = []string{"h2"}
	scfg.ClientAuth = tls.RequireAndVerifyClientCert
	ccfg = ca.ClientConfig()
	ccfg.NextProtos = []string{"h2"}
	ccfg.Certificates = []tls.Certificate{ca.IssueCert(t, "dummy-client").TLS}
	return scfg, ccfg
}

func TestListenerServe(t *testing.T) {
	scfg, ccfg := mutualH2Configs(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		l := tlsstream.NewListener(multi, scfg, tlsstream.HandshakeErrorHandler(func(ctx context.Context, err error, s anyio.ByteStream) {
			t.Errorf("handshake failed: %v", err)
			anyio.CloseForcefully(s)
		}))
		defer l.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
					defer s.Close(ctx)
					if p, _ := anyio.Extra(s, tlsstream.Attribute.ALPNProtocol); p != "h2" {
						t.Errorf("ALPNProtocol = %q", p)
					}
					if cert, _ := anyio.Extra(s, tlsstream.Attribute.PeerCertificate); cert == nil || cert.Subject.CommonName != "dummy-client" {
						t.Errorf("PeerCertificate = %v", cert)
					}
					if server, _ := anyio.Extra(s, tlsstream.Attribute.ServerSide); !server {
						t.Error("ServerSide = false in the listener's stream")
					}
					if shared, _ := anyio.Extra(s, tlsstream.Attribute.SharedCiphers); len(shared) < 2 {
						t.Errorf("SharedCiphers = %v", shared)
					}
					buf := make([]byte, 64)
					for {
						n, err := s.Receive(ctx, buf)
						if errors.Is(err, anyio.ErrEndOfStream) {
							return nil
						}
						if err != nil {
							return err
						}
						if err := s.Send(ctx, bytes.ToUpper(buf[:n])); err != nil {
							return err
						}
					}
				}, nil)
			})
			for i := range 3 {
				c, err := tlsstream.Connect(ctx, "localhost", port, ccfg)
				if err != nil {
					return err
				}
				msg := []byte("client " + itoa(i))
				c.Send(ctx, msg)
				buf := make([]byte, 64)
				n, err := c.Receive(ctx, buf)
				if err != nil || string(buf[:n]) != strings.ToUpper(string(msg)) {
					t.Errorf("echo = %q, %v", buf[:n], err)
				}
				c.Close(ctx)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

func TestListenerHandshakeTimeout(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		failures := make(chan error, 1)
		l := tlsstream.NewListener(multi, ca.ServerConfig(),
			tlsstream.HandshakeTimeout(20*time.Millisecond),
			tlsstream.StandardCompatible(false),
			tlsstream.HandshakeErrorHandler(func(ctx context.Context, err error, s anyio.ByteStream) {
				anyio.CloseForcefully(s)
				failures <- err
			}))
		defer l.Close(ctx)
		if sc, _ := anyio.Extra(l, tlsstream.Attribute.StandardCompatible); sc {
			t.Error("the listener's StandardCompatible is true")
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error { return s.Close(ctx) }, nil)
			})
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
			if err != nil {
				return err
			}
			defer c.Close()
			// The client says nothing.
			if err := <-failures; !errors.Is(err, anyio.ErrTimeout) {
				t.Errorf("handshake error of a silent client = %v, want anyio.ErrTimeout", err)
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

func TestConnectFailures(t *testing.T) {
	ca, other := anyiotest.NewCA(t), anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		l := tlsstream.NewListener(multi, ca.ServerConfig(), tlsstream.HandshakeErrorHandler(
			func(ctx context.Context, err error, s anyio.ByteStream) { anyio.CloseForcefully(s) }))
		defer l.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error { return s.Close(ctx) }, nil)
			})
			_, err := tlsstream.Connect(ctx, "127.0.0.1", port, other.ClientConfig())
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Errorf("Connect with an untrusting client = %v, want a certificate error", err)
			}
			_, err = tlsstream.Connectable{Transport: anyio.TCPConnectable{Host: "127.0.0.1", Port: port}, Config: other.ClientConfig()}.Connect(ctx)
			var cf *anyio.ConnectionFailedError
			if !errors.As(err, &cf) || !errors.As(err, &verr) {
				t.Errorf("Connectable.Connect with an untrusting client = %v, want *anyio.ConnectionFailedError", err)
			}
			// The TCPConnectable's host is the name verified.
			s, err := tlsstream.Connectable{Transport: anyio.TCPConnectable{Host: "localhost", Port: port}, Config: ca.ClientConfig()}.Connect(ctx)
			if err != nil {
				return err
			}
			if _, ok := s.(*tlsstream.Stream); !ok {
				t.Errorf("Connectable.Connect returned a %T", s)
			}
			s.Close(ctx)
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// memoryConnectable hands out one end of memory stream pairs, serving
// the other end with TLS.
type memoryConnectable struct {
	tg  *anyio.TaskGroup
	cfg *tls.Config
}

func (m memoryConnectable) Connect(ctx context.Context) (anyio.ByteStream, error) {
	c, s := memoryPair(1)
	m.tg.StartSoon(func(ctx context.Context) error {
		ts, err := tlsstream.Wrap(ctx, s, tlsstream.ServerSide(true), tlsstream.Config(m.cfg))
		if err != nil {
			return err
		}
		defer ts.Close(ctx)
		buf := make([]byte, 64)
		n, err := ts.Receive(ctx, buf)
		if err != nil {
			return err
		}
		return ts.Send(ctx, append([]byte("hello, "), buf[:n]...))
	})
	return c, nil
}

func TestConnectableOverMemory(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			c := tlsstream.Connectable{
				Transport: memoryConnectable{tg: tg, cfg: ca.ServerConfig()},
				Config:    ca.ClientConfig(),
				Hostname:  "localhost",
			}
			s, err := c.Connect(ctx)
			if err != nil {
				return err
			}
			defer s.Close(ctx)
			s.Send(ctx, []byte("world"))
			buf := make([]byte, 64)
			n, err := s.Receive(ctx, buf)
			if err != nil || string(buf[:n]) != "hello, world" {
				t.Errorf("Receive = %q, %v", buf[:n], err)
			}
			return nil
		})
	})
}

// Ports AnyIO's TestTLSListener.test_extra_attributes: a stream that a
// Listener hands to its handler, for a client that is not anyio and
// presents a certificate, offers the TLS attributes of the server side;
// closing it sends close_notify.
func TestListenerExtraAttributes(t *testing.T) {
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
