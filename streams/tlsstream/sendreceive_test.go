package tlsstream_test

// Tests of sending and receiving over TLS streams, and of how they end:
// close_notify, ragged EOFs, SendEOF, cancelled sends.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

func TestStreamConformance(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}} {
		t.Run(v.name+"/TCP", func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				ct, st := tcpPair(t)
				return tlsPair(t, ca, ct, st, v.max)
			})
		})
		t.Run(v.name+"/Memory", func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				ct, st := memoryPair(4)
				return tlsPair(t, ca, ct, st, v.max)
			})
		})
	}
}

func TestStreamSendReceiveWithCryptoTLSServer(t *testing.T) {
	ca := anyiotest.NewCA(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		buf := make([]byte, 10)
		n, err := c.Read(buf)
		if err == nil {
			b := buf[:n]
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
			_, err = c.Write(b)
		}
		done <- err
	}()
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := tlsstream.Connect(ctx, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, ca.ClientConfig())
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if err := s.Send(ctx, []byte("hello")); err != nil {
			return err
		}
		buf := make([]byte, 10)
		n, err := s.Receive(ctx, buf)
		if err != nil || string(buf[:n]) != "olleh" {
			t.Errorf("Receive = %q, %v; want %q", buf[:n], err, "olleh")
		}
		if _, err := s.Receive(ctx, nil); !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive(nil) = %v, want anyio.ErrEmptyBuffer", err)
		}
		return <-done
	})
}

func TestStreamRaggedEOF(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, tc := range []struct {
		name                   string
		server, client         bool // standard compatible
		wantClient, wantServer error
	}{
		{"BothStandard", true, true, anyio.ErrEndOfStream, nil},
		{"ServerStandard", true, false, anyio.ErrEndOfStream, anyio.ErrBrokenResource},
		{"ClientStandard", false, true, anyio.ErrBrokenResource, nil},
		{"NeitherStandard", false, false, anyio.ErrEndOfStream, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				ct, st := tcpPair(t)
				c, s, err := handshake(t, ctx, ct, st,
					[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()), tlsstream.StandardCompatible(tc.client)},
					[]tlsstream.Option{tlsstream.Config(ca.ServerConfig()), tlsstream.StandardCompatible(tc.server)})
				if err != nil {
					return err
				}
				var serverErr error
				err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						if err := s.Send(ctx, []byte("hello")); err != nil {
							return err
						}
						if tc.server {
							// A standard server does the closing handshake.
							_, _, serverErr = s.Unwrap(ctx)
							st.Close(ctx)
						} else {
							serverErr = s.Close(ctx) // no close_notify
						}
						return nil
					})
					buf := make([]byte, 16)
					n, err := c.Receive(ctx, buf)
					if err != nil || string(buf[:n]) != "hello" {
						t.Errorf("Receive = %q, %v", buf[:n], err)
					}
					if !tc.server || tc.client {
						_, err = c.Receive(ctx, buf)
						if !errors.Is(err, tc.wantClient) {
							t.Errorf("Receive at the end = %v, want %v", err, tc.wantClient)
						}
						_, err = c.Receive(ctx, buf)
						if !errors.Is(err, tc.wantClient) {
							t.Errorf("second Receive at the end = %v, want %v", err, tc.wantClient)
						}
					}
					c.Close(ctx)
					return nil
				})
				if tc.wantServer == nil && serverErr != nil {
					t.Errorf("server's end = %v", serverErr)
				} else if tc.wantServer != nil && !errors.Is(serverErr, tc.wantServer) {
					t.Errorf("server's end = %v, want %v", serverErr, tc.wantServer)
				}
				return err
			})
		})
	}
}

func TestStreamSendEOFNeedsTLS13(t *testing.T) {
	ca := anyiotest.NewCA(t)
	ct, st := memoryPair(2)
	c, s := tlsPair(t, ca, ct, st, tls.VersionTLS12)
	defer anyio.CloseForcefully(c)
	defer anyio.CloseForcefully(s)
	err := c.SendEOF(context.Background())
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "TLS 1.3") {
		t.Errorf("SendEOF under TLS 1.2 = %v, want errors.ErrUnsupported", err)
	}
}

func TestStreamCancelledSend(t *testing.T) {
	ca := anyiotest.NewCA(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		ct, st := memoryPair(0) // a Send blocks until the peer receives
		c, s := tlsPair(t, ca, ct, st, 0)
		defer anyio.CloseForcefully(c)
		defer anyio.CloseForcefully(s)
		// The Send blocks (nobody receives); once it does, its scope is
		// cancelled.
		scope := anyio.NewCancelScope()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					err := c.Send(ctx, bytes.Repeat([]byte("x"), 100000))
					if !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("Send cancelled while blocked = %v", err)
					}
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if !scope.CancelledCaught() {
			t.Fatal("the Send was not cancelled")
		}
		if err := c.Send(ctx, []byte("more")); !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Send after a cancelled Send = %v, want anyio.ErrBrokenResource", err)
		}
		// Receiving still works.
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return s.Send(ctx, []byte("reply")) })
			buf := make([]byte, 5)
			if _, err := io.ReadFull(anyio.AsReader(ctx, c), buf); err != nil || string(buf) != "reply" {
				t.Errorf("Receive after a cancelled Send = %q, %v", buf, err)
			}
			return nil
		})
	})
}

// Ports AnyIO's TestTLSStream.test_receive_send_after_eof: after the peer's
// close_notify, every Receive returns anyio.ErrEndOfStream (not a TLS error),
// and closing the stream then succeeds and sends close_notify back.
func TestStreamReceiveAfterEOF(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, v := range portVersions {
		t.Run(v.name, func(t *testing.T) {
			scfg, ccfg := ca.ServerConfig(), ca.ClientConfig()
			scfg.MaxVersion, ccfg.MaxVersion = v.max, v.max
			port, served := foreignServer(t, scfg, func(c *tls.Conn) error {
				if _, err := c.Write([]byte("hello")); err != nil {
					return err
				}
				if err := c.CloseWrite(); err != nil { // close_notify
					return err
				}
				return readToEnd(c) // the closing handshake: wait for the client's
			})
			anyiotest.Run(t, func(ctx context.Context) error {
				s, _, err := portConnectTLS(ctx, port, ccfg)
				if err != nil {
					return err
				}
				buf := make([]byte, 64)
				n, err := s.Receive(ctx, buf)
				if err != nil || string(buf[:n]) != "hello" {
					t.Errorf("Receive = %q, %v; want hello", buf[:n], err)
				}
				for i := range 3 {
					if n, err := s.Receive(ctx, buf); n != 0 || !errors.Is(err, anyio.ErrEndOfStream) {
						t.Errorf("Receive %d after the peer's close_notify = %d, %v; want anyio.ErrEndOfStream", i+1, n, err)
					}
				}
				portCloseNotify(t, ctx, s, "Close after the end of the stream", served)
				return nil
			})
		})
	}
}
