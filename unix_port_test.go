package anyio_test

// Ports of tests in AnyIO's tests/test_sockets.py that the other test files
// do not cover: UNIX socket streams (TestUNIXStream), and socket paths that
// are not UTF-8.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// portUnixServer returns a raw UNIX listener at a fresh path and the path.
func portUnixServer(t *testing.T) (*net.UnixListener, string) {
	t.Helper()
	path := skSocketPaths(t)["Path"]
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.UnixListener), path
}

// portWithUnixStream runs fn in a Run with a stream that ConnectUnix made to
// a fresh raw UNIX listener and the raw connection the listener accepted for
// it; both are closed once fn returns.
func portWithUnixStream(t *testing.T, fn func(ctx context.Context, s anyio.UnixSocketStream, peer net.Conn) error) {
	t.Helper()
	l, path := portUnixServer(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectUnix(ctx, l, path)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		defer peer.Close()
		return fn(ctx, s, peer)
	})
}

// Ports TestUNIXStream.test_receive_large_buffer and
// test_send_large_buffer: a megabyte, more than the kernel buffers, goes
// through whole both ways.
func TestUnixStreamLargeBuffers(t *testing.T) {
	big := append(bytes.Repeat([]byte{0xff}, 512<<10), bytes.Repeat([]byte{0}, 512<<10)...)
	t.Run("Receive", func(t *testing.T) {
		portWithUnixStream(t, func(ctx context.Context, s anyio.UnixSocketStream, peer net.Conn) error {
			wrote := make(chan error, 1)
			go func() {
				_, err := peer.Write(big)
				peer.Close()
				wrote <- err
			}()
			got, err := io.ReadAll(anyio.AsReader(ctx, s))
			if werr := <-wrote; werr != nil {
				return werr
			}
			if err != nil {
				return err
			}
			if !bytes.Equal(got, big) {
				t.Errorf("received %d bytes, not the %d sent", len(got), len(big))
			}
			return nil
		})
	})
	t.Run("Send", func(t *testing.T) {
		l, path := portUnixServer(t)
		anyiotest.Run(t, func(ctx context.Context) error {
			s, peer, err := skConnectUnix(ctx, l, path)
			if err != nil {
				return err
			}
			defer peer.Close()
			read := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(peer)
				read <- b
			}()
			err = s.Send(ctx, big)
			s.Close(ctx)
			got := <-read
			if err != nil {
				return err
			}
			if !bytes.Equal(got, big) {
				t.Errorf("the peer read %d bytes, not the %d sent", len(got), len(big))
			}
			return nil
		})
	})
}

// Ports TestUNIXStream.test_iterate.
func TestUnixStreamIterate(t *testing.T) {
	portWithUnixStream(t, func(ctx context.Context, s anyio.UnixSocketStream, peer net.Conn) error {
		return skCheckIterateBytes(t, ctx, s, peer)
	})
}

// portBlockedSend starts a task whose one Send of s can never finish (nobody
// reads the peer and the data is far more than the buffers hold), waits until
// it is inside that Send, and returns the channel its result arrives on.
func portBlockedSend(t *testing.T, tg *anyio.TaskGroup, s anyio.ByteStream) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	huge := make([]byte, 64<<20)
	tg.StartSoon(func(ctx context.Context) error {
		done <- skRetryBusy(func() error { return s.Send(ctx, huge) })
		return nil
	})
	skWaitBusy(t, func(ctx context.Context) error { return s.Send(ctx, []byte("x")) })
	return done
}

// Ports TestUNIXStream.test_concurrent_send.
func TestUnixStreamConcurrentSend(t *testing.T) {
	portWithUnixStream(t, func(ctx context.Context, s anyio.UnixSocketStream, peer net.Conn) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := portBlockedSend(t, tg, s)
			err := s.Send(ctx, []byte("foo"))
			var busy *anyio.BusyResourceError
			if !errors.As(err, &busy) || busy.Action != "writing to" {
				t.Errorf("concurrent Send = %v, want *anyio.BusyResourceError writing to", err)
			}
			tg.CancelScope().Cancel()
			skWantErr(t, "the blocked Send after cancellation", <-done, anyio.ErrCancelled)
			return nil
		})
	})
}

// Ports TestUNIXStream.test_close_during_send.
func TestUnixStreamCloseDuringSend(t *testing.T) {
	l, path := portUnixServer(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectUnix(ctx, l, path)
		if err != nil {
			return err
		}
		defer peer.Close()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := portBlockedSend(t, tg, s)
			if err := s.Close(ctx); err != nil {
				t.Errorf("Close = %v", err)
			}
			skWantErr(t, "Send blocked during Close", <-done, anyio.ErrClosedResource)
			return nil
		})
	})
}

// portNonUTF8Path returns a socket path whose last byte is not valid UTF-8.
func portNonUTF8Path(t *testing.T) string {
	t.Helper()
	return skSocketPaths(t)["Path"] + "\xf0"
}

// Ports TestUNIXStream.test_connecting_with_non_utf8,
// TestUNIXListener.test_listening_invalid_ascii and
// TestUNIXDatagramSocket.test_local_path_invalid_ascii: a socket path is
// bytes, not text.
func TestUnixNonUTF8Paths(t *testing.T) {
	t.Run("ConnectUnix", func(t *testing.T) {
		path := portNonUTF8Path(t)
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		anyiotest.Run(t, func(ctx context.Context) error {
			s, peer, err := skConnectUnix(ctx, l, path)
			if err != nil {
				return fmt.Errorf("ConnectUnix(%q): %w", path, err)
			}
			defer s.Close(ctx)
			defer peer.Close()
			peer.Write([]byte("hi"))
			buf := make([]byte, 2)
			if _, err := io.ReadFull(anyio.AsReader(ctx, s), buf); err != nil || string(buf) != "hi" {
				t.Errorf("Receive = %q, %v", buf, err)
			}
			return nil
		})
	})
	t.Run("CreateUnixListener", func(t *testing.T) {
		path := portNonUTF8Path(t)
		anyiotest.Run(t, func(ctx context.Context) error {
			l, err := anyio.CreateUnixListener(ctx, path)
			if err != nil {
				return fmt.Errorf("CreateUnixListener(%q): %w", path, err)
			}
			defer l.Close(ctx)
			if local, _ := anyio.Extra(l, anyio.SocketAttribute.LocalAddress); local == nil || local.String() != path {
				t.Errorf("LocalAddress = %v, want %q", local, path)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the socket file: %v", err)
			}
			c, err := net.Dial("unix", path)
			if err != nil {
				return err
			}
			defer c.Close()
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			return s.Close(ctx)
		})
	})
	t.Run("CreateUnixDatagramSocket", func(t *testing.T) {
		path := portNonUTF8Path(t)
		anyiotest.Run(t, func(ctx context.Context) error {
			s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(path))
			if err != nil {
				return fmt.Errorf("CreateUnixDatagramSocket(LocalPath(%q)): %w", path, err)
			}
			defer s.Close(ctx)
			if local, _ := anyio.Extra(s, anyio.SocketAttribute.LocalAddress); local == nil || local.String() != path {
				t.Errorf("LocalAddress = %v, want %q", local, path)
			}
			if err := s.SendTo(ctx, []byte("self"), path); err != nil {
				return err
			}
			pkt, err := s.Receive(ctx)
			if err != nil || string(pkt.Data) != "self" || pkt.Addr != path {
				t.Errorf("Receive = %q from %q, %v; want %q from %q", pkt.Data, pkt.Addr, err, "self", path)
			}
			return nil
		})
	})
}
