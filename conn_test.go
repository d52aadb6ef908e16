package anyio_test

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
)

// tcpPair returns the two ends of a TCP connection over the loopback
// interface.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.FailNow()
	}
	return c, s
}

// unixPair returns the two ends of a UNIX stream socket pair.
func unixPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

// memoryBytePair returns two byte streams joined by memory object streams
// of byte slices holding at most buffer items each way.
func memoryBytePair(buffer int) (anyio.ByteStream, anyio.ByteStream) {
	s1, r1 := anyio.NewMemoryObjectStream[[]byte](buffer)
	s2, r2 := anyio.NewMemoryObjectStream[[]byte](buffer)
	return anyio.ObjectToByteStream(stapled.NewObjectStream(s1, r2)),
		anyio.ObjectToByteStream(stapled.NewObjectStream(s2, r1))
}

func wrapPair(a, b net.Conn) (anyio.ByteStream, anyio.ByteStream) {
	return anyio.WrapConn(a), anyio.WrapConn(b)
}

func TestWrapConnConformance(t *testing.T) {
	t.Run("Pipe", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return wrapPair(net.Pipe()) })
	})
	t.Run("TCP", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return wrapPair(tcpPair(t)) })
	})
	t.Run("Unix", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return wrapPair(unixPair(t)) })
	})
	t.Run("AsConn", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
			a, b := memoryBytePair(2)
			ctx := context.Background()
			return wrapPair(anyio.AsConn(ctx, a), anyio.AsConn(ctx, b))
		})
	})
}

func TestObjectToByteStreamConformance(t *testing.T) {
	for _, buffer := range []int{0, 3, anyio.Unbounded} {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return memoryBytePair(buffer) })
	}
}

func TestMemoryObjectStreamConformance(t *testing.T) {
	for _, buffer := range []int{0, 1, anyio.Unbounded} {
		anyiotest.TestObjectStream(t, func(t *testing.T) (anyio.ObjectStream[int], anyio.ObjectStream[int]) {
			s1, r1 := anyio.NewMemoryObjectStream[int](buffer)
			s2, r2 := anyio.NewMemoryObjectStream[int](buffer)
			return stapled.NewObjectStream(s1, r2), stapled.NewObjectStream(s2, r1)
		})
	}
}

func TestWrapConnAttributes(t *testing.T) {
	t.Run("TCP", func(t *testing.T) {
		c1, c2 := tcpPair(t)
		defer c2.Close()
		s := anyio.WrapConn(c1)
		defer anyio.CloseForcefully(s)
		if f, err := anyio.Extra(s, anyio.SocketAttribute.Family); err != nil || f != anyio.AFInet {
			t.Errorf("Family = %v, %v; want AF_INET", f, err)
		}
		if p, err := anyio.Extra(s, anyio.SocketAttribute.LocalPort); err != nil || p != c1.LocalAddr().(*net.TCPAddr).Port {
			t.Errorf("LocalPort = %v, %v; want %v", p, err, c1.LocalAddr())
		}
		if p, err := anyio.Extra(s, anyio.SocketAttribute.RemotePort); err != nil || p != c2.LocalAddr().(*net.TCPAddr).Port {
			t.Errorf("RemotePort = %v, %v; want the peer's port %v", p, err, c2.LocalAddr())
		}
		if a, err := anyio.Extra(s, anyio.SocketAttribute.LocalAddress); err != nil || a.String() != c1.LocalAddr().String() {
			t.Errorf("LocalAddress = %v, %v", a, err)
		}
		if a, err := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress); err != nil || a.String() != c2.LocalAddr().String() {
			t.Errorf("RemoteAddress = %v, %v", a, err)
		}
		if raw, err := anyio.Extra(s, anyio.SocketAttribute.RawSocket); err != nil || raw == nil {
			t.Errorf("RawSocket = %v, %v", raw, err)
		}
	})
	t.Run("TCP6", func(t *testing.T) {
		l, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		defer l.Close()
		go func() {
			if c, err := l.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := net.Dial("tcp6", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s := anyio.WrapConn(c)
		defer anyio.CloseForcefully(s)
		if f, err := anyio.Extra(s, anyio.SocketAttribute.Family); err != nil || f != anyio.AFInet6 {
			t.Errorf("Family = %v, %v; want AF_INET6", f, err)
		}
	})
	t.Run("Unix", func(t *testing.T) {
		c1, c2 := unixPair(t)
		defer c2.Close()
		s := anyio.WrapConn(c1)
		defer anyio.CloseForcefully(s)
		if f, err := anyio.Extra(s, anyio.SocketAttribute.Family); err != nil || f != anyio.AFUnix {
			t.Errorf("Family = %v, %v; want AF_UNIX", f, err)
		}
		if _, err := anyio.Extra(s, anyio.SocketAttribute.LocalPort); !errors.Is(err, anyio.ErrTypedAttributeLookup) {
			t.Errorf("LocalPort of a UNIX socket: %v, want ErrTypedAttributeLookup", err)
		}
	})
	t.Run("Pipe", func(t *testing.T) {
		c1, c2 := net.Pipe()
		defer c2.Close()
		s := anyio.WrapConn(c1)
		defer anyio.CloseForcefully(s)
		if _, err := anyio.Extra(s, anyio.SocketAttribute.LocalAddress); err != nil {
			t.Errorf("LocalAddress: %v", err)
		}
		for _, err := range []error{
			func() error { _, err := anyio.Extra(s, anyio.SocketAttribute.Family); return err }(),
			func() error { _, err := anyio.Extra(s, anyio.SocketAttribute.RemotePort); return err }(),
			func() error { _, err := anyio.Extra(s, anyio.SocketAttribute.RawSocket); return err }(),
		} {
			if !errors.Is(err, anyio.ErrTypedAttributeLookup) {
				t.Errorf("attribute of a pipe: %v, want ErrTypedAttributeLookup", err)
			}
		}
		if err := s.SendEOF(context.Background()); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("SendEOF on a pipe = %v, want errors.ErrUnsupported", err)
		}
	})
	t.Run("ThroughAsConn", func(t *testing.T) {
		// Attributes flow up: WrapConn(AsConn(s)) has s's attributes.
		c1, c2 := tcpPair(t)
		defer c2.Close()
		inner := anyio.WrapConn(c1)
		outer := anyio.WrapConn(anyio.AsConn(context.Background(), inner))
		defer anyio.CloseForcefully(outer)
		if f, err := anyio.Extra(outer, anyio.SocketAttribute.Family); err != nil || f != anyio.AFInet {
			t.Errorf("Family = %v, %v; want AF_INET from the inner stream", f, err)
		}
		if p, err := anyio.Extra(outer, anyio.SocketAttribute.RemotePort); err != nil || p != c2.LocalAddr().(*net.TCPAddr).Port {
			t.Errorf("RemotePort = %v, %v", p, err)
		}
	})
}

