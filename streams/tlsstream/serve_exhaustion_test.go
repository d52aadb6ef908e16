package tlsstream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// emfileListener is a net.Listener whose first n Accepts fail with EMFILE
// and whose later ones block until it is closed.
type emfileListener struct {
	mu       sync.Mutex
	n        int
	accepts  int
	closed   chan struct{}
	closeOne sync.Once
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.accepts++
	fail := l.accepts <= l.n
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *emfileListener) Close() error {
	l.closeOne.Do(func() { close(l.closed) })
	return nil
}

func (l *emfileListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242} }

// A TLS listener serves through the listener it wraps, and so rides out
// its Accepts failing for want of descriptors: Serve goes on until it is
// cancelled.
func TestListenerServeSurvivesDescriptorExhaustion(t *testing.T) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer slog.SetDefault(old)
	ca := anyiotest.NewCA(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		inner := &emfileListener{n: 3, closed: make(chan struct{})}
		l := tlsstream.NewListener(anyio.WrapListener(inner), ca.ServerConfig())
		defer l.Close(ctx)
		var serveErr error
		start := time.Now()
		anyio.MoveOnAfter(time.Second).Run(ctx, func(ctx context.Context) error {
			serveErr = l.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error { return s.Close(ctx) }, nil)
			return serveErr
		})
		if !errors.Is(serveErr, context.Canceled) {
			t.Errorf("Serve returned %v, want the cancellation", serveErr)
		}
		if elapsed := time.Since(start); elapsed != time.Second {
			t.Errorf("Serve returned after %v, want 1s", elapsed)
		}
		inner.mu.Lock()
		defer inner.mu.Unlock()
		if inner.accepts != 4 {
			t.Errorf("%d Accepts, want 4 (three failures, then one that waits)", inner.accepts)
		}
		return nil
	})
}
