package anyio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"
)

// fakeAttempt is how a fake dial to one address behaves.
type fakeAttempt struct {
	after        time.Duration // how long the attempt takes; 0: never answers
	fail         bool          // it is refused after that time
	ignoreCancel bool          // it connects after that time even if cancelled
}

// fakeNet records the dials of a tcpConnector in a synctest bubble.
type fakeNet struct {
	start    time.Time
	behave   map[netip.AddrPort]fakeAttempt
	mu       sync.Mutex
	started  []string // "addr@ms"
	ended    []string // "addr:outcome@ms"
	closed   []string
	locals   []netip.AddrPort
	resolved []netip.AddrPort
}

func (f *fakeNet) ms() int64 { return time.Since(f.start).Milliseconds() }

func (f *fakeNet) log(list *[]string, s string) {
	f.mu.Lock()
	*list = append(*list, fmt.Sprintf("%s@%d", s, f.ms()))
	f.mu.Unlock()
}

func (f *fakeNet) connector() tcpConnector {
	return tcpConnector{
		resolve: func(ctx context.Context, host string, port int) ([]netip.AddrPort, error) {
			return f.resolved, nil
		},
		dial: func(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error) {
			f.log(&f.started, remote.String())
			f.mu.Lock()
			f.locals = append(f.locals, local)
			f.mu.Unlock()
			b := f.behave[remote]
			var timeout <-chan time.Time
			if b.after > 0 {
				timeout = time.After(b.after)
			}
			done := ctx.Done()
			if b.ignoreCancel {
				done = nil
			}
			select {
			case <-timeout:
				if b.fail {
					f.log(&f.ended, remote.String()+":refused")
					return nil, fmt.Errorf("dial %v: %w", remote, syscall.ECONNREFUSED)
				}
				f.log(&f.ended, remote.String()+":connected")
				return &fakeConn{remote: remote, f: f}, nil
			case <-done:
				f.log(&f.ended, remote.String()+":cancelled")
				return nil, ctx.Err()
			}
		},
	}
}

type fakeConn struct {
	net.Conn
	remote netip.AddrPort
	f      *fakeNet
}

func (c *fakeConn) Close() error {
	c.f.log(&c.f.closed, c.remote.String())
	return nil
}

var (
	v6a = netip.MustParseAddrPort("[2001:db8::1]:80")
	v6b = netip.MustParseAddrPort("[2001:db8::2]:80")
	v4a = netip.MustParseAddrPort("192.0.2.1:80")
	v4b = netip.MustParseAddrPort("192.0.2.2:80")
)

func TestHappyEyeballsOrder(t *testing.T) {
	got := happyEyeballsOrder([]netip.AddrPort{v4a, v4b, v6a, v6b})
	want := []netip.AddrPort{v6a, v4a, v6b, v4b}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	got = happyEyeballsOrder([]netip.AddrPort{v4a, v4b})
	if !slices.Equal(got, []netip.AddrPort{v4a, v4b}) {
		t.Errorf("order of IPv4 only = %v", got)
	}
}