func TestWrapConnCancelReceive(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		c1, c2 := tcpPair(t)
		a, b := anyio.WrapConn(c1), anyio.WrapConn(c2)
		defer anyio.CloseForcefully(a)
		defer anyio.CloseForcefully(b)
		start := time.Now()
		scope := anyio.MoveOnAfter(20 * time.Millisecond)
		var recvErr error
		scope.Run(ctx, func(ctx context.Context) error {
			_, recvErr = b.Receive(ctx, make([]byte, 10))
			return recvErr
		})
		if !errors.Is(recvErr, anyio.ErrCancelled) || !scope.CancelledCaught() {
			t.Fatalf("Receive in a scope that timed out = %v", recvErr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the cancelled Receive took %v to return", d)
		}
		// The deadline used to interrupt the read is gone.
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, []byte("ok")) })
			buf := make([]byte, 10)
			n, err := b.Receive(ctx, buf)
			if err != nil || string(buf[:n]) != "ok" {
				t.Errorf("Receive after a cancelled one = %q, %v", buf[:n], err)
			}
			return nil
		})
	})
}

func TestWrapConnRealTimeout(t *testing.T) {
	// A deadline set on the connection by someone else is a failure of the
	// stream, not a cancellation.
	c1, c2 := net.Pipe()
	defer c2.Close()
	s := anyio.WrapConn(c1)
	defer anyio.CloseForcefully(s)
	c1.SetReadDeadline(time.Now().Add(-time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Receive(ctx, make([]byte, 1))
	if errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, anyio.ErrBrokenResource) {
		t.Fatalf("Receive past a deadline of the conn = %v, want ErrBrokenResource wrapping os.ErrDeadlineExceeded", err)
	}
}

func TestWrapConnCancelSend(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		c1, c2 := net.Pipe() // unbuffered: Send blocks until the peer reads
		a, b := anyio.WrapConn(c1), anyio.WrapConn(c2)
		defer anyio.CloseForcefully(a)
		defer anyio.CloseForcefully(b)
		scope := anyio.NewCancelScope()
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					var err error
					var busy *anyio.BusyResourceError
					for err = a.Send(ctx, []byte("never read")); errors.As(err, &busy); err = a.Send(ctx, []byte("never read")) {
						runtime.Gosched() // a probe below was in the way
					}
					done <- err
					return err
				})
			})
			// Wait until the Send is in progress: a Send with a cancelled
			// context then finds the stream busy (and never sends).
			for {
				err := a.Send(cancelled, []byte("x"))
				var busy *anyio.BusyResourceError
				if errors.As(err, &busy) {
					break
				}
				if !errors.Is(err, anyio.ErrCancelled) {
					return err
				}
				runtime.Gosched()
			}
			scope.Cancel()
			if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("cancelled Send = %v", err)
			}
			tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, []byte("ok")) })
			buf := make([]byte, 2)
			n, err := b.Receive(ctx, buf)
			if err != nil || string(buf[:n]) != "ok" {
				t.Errorf("Receive after a cancelled Send = %q, %v", buf[:n], err)
			}
			return nil
		})
	})
}
