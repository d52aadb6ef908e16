package anyio_test

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// BenchmarkTLSBulk measures one-way TLS throughput over loopback TCP with
// 64 KiB sends and 64 KiB receive buffers: anyio's tlsstream.Stream over anyio's
// TCP streams against crypto/tls's tls.Conn over net.Conn.
func BenchmarkTLSBulk(b *testing.B) {
	const chunk = 64 << 10
	ca := anyiotest.NewCA(b)
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(chunk)
		benchRun(b, func(ctx context.Context, tg *anyio.TaskGroup) error {
			ct, st := benchAnyioPair(b, ctx)
			var s, c *tlsstream.Stream
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, hs *anyio.TaskGroup) error {
				hs.StartSoon(func(ctx context.Context) error {
					var err error
					s, err = tlsstream.Wrap(ctx, st, tlsstream.Config(ca.ServerConfig()))
					return err
				})
				var err error
				c, err = tlsstream.Wrap(ctx, ct, tlsstream.Hostname("localhost"), tlsstream.Config(ca.ClientConfig()))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(ctx)
			tg.StartSoon(func(ctx context.Context) error {
				defer s.Close(ctx)
				return drainStream(ctx, s, chunk)
			})
			msg := make([]byte, chunk)
			b.ResetTimer()
			for range b.N {
				if err := c.Send(ctx, msg); err != nil {
					return err
				}
			}
			return c.SendEOF(ctx)
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(chunk)
		rc, rs := benchRawPair(b)
		c := tls.Client(rc, &tls.Config{RootCAs: ca.CertPool(), ServerName: "localhost"})
		s := tls.Server(rs, ca.ServerConfig())
		var wg sync.WaitGroup
		wg.Go(func() {
			defer s.Close()
			drainConn(s, chunk)
		})
		if err := c.Handshake(); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		msg := make([]byte, chunk)
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		c.CloseWrite()
		wg.Wait()
	})
}
