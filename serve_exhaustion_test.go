//go:build linux

// Linux only: the test counts on Linux's accept(2), which takes a descriptor
// before it looks at the queue, so that it fails with EMFILE once the table
// is full and leaves the connection queued for a later accept.

package anyio_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"golang.org/x/sys/unix"
)

func init() { childPrograms["serve-exhaustion"] = serveExhaustionChild }

// serveExhaustionLog is what Serve logs at the start of a burst of
// failures for want of resources.
const serveExhaustionLog = "Serve cannot accept connections for want of resources"

// gatedListener is a TCP listener whose Accepts wait while it is paused
// and report their outcome to onAccept.
type gatedListener struct {
	*net.TCPListener
	onAccept func(err error)

	mu     sync.Mutex
	paused chan struct{} // non-nil while paused; closed to resume
}

func (l *gatedListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	p := l.paused
	l.mu.Unlock()
	if p != nil {
		<-p
	}
	c, err := l.TCPListener.Accept()
	l.onAccept(err)
	return c, err
}

func (l *gatedListener) pause() {
	l.mu.Lock()
	l.paused = make(chan struct{})
	l.mu.Unlock()
}

func (l *gatedListener) resume() {
	l.mu.Lock()
	close(l.paused)
	l.paused = nil
	l.mu.Unlock()
}

// lockedBuffer is a bytes.Buffer for several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// holdGeneration is the handlers holding their connections until one
// release.
type holdGeneration struct {
	release chan struct{}
	wg      sync.WaitGroup
}

// serveExhaustionChild is the server of TestServeSurvivesDescriptorExhaustion,
// run in a child process whose descriptor limit it lowers. It talks to the
// test over stdin (commands: "dialed", "release", "stop") and stdout (one
// event a line); "FAIL: ..." lines report failed checks. The clients live
// in the test's process, so that only the server's descriptors count.
func serveExhaustionChild() int {
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	failed := false
	fail := func(format string, args ...any) {
		outMu.Lock()
		failed = true
		outMu.Unlock()
		say("FAIL: "+format, args...)
	}

	logs := &lockedBuffer{}
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))

	commands := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			commands <- sc.Text()
		}
		close(commands)
	}()
	await := func(want string) bool {
		if cmd, ok := <-commands; !ok || cmd != want {
			fail("got command %q (open: %v), want %q", cmd, ok, want)
			return false
		}
		return true
	}

	// Serve's Accepts report to onAccept: the failures of each burst are
	// numbered, a success ends the burst.
	var (
		mu       sync.Mutex
		serving  bool
		failures int
		bursts   int
	)
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		tl, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		gl := &gatedListener{TCPListener: tl}
		gl.onAccept = func(err error) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case !serving:
			case err == nil:
				failures = 0
			case errors.Is(err, syscall.EMFILE):
				failures++
				if failures == 1 {
					bursts++
				}
				say("burst %d failure %d", bursts, failures)
			}
		}
		sl := anyio.WrapListener(gl)
		m := anyio.NewMultiListener[anyio.SocketStream](sl)
		defer m.Close(ctx)

		// Leave the listener six descriptors. The limit bounds descriptor
		// numbers, and a new descriptor takes the lowest free one: fill the
		// holes below the highest open descriptor first.
		highest := 0
		for fd := range 4096 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
				highest = fd
			}
		}
		for {
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if fd > highest {
				unix.Close(fd)
				break
			}
		}
		const slots = 6
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return err
		}
		lim.Cur = uint64(highest + 1 + slots)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return err
		}
		say("ready %d %d", tl.Addr().(*net.TCPAddr).Port, slots)

		// A direct Accept returns EMFILE to its caller, and succeeds again
		// once descriptors are free. The test has queued slots+1
		// connections.
		if !await("dialed") {
			return nil
		}
		var accepted []anyio.SocketStream
		for i := range slots {
			s, err := sl.Accept(ctx)
			if err != nil {
				fail("direct Accept %d of %d: %v", i+1, slots, err)
				return nil
			}
			accepted = append(accepted, s)
		}
		if s, err := sl.Accept(ctx); !errors.Is(err, syscall.EMFILE) {
			fail("direct Accept with no descriptor left returned %v, %v; want EMFILE", s, err)
			return nil
		}
		for _, s := range accepted {
			s.Close(ctx)
		}
		s, err := sl.Accept(ctx)
		if err != nil {
			fail("direct Accept after closing: %v", err)
			return nil
		}
		s.Close(ctx)
		if l := logs.String(); l != "" {
			fail("direct Accepts logged %q", l)
		}
		say("direct ok")

		// Serve: each handler writes a byte and holds its connection until
		// the next release.
		var holdMu sync.Mutex
		cur := &holdGeneration{release: make(chan struct{})}
		handler := func(ctx context.Context, s anyio.SocketStream) error {
			defer s.Close(ctx)
			holdMu.Lock()
			g := cur
			g.wg.Add(1)
			holdMu.Unlock()
			defer g.wg.Done()
			if err := s.Send(ctx, []byte("x")); err != nil {
				fail("handler send: %v", err)
				return nil
			}
			select {
			case <-g.release:
			case <-ctx.Done():
			}
			return nil
		}
		// release closes every held connection while no Accept of Serve can
		// begin, so that the descriptors come free all at once.
		release := func() {
			gl.pause()
			holdMu.Lock()
			g := cur
			cur = &holdGeneration{release: make(chan struct{})}
			holdMu.Unlock()
			close(g.release)
			g.wg.Wait()
			gl.resume()
		}
		mu.Lock()
		serving = true
		mu.Unlock()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			// Handlers still holding their connections when this returns
			// (after a failed check) are cancelled.
			defer tg.Cancel()
			serveCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			done := make(chan error, 1)
			tg.StartSoon(func(context.Context) error {
				done <- m.Serve(serveCtx, handler, tg)
				return nil
			})
			say("serving")
		loop:
			for {
				select {
				case err := <-done:
					fail("Serve returned %v before it was stopped", err)
					return nil
				case cmd, ok := <-commands:
					switch {
					case ok && cmd == "release":
						release()
						say("released")
					case ok && cmd == "stop":
						break loop
					default:
						fail("got command %q (open: %v) while serving", cmd, ok)
						break loop
					}
				}
			}
			start := time.Now()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				fail("Serve returned %v when cancelled, want the cancellation", err)
			}
			say("stopped in %v", time.Since(start))
			return nil
		})
	})
	if err != nil {
		fail("%v", err)
	}
	for line := range strings.Lines(logs.String()) {
		say("log: %s", strings.TrimSuffix(line, "\n"))
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), serveExhaustionLog); n != bursts {
		fail("%d log records for %d bursts", n, bursts)
	}
	say("bursts %d", bursts)
	outMu.Lock()
	defer outMu.Unlock()
	if failed {
		return 1
	}
	return 0
}

