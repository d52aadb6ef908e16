package anyio_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
)

// skTimeout bounds the waits of the socket tests that anyiotest.Run's own
// timeout does not cover (a peer process, a busy poll): a safety net against
// hangs, never a synchronisation.
const skTimeout = 30 * time.Second

// skIPv6 reports whether ::1 can be bound.
var skIPv6 = sync.OnceValue(func() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
})

// skFamily is one IP family to run a test in.
type skFamily struct {
	name     string
	family   anyio.AddressFamily
	loopback string
}

// skFamilies returns the families to test: IPv4, and IPv6 when ::1 works.
func skFamilies(t *testing.T) []skFamily {
	t.Helper()
	fams := []skFamily{{"IPv4", anyio.AFInet, "127.0.0.1"}}
	if skIPv6() {
		fams = append(fams, skFamily{"IPv6", anyio.AFInet6, "::1"})
	} else {
		t.Log("IPv6 cases skipped: ::1 cannot be bound on this machine")
	}
	return fams
}

// skListen returns a raw TCP listener on the loopback address of fam.
func skListen(t *testing.T, fam skFamily) *net.TCPListener {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(fam.loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

func skPort(a net.Addr) int { return a.(*net.TCPAddr).Port }

// skWaitBusy returns once another task is inside op (a Receive or a Send):
// op with a cancelled context then reports *anyio.BusyResourceError. op must
// take nothing when its context is cancelled.
func skWaitBusy(t *testing.T, op func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(skTimeout / 2)
	for time.Now().Before(deadline) {
		err := op(skCancelled)
		var busy *anyio.BusyResourceError
		if errors.As(err, &busy) {
			return
		}
		if !errors.Is(err, anyio.ErrCancelled) {
			t.Fatalf("operation with a cancelled context = %v, want a cancellation or *anyio.BusyResourceError", err)
		}
		runtime.Gosched()
	}
	t.Fatal("the other task never showed as inside the operation")
}

var skCancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// skRaw returns the raw socket of p.
func skRaw(t *testing.T, p anyio.TypedAttributeProvider) syscall.RawConn {
	t.Helper()
	rc, err := anyio.Extra(p, anyio.SocketAttribute.RawSocket)
	if err != nil {
		t.Fatalf("Extra(RawSocket): %v", err)
	}
	return rc
}

// skSockopt reads an integer socket option of p's raw socket.
func skSockopt(t *testing.T, p anyio.TypedAttributeProvider, level, opt int) int {
	t.Helper()
	var v int
	var err error
	if cerr := skRaw(t, p).Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("getsockopt(%d, %d): %v", level, opt, err)
	}
	return v
}

// skSockname returns getsockname of p's raw socket.
func skSockname(t *testing.T, p anyio.TypedAttributeProvider) unix.Sockaddr {
	t.Helper()
	var sa unix.Sockaddr
	var err error
	if cerr := skRaw(t, p).Control(func(fd uintptr) { sa, err = unix.Getsockname(int(fd)) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// skSockaddrPort returns the port of an IP socket address.
func skSockaddrPort(sa unix.Sockaddr) int {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port
	case *unix.SockaddrInet6:
		return sa.Port
	}
	return -1
}

// skWantErr fails t unless errors.Is(err, target).
func skWantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want %v", what, err, target)
	}
}

// skReadInt reads a file holding one integer, such as a /proc setting.
func skReadInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// skRetryBusy runs op until it does not fail with *anyio.BusyResourceError:
// a task that skWaitBusy watches may find the probe inside the operation
// when it starts.
func skRetryBusy(op func() error) error {
	for {
		err := op()
		var busy *anyio.BusyResourceError
		if !errors.As(err, &busy) {
			return err
		}
		runtime.Gosched()
	}
}

// skAddrPort makes an address and port from a host IP and a port.
func skAddrPort(host string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(host), uint16(port))
}

// skAccepted connects a client with connect and returns it with the raw
// connection l accepted for it; the caller closes both. When Accept fails,
// the client is closed.
func skAccepted[S anyio.AsyncResource](ctx context.Context, l net.Listener, connect func() (S, error)) (S, net.Conn, error) {
	s, err := connect()
	if err != nil {
		return s, nil, err
	}
	peer, err := l.Accept()
	if err != nil {
		s.Close(ctx)
		return s, nil, err
	}
	return s, peer, nil
}

// skConnectTCP connects to the raw TCP listener l at host with ConnectTCP;
// see skAccepted.
func skConnectTCP(ctx context.Context, l net.Listener, host string) (anyio.SocketStream, net.Conn, error) {
	return skAccepted(ctx, l, func() (anyio.SocketStream, error) { return anyio.ConnectTCP(ctx, host, skPort(l.Addr())) })
}

// skConnectUnix connects to the raw UNIX listener l at path with
// ConnectUnix; see skAccepted.
func skConnectUnix(ctx context.Context, l net.Listener, path string) (anyio.UnixSocketStream, net.Conn, error) {
	return skAccepted(ctx, l, func() (anyio.UnixSocketStream, error) { return anyio.ConnectUnix(ctx, path) })
}

// skCheckIterateBytes checks IterateBytes over s while its peer writes
// "bl", then (once that chunk has arrived) "ah", and closes: the chunks are
// exactly "bl" and "ah".
func skCheckIterateBytes(t *testing.T, ctx context.Context, s anyio.ByteReceiveStream, peer net.Conn) error {
	t.Helper()
	peer.Write([]byte("bl"))
	var chunks []string
	for chunk, err := range anyio.IterateBytes(ctx, s, 0) {
		if err != nil {
			return err
		}
		chunks = append(chunks, string(chunk))
		if len(chunks) == 1 {
			peer.Write([]byte("ah"))
			peer.Close()
		}
	}
	if !slices.Equal(chunks, []string{"bl", "ah"}) {
		t.Errorf("chunks = %q, want [bl ah]", chunks)
	}
	return nil
}

// skCheckReversedEcho runs an echo server that iterates over server and
// sends each item back with its data reversed; it sends "FOOBAR" and
// "123456" through sendTo and checks that receive gets each back reversed,
// from the address from. It then cancels the server.
func skCheckReversedEcho[T any, A comparable](t *testing.T, ctx context.Context, server anyio.UnreliableObjectStream[T], data func(T) []byte,
	sendTo func(ctx context.Context, b []byte) error, receive func(ctx context.Context) ([]byte, A, error), from A) error {
	t.Helper()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			for item, err := range anyio.Iterate(ctx, server) {
				if err != nil {
					return err
				}
				slices.Reverse(data(item))
				if err := server.Send(ctx, item); err != nil {
					return err
				}
			}
			return nil
		})
		for _, word := range []string{"FOOBAR", "123456"} {
			if err := sendTo(ctx, []byte(word)); err != nil {
				return err
			}
			got, addr, err := receive(ctx)
			if err != nil {
				return err
			}
			want := []byte(word)
			slices.Reverse(want)
			if string(got) != string(want) || addr != from {
				t.Errorf("echo = %q from %v, want %q from %v", got, addr, want, from)
			}
		}
		tg.CancelScope().Cancel()
		return nil
	})
}

// skReceiveUDP receives one packet from s as its data and sender.
func skReceiveUDP(s anyio.UDPSocket) func(ctx context.Context) ([]byte, netip.AddrPort, error) {
	return func(ctx context.Context) ([]byte, netip.AddrPort, error) {
		pkt, err := s.Receive(ctx)
		return pkt.Data, pkt.Addr, err
	}
}
