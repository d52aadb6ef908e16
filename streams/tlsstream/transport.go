package tlsstream

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// recordHeaderLen is the length of a TLS record header: type, version,
// length.
const recordHeaderLen = 5

// transportBufSize is the size of the adapter's receive buffer.
const transportBufSize = 64 << 10

// transportConn is the net.Conn that crypto/tls runs over: it sends and
// receives on the transport stream with the context of the Stream call
// in progress.
//
// It hands crypto/tls at most one TLS record per Read (it parses the record
// headers), so that whatever the peer sent after its close_notify stays in
// buf, for Unwrap to return. It also tells a peer that closed the transport
// (sawEOF) apart from one that sent close_notify: crypto/tls reports both as
// io.EOF.
//
// The read side (buf, off, end, recLeft, sawEOF) is used by one goroutine at
// a time: crypto/tls reads under its input lock.
type transportConn struct {
	t anyio.ByteStream

	mu   sync.Mutex
	rctx context.Context // of the Receive, Unwrap or handshake in progress
	wctx context.Context // of the Send, SendEOF, Close or handshake in progress

	buf      []byte
	off, end int  // buf[off:end] is received and not yet handed to crypto/tls
	recLeft  int  // bytes of the current record not yet handed over
	sawEOF   bool // the transport reported its end
	readErr  atomic.Bool
	wroteErr atomic.Bool // a write failed or was cancelled: the TLS output is broken

	local, remote net.Addr

	clientCiphers []uint16 // offered by the client, recorded by a server's handshake
}

var _ net.Conn = (*transportConn)(nil)

func newTransportConn(t anyio.ByteStream) *transportConn {
	c := &transportConn{t: t}
	c.local = anyio.ExtraOr[net.Addr](t, anyio.SocketAttribute.LocalAddress, nil)
	c.remote = anyio.ExtraOr[net.Addr](t, anyio.SocketAttribute.RemoteAddress, nil)
	if c.local == nil {
		c.local = transportAddr{}
	}
	if c.remote == nil {
		c.remote = transportAddr{}
	}
	return c
}

func (c *transportConn) setContexts(r, w context.Context) {
	c.mu.Lock()
	c.rctx, c.wctx = r, w
	c.mu.Unlock()
}

func (c *transportConn) setReadCtx(ctx context.Context) {
	c.mu.Lock()
	c.rctx = ctx
	c.mu.Unlock()
}

func (c *transportConn) setWriteCtx(ctx context.Context) {
	c.mu.Lock()
	c.wctx = ctx
	c.mu.Unlock()
}

// clearContexts, clearReadCtx and clearWriteCtx record that no call is in
// progress any more: the field is nil until the next call sets it.
func (c *transportConn) clearContexts() {
	c.mu.Lock()
	c.rctx, c.wctx = nil, nil
	c.mu.Unlock()
}

func (c *transportConn) clearReadCtx() {
	c.mu.Lock()
	c.rctx = nil
	c.mu.Unlock()
}

func (c *transportConn) clearWriteCtx() {
	c.mu.Lock()
	c.wctx = nil
	c.mu.Unlock()
}

func (c *transportConn) readCtx() context.Context {
	c.mu.Lock()
	ctx := c.rctx
	c.mu.Unlock()
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// writeCtx is the context of a write: the one of the call that writes, or,
// for a record that crypto/tls writes while it reads (an alert, a key
// update), the reader's.
func (c *transportConn) writeCtx() context.Context {
	c.mu.Lock()
	ctx := c.wctx
	if ctx == nil {
		ctx = c.rctx
	}
	c.mu.Unlock()
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// Read hands crypto/tls the bytes of the current record, never more.
func (c *transportConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.recLeft == 0 {
		// At a record boundary: the header says how long the record is.
		for c.end-c.off < recordHeaderLen {
			if err := c.fill(); err != nil {
				if err == io.EOF && c.end > c.off {
					// A truncated header: hand it over, so that crypto/tls
					// sees the end in the middle of a record.
					n := copy(p, c.buf[c.off:c.end])
					c.off += n
					return n, nil
				}
				return 0, err
			}
		}
		h := c.buf[c.off : c.off+recordHeaderLen]
		c.recLeft = recordHeaderLen + (int(h[3])<<8 | int(h[4]))
	}
	if c.off == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p[:min(len(p), c.recLeft)], c.buf[c.off:c.end])
	c.off += n
	c.recLeft -= n
	return n, nil
}

// fill receives more bytes from the transport into buf.
func (c *transportConn) fill() error {
	if c.sawEOF {
		return io.EOF
	}
	if c.buf == nil {
		c.buf = make([]byte, transportBufSize)
	}
	if c.off == c.end {
		c.off, c.end = 0, 0
	} else if c.end == len(c.buf) {
		c.end = copy(c.buf, c.buf[c.off:c.end])
		c.off = 0
	}
	ctx := c.readCtx()
	n, err := c.t.Receive(ctx, c.buf[c.end:])
	c.end += n
	if n > 0 {
		return nil
	}
	switch {
	case errors.Is(err, anyio.ErrEndOfStream):
		c.sawEOF = true
		return io.EOF
	case core.IsCancellation(err):
		return &interrupted{err}
	}
	c.readErr.Store(true)
	return err
}

// pending returns a copy of the bytes received and not handed to
// crypto/tls.
func (c *transportConn) pending() []byte {
	if c.end == c.off {
		return nil
	}
	return append([]byte(nil), c.buf[c.off:c.end]...)
}

func (c *transportConn) Write(p []byte) (int, error) {
	if err := c.t.Send(c.writeCtx(), p); err != nil {
		c.wroteErr.Store(true)
		if core.IsCancellation(err) {
			return 0, &interrupted{err}
		}
		return 0, err
	}
	return len(p), nil
}

// Close does nothing: the Stream closes the transport itself.
func (c *transportConn) Close() error { return nil }

func (c *transportConn) LocalAddr() net.Addr  { return c.local }
func (c *transportConn) RemoteAddr() net.Addr { return c.remote }

// The deadlines of crypto/tls (it sets some around close_notify) are
// ignored: the contexts of the calls bound them.
func (c *transportConn) SetDeadline(t time.Time) error      { return nil }
func (c *transportConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *transportConn) SetWriteDeadline(t time.Time) error { return nil }

// interrupted is a transport call cut short by its context's cancellation.
// It is a temporary net.Error, which crypto/tls does not record as a
// failure of the connection when it reads: the read can be tried again.
type interrupted struct{ err error }

func (e *interrupted) Error() string   { return e.err.Error() }
func (e *interrupted) Unwrap() error   { return e.err }
func (e *interrupted) Timeout() bool   { return true }
func (e *interrupted) Temporary() bool { return true }

// transportAddr is the address of a transport that has none.
type transportAddr struct{}

func (transportAddr) Network() string { return "anyio" }
func (transportAddr) String() string  { return "anyio-stream" }