// Serve survives running out of descriptors: a server process whose limit
// leaves it a few descriptors serves clients until Accept fails with
// EMFILE, logs that once, and serves the queued and new clients as soon as
// connections close, burst after burst; a direct Accept returns EMFILE to
// its caller. The server runs in a child process (the test binary run
// again) so that lowering its limit does not touch the tests; the clients
// are this process's.
func TestServeSurvivesDescriptorExhaustion(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childProgramEnv+"=serve-exhaustion")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var (
		output []string
		conns  []net.Conn
	)
	// finish ends the child and returns its exit error; it reads the
	// child's output to the end first.
	finished := false
	finish := func() error {
		if finished {
			return nil
		}
		finished = true
		for _, c := range conns {
			c.Close()
		}
		stdin.Close()
		timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
		defer timer.Stop()
		for l := range lines {
			output = append(output, l)
		}
		return cmd.Wait()
	}
	defer finish()
	fatal := func(format string, args ...any) {
		t.Helper()
		finish()
		t.Fatalf("%s\nthe child's output:\n%s\nits stderr:\n%s", fmt.Sprintf(format, args...), strings.Join(output, "\n"), stderr.String())
	}
	// expect waits for the child's next line that starts with prefix.
	expect := func(prefix string) string {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					fatal("the child's output ended before %q", prefix)
				}
				output = append(output, l)
				if strings.HasPrefix(l, "FAIL") {
					fatal("the child failed while the test waited for %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-timeout:
				fatal("no %q from the child within a minute", prefix)
			}
		}
	}
	command := func(c string) {
		t.Helper()
		if _, err := io.WriteString(stdin, c+"\n"); err != nil {
			fatal("command %q: %v", c, err)
		}
	}
	var addr string
	dial := func(n int) []net.Conn {
		t.Helper()
		var cs []net.Conn
		for range n {
			c, err := net.DialTimeout("tcp4", addr, time.Minute)
			if err != nil {
				fatal("dial: %v", err)
			}
			conns = append(conns, c)
			cs = append(cs, c)
		}
		return cs
	}
	served := func(cs []net.Conn) {
		t.Helper()
		for i, c := range cs {
			c.SetReadDeadline(time.Now().Add(time.Minute))
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 'x' {
				fatal("client %d of %d: read %q, %v; want the server's byte", i+1, len(cs), b[:], err)
			}
		}
	}

	ready := strings.Fields(expect("ready "))
	if len(ready) != 3 {
		fatal("bad ready line %q", ready)
	}
	addr = net.JoinHostPort("127.0.0.1", ready[1])
	slots, _ := strconv.Atoi(ready[2])
	if slots < 6 {
		fatal("the child has %d descriptors to spare, want at least 6", slots)
	}

	dial(slots + 1)
	command("dialed")
	expect("direct ok")
	expect("serving")
	for burst := 1; burst <= 2; burst++ {
		// slots connections fill the table; two more stay queued.
		cs := dial(slots + 2)
		served(cs[:slots])
		expect(fmt.Sprintf("burst %d failure 3", burst))
		command("release")
		expect("released")
		// The queued clients are served once descriptors are free, and so
		// are new ones.
		served(cs[slots:])
		served(dial(3))
		command("release")
		expect("released")
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	command("stop")
	expect("stopped")
	if err := finish(); err != nil {
		fatal("the child exited with %v", err)
	}
	var logged []string
	for _, l := range output {
		if strings.HasPrefix(l, "log: ") {
			logged = append(logged, l)
		}
	}
	if len(logged) != 2 {
		fatal("the child logged %d lines, want one per burst (2)", len(logged))
	}
	for _, l := range logged {
		for _, want := range []string{"level=ERROR", serveExhaustionLog, "too many open files", "listener=127.0.0.1:"} {
			if !strings.Contains(l, want) {
				t.Errorf("log line %q lacks %q", l, want)
			}
		}
	}
	if !slices.Contains(output, "bursts 2") {
		t.Errorf("the child did not count 2 bursts; its output:\n%s", strings.Join(output, "\n"))
	}
}
