package tlsstream_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// testTimeout bounds the waits that anyiotest.Run's own timeout does not
// cover (a peer process, a handshake outside a Run, a raw deadline): a safety
// net against hangs, never a synchronisation.
const testTimeout = 30 * time.Second

// memoryPair returns two byte streams joined by memory object streams.
func memoryPair(buffer int) (anyio.ByteStream, anyio.ByteStream) {
	s1, r1 := anyio.NewMemoryObjectStream[[]byte](buffer)
	s2, r2 := anyio.NewMemoryObjectStream[[]byte](buffer)
	return anyio.ObjectToByteStream(stapled.NewObjectStream(s1, r2)),
		anyio.ObjectToByteStream(stapled.NewObjectStream(s2, r1))
}

// tcpPair returns the two ends of a loopback TCP connection as anyio
// streams.
func tcpPair(t *testing.T) (anyio.SocketStream, anyio.SocketStream) {
	t.Helper()
	ctx := context.Background()
	multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer multi.Close(ctx)
	l := multi.Listeners()[0].(anyio.SocketListener)
	port, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
	c, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// handshake wraps both ends of a transport pair concurrently and returns
// the client and the server stream.
func handshake(t *testing.T, ctx context.Context, ct, st anyio.ByteStream, copts, sopts []tlsstream.Option) (*tlsstream.Stream, *tlsstream.Stream, error) {
	t.Helper()
	var client, server *tlsstream.Stream
	var cerr, serr error
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			server, serr = tlsstream.Wrap(ctx, st, sopts...)
			return nil
		})
		client, cerr = tlsstream.Wrap(ctx, ct, copts...)
		if cerr != nil {
			// A client that fails before it says anything leaves the
			// server waiting.
			tg.CancelScope().Cancel()
		}
		return nil
	})
	if cerr != nil && errors.Is(serr, anyio.ErrCancelled) {
		serr = nil
	}
	if err == nil {
		err = errors.Join(cerr, serr)
	}
	return client, server, err
}

// tlsPair returns a client and a server TLS stream over the transports
// that mk makes, with TLS version max (0: the highest).
func tlsPair(t *testing.T, ca *anyiotest.CA, ct, st anyio.ByteStream, max uint16) (*tlsstream.Stream, *tlsstream.Stream) {
	t.Helper()
	ccfg, scfg := ca.ClientConfig(), ca.ServerConfig()
	ccfg.MaxVersion, scfg.MaxVersion = max, max
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, s, err := handshake(t, ctx, ct, st,
		[]tlsstream.Option{tlsstream.Hostname("localhost"), tlsstream.Config(ccfg)},
		[]tlsstream.Option{tlsstream.ServerSide(true), tlsstream.Config(scfg)})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// portVersions are the TLS versions the ports run under.
var portVersions = []struct {
	name string
	max  uint16
}{{"TLS13", tls.VersionTLS13}, {"TLS12", tls.VersionTLS12}}

// foreignServer serves one connection on 127.0.0.1 with crypto/tls alone
// (no anyio), as AnyIO's tests use a server thread with the ssl module. It
// returns the port and a channel that receives serve's result.
func foreignServer(t *testing.T, cfg *tls.Config, serve func(c *tls.Conn) error) (int, <-chan error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout)) // a safety net only
		done <- serve(c.(*tls.Conn))
	}()
	return ln.Addr().(*net.TCPAddr).Port, done
}

// readToEnd reads from c until an error and returns it: io.EOF once the
// peer's close_notify arrived.
func readToEnd(c *tls.Conn) error {
	buf := make([]byte, 256)
	for {
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
}

// portConnectTLS connects to 127.0.0.1:port over TCP and wraps the
// connection in a client TLS stream for "localhost" with ccfg; it returns
// the TLS stream and its transport.
func portConnectTLS(ctx context.Context, port int, ccfg *tls.Config) (*tlsstream.Stream, anyio.SocketStream, error) {
	transport, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
	if err != nil {
		return nil, nil, err
	}
	s, err := tlsstream.Wrap(ctx, transport, tlsstream.Hostname("localhost"), tlsstream.Config(ccfg))
	if err != nil {
		anyio.CloseForcefully(transport)
		return nil, nil, err
	}
	return s, transport, nil
}

// portCloseNotify closes s (what names the Close in a failure) and checks
// that the server, whose read result arrives on served, saw close_notify.
func portCloseNotify(t *testing.T, ctx context.Context, s *tlsstream.Stream, what string, served <-chan error) {
	t.Helper()
	if err := s.Close(ctx); err != nil {
		t.Errorf("%s = %v", what, err)
	}
	if err := <-served; err != io.EOF {
		t.Errorf("the server's read ended with %v, want io.EOF (close_notify)", err)
	}
}
