// Package peertest runs the real peers of anyio's interoperability tests —
// Python's AnyIO (the Debian package python3-anyio) and the openssl command
// line — as child processes whose output a test reads line by line.
//
// A missing peer skips the test with a message naming the Debian package to
// install, unless the environment sets ANYIO_REQUIRE_PEERS=1 (as .ci/run
// does), in which case it fails the test.
package peertest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Missing skips or fails t for a peer that is not installed: pkg is the
// Debian package that provides it, why what was looked for.
func Missing(t testing.TB, pkg, why string) {
	t.Helper()
	if os.Getenv("ANYIO_REQUIRE_PEERS") == "1" {
		t.Fatalf("peer missing (install the Debian package %s): %s", pkg, why)
	}
	t.Skipf("peer missing: install the Debian package %s to run this test (%s)", pkg, why)
}

// Python returns the path of a Python interpreter that can import anyio.
func Python(t testing.TB) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err == nil && exec.Command(path, "-c", "import anyio").Run() == nil {
			return path
		}
	}
	Missing(t, "python3-anyio", "no python3 can import anyio")
	return ""
}

// Peer is a running peer process.
type Peer struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// Start starts a peer that is killed after timeout at the latest, and when
// the test ends. stdin is its input (nil: none); its standard output is read
// with Line.
func Start(t testing.TB, timeout time.Duration, stdin []byte, name string, args ...string) *Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	p := &Peer{cmd: exec.CommandContext(ctx, name, args...)}
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

// Line returns the next line the peer prints, without surrounding space; a
// peer that ends its output first fails the test.
func (p *Peer) Line(t testing.TB) string {
	t.Helper()
	s, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the peer's output: %v (stderr: %s)", err, p.stderr.String())
	}
	return strings.TrimSpace(s)
}

// Wait waits for the peer to exit, and fails the test unless it succeeded.
func (p *Peer) Wait(t testing.TB) {
	t.Helper()
	rest, _ := io.ReadAll(p.out)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("peer %v: %v\nstdout: %s\nstderr: %s", p.cmd.Args, err, rest, p.stderr.String())
	}
}
