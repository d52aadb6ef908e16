package tlsstream_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/internal/peertest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// The interoperability tests run real peers that nobody here wrote:
// Python's AnyIO (the Debian package python3-anyio) and the openssl command
// line; see internal/peertest for what a missing peer does.

// writePEM writes the CA certificate and the server certificate and key.
func writePEM(t *testing.T, ca *anyiotest.CA) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for f, b := range map[string][]byte{caFile: ca.CertPEM(), certFile: ca.ServerCert().CertPEM, keyFile: ca.ServerCert().KeyPEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func receiveExactly(ctx context.Context, s anyio.ByteReceiveStream, n int, first []byte) ([]byte, error) {
	got := append([]byte(nil), first...)
	buf := make([]byte, 256)
	for len(got) < n {
		k, err := s.Receive(ctx, buf)
		if err != nil {
			return got, err
		}
		got = append(got, buf[:k]...)
	}
	return got, nil
}

func TestInteropPythonTLSServer(t *testing.T) {
	py := peertest.Python(t)
	ca := anyiotest.NewCA(t)
	_, certFile, keyFile := writePEM(t, ca)
	p := peertest.Start(t, testTimeout, nil, py, "testdata/tls_peer.py", "server", certFile, keyFile)
	port, err := strconv.Atoi(strings.TrimPrefix(p.Line(t), "port "))
	if err != nil {
		t.Fatal(err)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := tlsstream.Connect(ctx, "localhost", port, ca.ClientConfig())
		if err != nil {
			return err
		}
		if err := s.Send(ctx, []byte("hello")); err != nil {
			return err
		}
		reply, err := receiveExactly(ctx, s, 5, nil)
		if err != nil || string(reply) != "olleh" {
			t.Errorf("reply = %q, %v", reply, err)
		}
		plain, rest, err := s.Unwrap(ctx)
		if err != nil {
			return err
		}
		defer plain.Close(ctx)
		text, err := receiveExactly(ctx, plain, len("plain:olleh"), rest)
		if err != nil || string(text) != "plain:olleh" {
			t.Errorf("plaintext after Unwrap = %q, %v", text, err)
		}
		return plain.Send(ctx, []byte("bye"))
	})
	if t.Failed() {
		return // the body failed: the peer waits for what it never sent
	}
	if got := p.Line(t); got != "ok" {
		t.Errorf("the Python server says %q", got)
	}
	p.Wait(t)
}

func TestInteropPythonTLSClient(t *testing.T) {
	py := peertest.Python(t)
	ca := anyiotest.NewCA(t)
	caFile, _, _ := writePEM(t, ca)
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		defer multi.Close(ctx)
		l := multi.Listeners()[0].(anyio.SocketListener)
		p := peertest.Start(t, testTimeout, nil, py, "testdata/tls_peer.py", "client", caFile, strconv.Itoa(port))
		transport, err := l.Accept(ctx)
		if err != nil {
			return err
		}
		s, err := tlsstream.Wrap(ctx, transport, tlsstream.ServerSide(true), tlsstream.Config(ca.ServerConfig()))
		if err != nil {
			transport.Close(ctx)
			return err
		}
		msg, err := receiveExactly(ctx, s, 5, nil)
		if err != nil {
			return err
		}
		if err := s.Send(ctx, bytes.ToUpper(msg)); err != nil {
			return err
		}
		plain, rest, err := s.Unwrap(ctx)
		if err != nil {
			return err
		}
		defer plain.Close(ctx)
		if err := plain.Send(ctx, []byte("plain text")); err != nil {
			return err
		}
		bye, err := receiveExactly(ctx, plain, 3, rest)
		if err != nil || string(bye) != "bye" {
			t.Errorf("plaintext from the Python client = %q, %v", bye, err)
		}
		if got := p.Line(t); got != "ok" {
			t.Errorf("the Python client says %q", got)
		}
		p.Wait(t)
		return nil
	})
}

func TestInteropOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		peertest.Missing(t, "openssl", "no openssl command")
	}
	ca := anyiotest.NewCA(t)
	caFile, _, _ := writePEM(t, ca)
	scfg := ca.ServerConfig()
	scfg.NextProtos = []string{"h2", "http/1.1"}
	anyiotest.Run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		l := tlsstream.NewListener(multi, scfg)
		defer l.Close(ctx)
		alpn := make(chan string, 1)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
					defer s.Close(ctx)
					p, _ := anyio.Extra(s, tlsstream.Attribute.ALPNProtocol)
					alpn <- p
					line, err := receiveExactly(ctx, s, len("hello from openssl\n"), nil)
					if err != nil {
						return err
					}
					return s.Send(ctx, bytes.ToUpper(line))
				}, nil)
			})
			p := peertest.Start(t, testTimeout, []byte("hello from openssl\n"), openssl, "s_client",
				"-connect", "127.0.0.1:"+strconv.Itoa(port), "-servername", "localhost",
				"-verify_hostname", "localhost", "-CAfile", caFile, "-verify_return_error",
				"-alpn", "http/1.1", "-quiet")
			if got := <-alpn; got != "http/1.1" {
				t.Errorf("ALPN negotiated with openssl = %q, want http/1.1", got)
			}
			if got := p.Line(t); got != "HELLO FROM OPENSSL" {
				t.Errorf("openssl s_client printed %q", got)
			}
			p.Wait(t)
			tg.CancelScope().Cancel()
			return nil
		})
	})
}
