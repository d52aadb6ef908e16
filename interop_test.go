package anyio_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
)

// The interoperability tests run Python's AnyIO (the Debian package
// python3-anyio) as the peer. A missing peer skips the test, unless
// ANYIO_REQUIRE_PEERS=1 (as in CI), where it fails it.

// skPython returns a Python interpreter that can import anyio.
func skPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err == nil && exec.Command(path, "-c", "import anyio").Run() == nil {
			return path
		}
	}
	const msg = "install the Debian package python3-anyio to run this test (no python3 can import anyio)"
	if os.Getenv("ANYIO_REQUIRE_PEERS") == "1" {
		t.Fatal("peer missing: " + msg)
	}
	t.Skip("peer missing: " + msg)
	return ""
}

// skPeer is a running peer process whose output is read line by line.
type skPeer struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

func skStartPeer(t *testing.T, name string, args ...string) *skPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), skTimeout)
	t.Cleanup(cancel)
	p := &skPeer{cmd: exec.CommandContext(ctx, name, args...)}
	p.cmd.Stderr = &p.stderr
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

func (p *skPeer) line(t *testing.T) string {
	t.Helper()
	s, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the peer's output: %v (stderr: %s)", err, p.stderr.String())
	}
	return strings.TrimSpace(s)
}

func (p *skPeer) wait(t *testing.T) {
	t.Helper()
	rest, _ := io.ReadAll(p.out)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("peer %v: %v\nstdout: %s\nstderr: %s", p.cmd.Args, err, rest, p.stderr.String())
	}
}

func TestInteropSendFDsToPython(t *testing.T) {
	py := skPython(t)
	path := skSocketPaths(t)["Path"]
	p := skStartPeer(t, py, "testdata/socket_peer.py", "receive-fds", path)
	if got := p.line(t); got != "ready" {
		t.Fatalf("the Python peer says %q", got)
	}
	f1, f2 := skFiles(t)
	skRun(t, func(ctx context.Context) error {
		s, err := anyio.ConnectUnix(ctx, path)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		return s.SendFDs(ctx, []byte("test"), []int{int(f1.Fd()), int(f2.Fd())})
	})
	if got := p.line(t); got != "test|Hello, World!" {
		t.Errorf("Python's anyio received %q, want %q", got, "test|Hello, World!")
	}
	p.wait(t)
}

func TestInteropUDPWithPython(t *testing.T) {
	py := skPython(t)
	t.Run("GoToPython", func(t *testing.T) {
		p := skStartPeer(t, py, "testdata/socket_peer.py", "udp-echo")
		port, err := strconv.Atoi(strings.TrimPrefix(p.line(t), "port "))
		if err != nil {
			t.Fatal(err)
		}
		skRun(t, func(ctx context.Context) error {
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
		p.wait(t)
	})
	t.Run("PythonToGo", func(t *testing.T) {
		skRun(t, func(ctx context.Context) error {
			srv, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			defer srv.Close(ctx)
			port, _ := anyio.Extra(srv, anyio.SocketAttribute.LocalPort)
			p := skStartPeer(t, py, "testdata/socket_peer.py", "udp-client", strconv.Itoa(port))
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
			if got := p.line(t); got != want {
				t.Errorf("Python's anyio printed %q, want %q", got, want)
			}
			p.wait(t)
			return nil
		})
	})
}
