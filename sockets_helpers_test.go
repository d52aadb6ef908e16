package anyio_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
)

// skTimeout bounds each socket test: a safety net against hangs, never a
// synchronisation.
const skTimeout = 30 * time.Second

// skRun runs fn as the root task of a Run and fails t on its error.
func skRun(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), skTimeout)
	defer cancel()
	if err := anyio.Run(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

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
