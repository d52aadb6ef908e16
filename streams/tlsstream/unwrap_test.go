package tlsstream_test

// Tests of Unwrap: the transport and the bytes left over after close_notify.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

func TestStreamUnwrap(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := tcpPair(t)
		c, s := tlsPair(t, ca, ct, st, 0)
		// The server sends, then unwraps and goes on in plaintext.
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := s.Send(ctx, []byte("encrypted")); err != nil {
					return err
				}
				plain, rest, err := s.Unwrap(ctx)
				if err != nil {
					return err
				}
				if len(rest) != 0 {
					t.Errorf("server: bytes after the session = %q, want none", rest)
				}
				return plain.Send(ctx, []byte("unencrypted"))
			})
			buf := make([]byte, 64)
			n, err := c.Receive(ctx, buf)
			if err != nil || string(buf[:n]) != "encrypted" {
				t.Errorf("Receive = %q, %v", buf[:n], err)
			}
			plain, rest, err := c.Unwrap(ctx)
			if err != nil {
				return err
			}
			if plain != ct {
				t.Error("Unwrap did not return the transport")
			}
			msg := append([]byte(nil), rest...)
			for len(msg) < len("unencrypted") {
				n, err := plain.Receive(ctx, buf)
				if err != nil {
					return err
				}
				msg = append(msg, buf[:n]...)
			}
			if string(msg) != "unencrypted" {
				t.Errorf("plaintext after Unwrap = %q", msg)
			}
			return nil
		})
		// The TLS streams are closed; the transports are not.
		if _, err := c.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("Receive after Unwrap = %v, want anyio.ErrClosedResource", err)
		}
		if _, _, err := c.Unwrap(ctx); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("second Unwrap = %v, want anyio.ErrClosedResource", err)
		}
		c.Close(ctx)
		if err := ct.Send(ctx, []byte("still open")); err != nil {
			t.Errorf("transport Send after Close of the unwrapped TLS stream = %v", err)
		}
		ct.Close(ctx)
		st.Close(ctx)
		return err
	})
}

// delayedReceive is a transport that, once armed, holds every Receive
// until the socket has the bytes suffix queued at its end (peeked, not
// read): then one Receive takes everything that is there.
type delayedReceive struct {
	anyio.SocketStream
	armed  atomic.Bool
	suffix []byte
}

func (d *delayedReceive) Receive(ctx context.Context, p []byte) (int, error) {
	if d.armed.Load() {
		rc, _ := anyio.Extra(d.SocketStream, anyio.SocketAttribute.RawSocket)
		peek := make([]byte, 1<<16)
		for ctx.Err() == nil {
			var n int
			rc.Control(func(fd uintptr) { n, _, _ = unix.Recvfrom(int(fd), peek, unix.MSG_PEEK|unix.MSG_DONTWAIT) })
			if n > 0 && bytes.HasSuffix(peek[:n], d.suffix) {
				break
			}
			runtime.Gosched()
		}
	}
	return d.SocketStream.Receive(ctx, p)
}

func TestStreamUnwrapExactLeftover(t *testing.T) {
	// A STARTTLS-style protocol: plaintext, then TLS, then plaintext again,
	// where the server's first plaintext bytes arrive together with its
	// close_notify and must come back from Unwrap, exactly.
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		rawc, st := tcpPair(t)
		defer rawc.Close(ctx)
		defer st.Close(ctx)
		greeting := []byte("220 ready for plaintext again\r\n")
		ct := &delayedReceive{SocketStream: rawc, suffix: greeting}
		clientReady := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { // the server
				line := make([]byte, len("STARTTLS\r\n"))
				if _, err := io.ReadFull(anyio.AsReader(ctx, st), line); err != nil || string(line) != "STARTTLS\r\n" {
					return errors.Join(err, errors.New("server: no STARTTLS"))
				}
				if err := st.Send(ctx, []byte("220 go ahead\r\n")); err != nil {
					return err
				}
				s, err := tlsstream.Wrap(ctx, st, tlsstream.Config(ca.ServerConfig()))
				if err != nil {
					return err
				}
				if err := s.Send(ctx, []byte("secret")); err != nil {
					return err
				}
				<-clientReady
				plain, rest, err := s.Unwrap(ctx)
				if err != nil {
					return err
				}
				if len(rest) != 0 {
					t.Errorf("server leftover = %q", rest)
				}
				return plain.Send(ctx, greeting)
			})
			if err := ct.Send(ctx, []byte("STARTTLS\r\n")); err != nil {
				return err
			}
			reply := make([]byte, len("220 go ahead\r\n"))
			if _, err := io.ReadFull(anyio.AsReader(ctx, ct), reply); err != nil {
				return err
			}
			c, err := tlsstream.Wrap(ctx, ct, tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()))
			if err != nil {
				return err
			}
			secret := make([]byte, 6)
			if _, err := io.ReadFull(anyio.AsReader(ctx, c), secret); err != nil || string(secret) != "secret" {
				return errors.Join(err, errors.New("client: no secret"))
			}
			// From now on the transport hands over everything at once, once
			// the server's plaintext is there.
			ct.armed.Store(true)
			close(clientReady)
			plain, rest, err := c.Unwrap(ctx)
			if err != nil {
				return err
			}
			if !bytes.Equal(rest, greeting) {
				t.Errorf("Unwrap's leftover = %q, want exactly %q", rest, greeting)
			}
			if plain != anyio.ByteStream(ct) {
				t.Error("Unwrap returned another transport")
			}
			return nil
		})
	})
}

func TestStreamConcurrentUnwrap(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(2)
		c, s := tlsPair(t, ca, ct, st, 0)
		defer anyio.CloseForcefully(c)
		defer anyio.CloseForcefully(s)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				for { // the probe below may hold the stream when this starts
					_, err := c.Receive(ctx, make([]byte, 1))
					var busy *anyio.BusyResourceError
					if !errors.As(err, &busy) {
						return err
					}
					runtime.Gosched()
				}
			})
			for {
				_, _, err := c.Unwrap(skCancelled)
				var busy *anyio.BusyResourceError
				if errors.As(err, &busy) {
					break
				}
				runtime.Gosched()
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

var skCancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()
