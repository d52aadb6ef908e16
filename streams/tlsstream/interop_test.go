package tlsstream_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// The interoperability tests run real peers that nobody here wrote:
// Python's AnyIO (the Debian package python3-anyio) and the openssl command
// line. A missing peer skips the test, unless ANYIO_REQUIRE_PEERS=1 (as in
// CI), where it fails it.

// missingPeer skips or fails t for a peer that is not installed.
func missingPeer(t *testing.T, pkg, why string) {
	t.Helper()
	if os.Getenv("ANYIO_REQUIRE_PEERS") == "1" {
		t.Fatalf("peer missing (install the Debian package %s): %s", pkg, why)
	}
	t.Skipf("peer missing: install the Debian package %s to run this test (%s)", pkg, why)
}

// pythonAnyio returns a Python interpreter that can import anyio.
func pythonAnyio(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import anyio").Run() == nil {
			return path
		}
	}
	missingPeer(t, "python3-anyio", "no python3 can import anyio")
	return ""
}

// peer is a running peer process.
type peer struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// startPeer starts a peer with stdin as its input (nil: none); its stdout
// is read line by line.
func startPeer(t *testing.T, stdin []byte, name string, args ...string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	p := &peer{cmd: exec.CommandContext(ctx, name, args...)}
	p.cmd.Stderr = &p.stderr
	if stdin != nil {
		p.cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(out)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
	return p
}

// line reads the next line the peer prints.
func (p *peer) line(t *testing.T) string {
	t.Helper()
	s, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the peer's output: %v (stderr: %s)", err, p.stderr.String())
	}
	return strings.TrimSpace(s)
}

// wait waits for the peer to exit successfully.
func (p *peer) wait(t *testing.T) {
	t.Helper()
	rest, _ := io.ReadAll(p.out)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("peer %v: %v\nstdout: %s\nstderr: %s", p.cmd.Args, err, rest, p.stderr.String())
	}
}

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
	py := pythonAnyio(t)
	ca := anyiotest.NewCA(t)
	_, certFile, keyFile := writePEM(t, ca)
	p := startPeer(t, nil, py, "testdata/tls_peer.py", "server", certFile, keyFile)
	port, err := strconv.Atoi(strings.TrimPrefix(p.line(t), "port "))
	if err != nil {
		t.Fatal(err)
	}
	run(t, func(ctx context.Context) error {
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
	if got := p.line(t); got != "ok" {
		t.Errorf("the Python server says %q", got)
	}
	p.wait(t)
}

func TestInteropPythonTLSClient(t *testing.T) {
	py := pythonAnyio(t)
	ca := anyiotest.NewCA(t)
	caFile, _, _ := writePEM(t, ca)
	run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		defer multi.Close(ctx)
		l := multi.Listeners()[0].(anyio.SocketListener)
		p := startPeer(t, nil, py, "testdata/tls_peer.py", "client", caFile, strconv.Itoa(port))
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
		if got := p.line(t); got != "ok" {
			t.Errorf("the Python client says %q", got)
		}
		p.wait(t)
		return nil
	})
}

func TestInteropOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		missingPeer(t, "openssl", "no openssl command")
	}
	ca := anyiotest.NewCA(t)
	caFile, _, _ := writePEM(t, ca)
	scfg := ca.ServerConfig()
	scfg.NextProtos = []string{"h2", "http/1.1"}
	run(t, func(ctx context.Context) error {
		multi, port := tcpListener(t, ctx)
		l := tlsstream.NewListener(multi, scfg)
		defer l.Close(ctx)
		alpn := make(chan string, 1)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, func(ctx context.Context, s *tlsstream.TLSStream) error {
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
			p := startPeer(t, []byte("hello from openssl\n"), openssl, "s_client",
				"-connect", "127.0.0.1:"+strconv.Itoa(port), "-servername", "localhost",
				"-verify_hostname", "localhost", "-CAfile", caFile, "-verify_return_error",
				"-alpn", "http/1.1", "-quiet")
			if got := <-alpn; got != "http/1.1" {
				t.Errorf("ALPN negotiated with openssl = %q, want http/1.1", got)
			}
			if got := p.line(t); got != "HELLO FROM OPENSSL" {
				t.Errorf("openssl s_client printed %q", got)
			}
			p.wait(t)
			tg.CancelScope().Cancel()
			return nil
		})
	})
}
