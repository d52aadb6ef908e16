package anyio_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// skRawTCP returns the two ends of a loopback TCP connection as raw
// *net.TCPConns.
func skRawTCP(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	l := skListen(t, skFamilies(t)[0])
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// skFill writes to c without blocking until its send buffer is full.
func skFill(t *testing.T, c anyio.PollableConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
		// Write until EAGAIN, and again whenever the peer's
		// acknowledgements free room, until the peer (which never reads)
		// has closed its window: then c stays unwritable. A socket full
		// only once becomes writable again when the delayed
		// acknowledgement of the last segment comes.
		for {
			for {
				if _, err := unix.Write(int(fd), buf); err != nil {
					break // EAGAIN: full for now
				}
			}
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if n, _ := unix.Poll(fds, 500); n == 0 {
				return // no room for half a second: the window is closed
			}
		}
	})
}

func TestWaitReadableWritable(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait func(ctx context.Context, c anyio.PollableConn) error
	}{
		{"WaitReadable", anyio.WaitReadable},
		{"WaitSocketReadable", anyio.WaitSocketReadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := skRawTCP(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				b.Write([]byte("Hello, world"))
				if err := tc.wait(ctx, a); err != nil {
					return err
				}
				buf := make([]byte, 64)
				n, err := a.Read(buf)
				if err != nil || string(buf[:n]) != "Hello, world" {
					t.Errorf("Read after the wait = %q, %v", buf[:n], err)
				}
				return nil
			})
		})
	}
	for _, wait := range []func(ctx context.Context, c anyio.PollableConn) error{anyio.WaitWritable, anyio.WaitSocketWritable} {
		a, _ := skRawTCP(t)
		anyiotest.Run(t, func(ctx context.Context) error { return wait(ctx, a) })
	}
	t.Run("Pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		anyiotest.Run(t, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				done := make(chan error, 1)
				tg.StartSoon(func(ctx context.Context) error {
					done <- skRetryBusy(func() error { return anyio.WaitReadable(ctx, r) })
					return nil
				})
				skWaitBusy(t, func(ctx context.Context) error { return anyio.WaitReadable(ctx, r) })
				w.Write([]byte("x"))
				if err := <-done; err != nil {
					t.Errorf("WaitReadable of a pipe = %v", err)
				}
				return nil
			})
		})
	})
}

func TestWaitReadableCancelled(t *testing.T) {
	a, b := skRawTCP(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			err := anyio.WaitReadable(ctx, a)
			skWantErr(t, "cancelled WaitReadable", err, anyio.ErrCancelled)
			return err
		})
		// The read deadline was restored: the connection reads normally.
		b.Write([]byte("later"))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(a, buf); err != nil || string(buf) != "later" {
			t.Errorf("Read after a cancelled wait = %q, %v", buf, err)
		}
		b.Write([]byte("again"))
		return anyio.WaitReadable(ctx, a) // and it can wait again
	})
}

func TestWaitBusyAndClosing(t *testing.T) {
	for _, notify := range []bool{true, false} {
		name := "Close"
		if notify {
			name = "NotifyClosing"
		}
		t.Run(name, func(t *testing.T) {
			// A UNIX stream: once full, it stays full. (A TCP socket's
			// send buffer may free room later, when the peer's delayed
			// acknowledgements arrive, and end WaitWritable early.)
			ac, bc := unixPair(t)
			defer bc.Close()
			a := ac.(*net.UnixConn)
			skFill(t, a)
			anyiotest.Run(t, func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					rerr, werr := make(chan error, 1), make(chan error, 1)
					tg.StartSoon(func(ctx context.Context) error {
						rerr <- skRetryBusy(func() error { return anyio.WaitReadable(ctx, a) })
						return nil
					})
					tg.StartSoon(func(ctx context.Context) error {
						werr <- skRetryBusy(func() error { return anyio.WaitWritable(ctx, a) })
						return nil
					})
					skWaitBusy(t, func(ctx context.Context) error { return anyio.WaitReadable(ctx, a) })
					skWaitBusy(t, func(ctx context.Context) error { return anyio.WaitWritable(ctx, a) })
					var busy *anyio.BusyResourceError
					if err := anyio.WaitReadable(ctx, a); !errors.As(err, &busy) {
						t.Errorf("second WaitReadable = %v, want *anyio.BusyResourceError", err)
					}
					if notify {
						anyio.NotifyClosing(a)
					}
					a.Close()
					skWantErr(t, "WaitReadable when closed", <-rerr, anyio.ErrClosedResource)
					skWantErr(t, "WaitWritable when closed", <-werr, anyio.ErrClosedResource)
					skWantErr(t, "WaitReadable of a closed conn", anyio.WaitReadable(ctx, a), anyio.ErrClosedResource)
					return nil
				})
			})
		})
	}
}