func TestHappyEyeballsStaggering(t *testing.T) {
	cfg := func(opts ...ConnectTCPOption) socketConfig {
		c, err := applySocketOptions("test", opts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name       string
		resolved   []netip.AddrPort
		behave     map[netip.AddrPort]fakeAttempt
		opts       []ConnectTCPOption
		timeout    time.Duration // of the caller's context; 0: none
		wantWinner netip.AddrPort
		wantErr    string // "cancelled" or "failed"
		started    []string
		ended      []string
		closed     []string
		unordered  bool // the attempts start at the same instant, in any order
	}{
		{
			name:     "NobodyAnswers",
			resolved: []netip.AddrPort{v4a, v4b, v6a, v6b},
			timeout:  time.Second,
			wantErr:  "cancelled",
			started:  []string{"[2001:db8::1]:80@0", "192.0.2.1:80@250", "[2001:db8::2]:80@500", "192.0.2.2:80@750"},
			ended: []string{"[2001:db8::1]:80:cancelled@1000", "192.0.2.1:80:cancelled@1000",
				"[2001:db8::2]:80:cancelled@1000", "192.0.2.2:80:cancelled@1000"},
		},
		{
			name:       "FailureStartsTheNextEarly",
			resolved:   []netip.AddrPort{v6a, v4a, v6b},
			behave:     map[netip.AddrPort]fakeAttempt{v6a: {after: 100 * time.Millisecond, fail: true}, v4a: {after: 400 * time.Millisecond}},
			wantWinner: v4a,
			started:    []string{"[2001:db8::1]:80@0", "192.0.2.1:80@100", "[2001:db8::2]:80@350"},
			ended:      []string{"[2001:db8::1]:80:refused@100", "[2001:db8::2]:80:cancelled@500", "192.0.2.1:80:connected@500"},
		},
		{
			name:       "SecondWinsFirstCancelled",
			resolved:   []netip.AddrPort{v6a, v4a, v6b},
			behave:     map[netip.AddrPort]fakeAttempt{v4a: {after: 50 * time.Millisecond}},
			wantWinner: v4a,
			started:    []string{"[2001:db8::1]:80@0", "192.0.2.1:80@250"},
			ended:      []string{"[2001:db8::1]:80:cancelled@300", "192.0.2.1:80:connected@300"},
		},
		{
			name:     "LoserThatConnectsIsClosed",
			resolved: []netip.AddrPort{v6a, v4a},
			behave: map[netip.AddrPort]fakeAttempt{
				v6a: {after: 300 * time.Millisecond, ignoreCancel: true},
				v4a: {after: 10 * time.Millisecond},
			},
			wantWinner: v4a,
			started:    []string{"[2001:db8::1]:80@0", "192.0.2.1:80@250"},
			ended:      []string{"192.0.2.1:80:connected@260", "[2001:db8::1]:80:connected@300"},
			closed:     []string{"[2001:db8::1]:80@300"},
		},
		{
			name:     "AllFail",
			resolved: []netip.AddrPort{v4a, v6a, v4b},
			behave: map[netip.AddrPort]fakeAttempt{
				v6a: {after: 400 * time.Millisecond, fail: true},
				v4a: {after: 10 * time.Millisecond, fail: true},
				v4b: {after: 20 * time.Millisecond, fail: true},
			},
			wantErr: "failed",
			started: []string{"[2001:db8::1]:80@0", "192.0.2.1:80@250", "192.0.2.2:80@260"},
			ended:   []string{"192.0.2.1:80:refused@260", "192.0.2.2:80:refused@280", "[2001:db8::1]:80:refused@400"},
		},
		{
			name:       "NoDelay",
			resolved:   []netip.AddrPort{v6a, v4a, v6b},
			behave:     map[netip.AddrPort]fakeAttempt{v6b: {after: 5 * time.Millisecond}},
			opts:       []ConnectTCPOption{HappyEyeballsDelay(0)},
			unordered:  true,
			wantWinner: v6b,
			started:    []string{"[2001:db8::1]:80@0", "192.0.2.1:80@0", "[2001:db8::2]:80@0"},
			ended:      []string{"[2001:db8::1]:80:cancelled@5", "192.0.2.1:80:cancelled@5", "[2001:db8::2]:80:connected@5"},
		},
		{
			name:       "CustomDelay",
			resolved:   []netip.AddrPort{v6a, v4a},
			behave:     map[netip.AddrPort]fakeAttempt{v4a: {after: time.Millisecond}},
			opts:       []ConnectTCPOption{HappyEyeballsDelay(40 * time.Millisecond)},
			wantWinner: v4a,
			started:    []string{"[2001:db8::1]:80@0", "192.0.2.1:80@40"},
			ended:      []string{"[2001:db8::1]:80:cancelled@41", "192.0.2.1:80:connected@41"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeNet{start: time.Now(), behave: tc.behave, resolved: tc.resolved}
				ctx := context.Background()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				c, err := f.connector().connect(ctx, "example.test", 80, cfg(tc.opts...))
				switch tc.wantErr {
				case "":
					if err != nil {
						t.Fatalf("connect = %v", err)
					}
					if got := c.(*fakeConn).remote; got != tc.wantWinner {
						t.Errorf("winner = %v, want %v", got, tc.wantWinner)
					}
				case "cancelled":
					if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("connect = %v, want a cancellation matching context.DeadlineExceeded", err)
					}
				case "failed":
					var cf *ConnectionFailedError
					if !errors.As(err, &cf) || len(cf.Errors) != len(tc.resolved) || !errors.Is(err, syscall.ECONNREFUSED) {
						t.Errorf("connect = %v, want a *ConnectionFailedError with %d refusals", err, len(tc.resolved))
					}
					for _, a := range tc.resolved {
						if !strings.Contains(err.Error(), a.String()) {
							t.Errorf("the error %q does not name %v", err, a)
						}
					}
				}
				slices.Sort(f.ended)
				slices.Sort(tc.ended)
				if tc.unordered {
					slices.Sort(f.started)
					slices.Sort(tc.started)
				}
				if !slices.Equal(f.started, tc.started) {
					t.Errorf("attempts started = %v, want %v", f.started, tc.started)
				}
				if !slices.Equal(f.ended, tc.ended) {
					t.Errorf("attempts ended = %v, want %v", f.ended, tc.ended)
				}
				if !slices.Equal(f.closed, tc.closed) {
					t.Errorf("connections closed = %v, want %v", f.closed, tc.closed)
				}
			})
		})
	}
}

func TestHappyEyeballsLocalHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNet{start: time.Now(), resolved: []netip.AddrPort{v6a, v4a},
			behave: map[netip.AddrPort]fakeAttempt{v6a: {after: time.Millisecond, fail: true}, v4a: {after: 2 * time.Millisecond, fail: true}}}
		cfg, err := applySocketOptions("test", []ConnectTCPOption{LocalHost("192.0.2.9"), LocalPort(4242)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.connector().connect(context.Background(), "example.test", 80, cfg)
		// The IPv6 attempt has no local address of its family and fails
		// without a dial; the IPv4 one binds 192.0.2.9:4242.
		if !strings.Contains(err.Error(), "no local address of its family") {
			t.Errorf("connect = %v, want the IPv6 attempt to fail for want of a local address", err)
		}
		if want := []netip.AddrPort{netip.MustParseAddrPort("192.0.2.9:4242")}; !slices.Equal(f.locals, want) {
			t.Errorf("local addresses dialled from = %v, want %v", f.locals, want)
		}
	})
}

// TestHappyEyeballsRealUnanswered races a real address that never answers
// (a listener whose accept queue is full, so that the kernel drops new
// SYNs) against one that does: the second attempt starts after the delay
// and wins, and the first is abandoned.
func TestHappyEyeballsRealUnanswered(t *testing.T) {
	full, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if err := setBacklog(full.(*net.TCPListener), 0); err != nil {
		t.Fatal(err)
	}
	// Fill the accept queue. The kernel counts the queue in TCP_INFO: wait
	// until it counts each filler before adding another, and stop when the
	// queue is over its maximum.
	var fillers []net.Conn
	defer func() {
		for _, c := range fillers {
			c.Close()
		}
	}()
	for {
		queued, max := acceptQueue(t, full.(*net.TCPListener))
		if queued > max {
			break
		}
		c, err := net.Dial("tcp4", full.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fillers = append(fillers, c)
		for {
			if q, _ := acceptQueue(t, full.(*net.TCPListener)); q >= len(fillers) {
				break
			}
			runtime.Gosched()
		}
	}
	good, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()

	unanswered := full.Addr().(*net.TCPAddr).AddrPort()
	answered := good.Addr().(*net.TCPAddr).AddrPort()
	var dialled []netip.AddrPort
	var dialErrs []error
	var mu sync.Mutex
	tc := tcpConnector{
		resolve: func(ctx context.Context, host string, port int) ([]netip.AddrPort, error) {
			return []netip.AddrPort{unanswered, answered}, nil
		},
		dial: func(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error) {
			mu.Lock()
			dialled = append(dialled, remote)
			mu.Unlock()
			c, err := dialTCP(ctx, local, remote)
			if err != nil {
				mu.Lock()
				dialErrs = append(dialErrs, err)
				mu.Unlock()
			}
			return c, err
		},
	}
	cfg, _ := applySocketOptions("test", []ConnectTCPOption{HappyEyeballsDelay(20 * time.Millisecond)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	c, err := tc.connect(ctx, "race.test", 0, cfg)
	if err != nil {
		t.Fatalf("connect = %v", err)
	}
	defer c.Close()
	elapsed := time.Since(start)
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort(); got != answered {
		t.Errorf("connected to %v, want %v", got, answered)
	}
	if !slices.Equal(dialled, []netip.AddrPort{unanswered, answered}) {
		t.Errorf("dialled %v, want %v then %v", dialled, unanswered, answered)
	}
	if len(dialErrs) != 1 || !errors.Is(dialErrs[0], context.Canceled) {
		t.Errorf("the unanswered attempt ended with %v, want its cancellation", dialErrs)
	}
	if elapsed < 20*time.Millisecond {
		t.Errorf("connected after %v, before the Happy Eyeballs delay", elapsed)
	}
	if q, _ := acceptQueue(t, full.(*net.TCPListener)); q != len(fillers) {
		t.Errorf("the full listener's queue holds %d connections, want the %d fillers", q, len(fillers))
	}

	// ConnectTCP to the unanswered address alone returns as soon as it is
	// cancelled.
	port := int(unanswered.Port())
	var err2 error
	scope := MoveOnAfter(20 * time.Millisecond)
	start = time.Now()
	Run(context.Background(), func(ctx context.Context) error {
		return scope.Run(ctx, func(ctx context.Context) error {
			_, err2 = ConnectTCP(ctx, "127.0.0.1", port)
			return err2
		})
	})
	if !errors.Is(err2, ErrCancelled) || !scope.CancelledCaught() {
		t.Errorf("ConnectTCP to an address that never answers, cancelled = %v", err2)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the cancelled ConnectTCP took %v to return", d)
	}
}

// acceptQueue returns the current and maximum length of a listener's accept
// queue (tcpi_unacked and tcpi_sacked of a listening socket's TCP_INFO).
func acceptQueue(t *testing.T, l *net.TCPListener) (queued, max int) {
	t.Helper()
	rc, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	rc.Control(func(fd uintptr) { info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
	if err != nil {
		t.Fatalf("TCP_INFO: %v", err)
	}
	return int(info.Unacked), int(info.Sacked)
}

func TestTCPListenerPerFamilyRetry(t *testing.T) {
	var calls []string
	collide := true
	b := tcpBinder{
		dualStack: func() bool { return false },
		hasIPv6:   func() bool { return true },
		listen: func(ctx context.Context, network string, addr netip.AddrPort, cfg socketConfig) (*net.TCPListener, error) {
			calls = append(calls, fmt.Sprintf("%s:%d", network, addr.Port()))
			if network == "tcp4" && addr.Port() != 0 && collide {
				collide = false
				return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRINUSE}
			}
			// Bind the loopback addresses so as not to open the machine.
			host := "127.0.0.1"
			if network == "tcp6" {
				host = "::1"
			}
			return listenTCP(ctx, network, netip.AddrPortFrom(netip.MustParseAddr(host), addr.Port()), cfg)
		},
	}
	if !ipv6Supported() {
		t.Skip("IPv6 is not available: ::1 cannot be bound")
	}
	ls, err := b.create(context.Background(), socketConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	if len(ls) != 2 {
		t.Fatalf("%d listeners, want one per family", len(ls))
	}
	p0, p1 := ls[0].Addr().(*net.TCPAddr), ls[1].Addr().(*net.TCPAddr)
	if p0.Port != p1.Port || p0.IP.To4() != nil || p1.IP.To4() == nil {
		t.Errorf("listeners at %v and %v, want IPv6 and IPv4 on one port", p0, p1)
	}
	if len(calls) != 4 || calls[0] != "tcp6:0" || calls[2] != "tcp6:0" {
		t.Errorf("listen calls = %v, want a second round after the collision", calls)
	}
}

func TestTCPListenerTotalBindFailure(t *testing.T) {
	b := tcpBinder{
		dualStack: func() bool { return false },
		hasIPv6:   func() bool { return true },
		listen: func(ctx context.Context, network string, addr netip.AddrPort, cfg socketConfig) (*net.TCPListener, error) {
			if addr.Port() != 0 {
				return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRINUSE}
			}
			return listenTCP(ctx, "tcp4", netip.MustParseAddrPort("127.0.0.1:0"), cfg)
		},
	}
	_, err := b.create(context.Background(), socketConfig{})
	if err == nil || !strings.Contains(err.Error(), "could not create 2 listeners with a consistent port") || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("create = %v, want the consistent-port failure", err)
	}
	// A port given by the caller is not retried.
	_, err = b.create(context.Background(), socketConfig{localPort: 1234})
	if !errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "consistent") {
		t.Errorf("create with a fixed port = %v, want the bind error itself", err)
	}
}
