package anyio

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// AsReader returns an io.Reader that receives from s with ctx: each Read is
// one s.Receive(ctx, p). It returns io.EOF at the end of the stream, and s's
// errors otherwise (a cancellation error once ctx is cancelled). A Read with
// an empty p returns (0, nil). Like s, the reader serves one Read at a time.
func AsReader(ctx context.Context, s ByteReceiveStream) io.Reader {
	return &streamReader{ctx: ctx, s: s}
}

type streamReader struct {
	ctx context.Context
	s   ByteReceiveStream
}

func (r *streamReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.s.Receive(r.ctx, p)
}

// AsWriter returns an io.Writer that sends to s with ctx: each Write is one
// s.Send(ctx, p), and returns len(p) or 0 with s's error. Like s, the writer
// serves one Write at a time.
func AsWriter(ctx context.Context, s ByteSendStream) io.Writer {
	return &streamWriter{ctx: ctx, s: s}
}

type streamWriter struct {
	ctx context.Context
	s   ByteSendStream
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if err := w.s.Send(w.ctx, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// AsConn returns a net.Conn over s, for code written against net.Conn
// (net/http, crypto/tls, gRPC, ...). Every call runs with ctx: once ctx is
// cancelled, calls fail with its cancellation error.
//
// As the net.Conn contract requires, any number of goroutines may call the
// conn's methods at once: Reads are served one at a time, and so are Writes.
// The read and write deadlines become cancellation: a deadline that passes,
// or is set in the past, interrupts a blocked Read or Write, which then
// returns an error whose Timeout method reports true (matching
// os.ErrDeadlineExceeded), and the stream remains usable after a new
// deadline is set. Close closes s and ends blocked calls with an error
// matching net.ErrClosed. Read returns io.EOF at the end of the stream. A
// Write returns len(p) or 0: a Write interrupted after s sent part of p
// reports 0.
//
// LocalAddr and RemoteAddr come from s's SocketAttribute.LocalAddress and
// RemoteAddress when it has them. The conn also has CloseWrite (s.SendEOF) and
// passes s's typed attributes on through an ExtraAttributes method, so that
// [WrapConn] of it gives them back.
func AsConn(ctx context.Context, s ByteStream) net.Conn {
	c := &streamConn{ctx: ctx, s: s}
	c.local = ExtraOr[net.Addr](s, SocketAttribute.LocalAddress, nil)
	c.remote = ExtraOr[net.Addr](s, SocketAttribute.RemoteAddress, nil)
	if c.local == nil {
		c.local = streamAddr{}
	}
	if c.remote == nil {
		c.remote = streamAddr{}
	}
	return c
}

type streamConn struct {
	ctx           context.Context
	s             ByteStream
	rmu, wmu      sync.Mutex
	rd, wd        connDeadline
	closed        atomic.Bool
	local, remote net.Addr
}

// streamAddr is the address of a stream that has none.
type streamAddr struct{}

func (streamAddr) Network() string { return "anyio" }
func (streamAddr) String() string  { return "anyio-stream" }

var (
	errDeadline   = errors.New("anyio: deadline of the net.Conn passed")
	errConnClosed = errors.New("anyio: the net.Conn was closed")
)

func (c *streamConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	ctx, err := c.rd.begin(c.ctx)
	if err != nil {
		return 0, c.opError("read", err)
	}
	n, err := c.s.Receive(ctx, p)
	cause := c.rd.end(ctx)
	if err == nil {
		return n, nil
	}
	if errors.Is(err, io.EOF) {
		return 0, io.EOF
	}
	return 0, c.opError("read", c.mapErr(err, cause))
}

func (c *streamConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, err := c.wd.begin(c.ctx)
	if err != nil {
		return 0, c.opError("write", err)
	}
	err = c.s.Send(ctx, p)
	cause := c.wd.end(ctx)
	if err == nil {
		return len(p), nil
	}
	return 0, c.opError("write", c.mapErr(err, cause))
}

// mapErr turns a stream error into what a net.Conn returns; cause is why the
// call's own context was cancelled, if it was.
func (c *streamConn) mapErr(err, cause error) error {
	switch {
	case core.IsCancellation(err) && cause == errDeadline:
		return os.ErrDeadlineExceeded
	case core.IsCancellation(err) && cause == errConnClosed,
		errors.Is(err, ErrClosedResource), c.closed.Load():
		return net.ErrClosed
	}
	return err
}

func (c *streamConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.local.Network(), Source: c.local, Addr: c.remote, Err: err}
}

// Close closes the stream with the conn's context; later calls return nil.
func (c *streamConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.rd.shut()
	c.wd.shut()
	return c.s.Close(c.ctx)
}

// CloseWrite sends an end-of-file indication (s.SendEOF).
func (c *streamConn) CloseWrite() error {
	if c.closed.Load() {
		return c.opError("close", net.ErrClosed)
	}
	return c.s.SendEOF(c.ctx)
}

func (c *streamConn) LocalAddr() net.Addr  { return c.local }
func (c *streamConn) RemoteAddr() net.Addr { return c.remote }

func (c *streamConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

func (c *streamConn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// ExtraAttributes passes the stream's typed attributes on.
func (c *streamConn) ExtraAttributes() map[any]func() any { return c.s.ExtraAttributes() }

// connDeadline is one direction's deadline of a streamConn, turned into the
// cancellation of the call in progress.
type connDeadline struct {
	mu      sync.Mutex
	gen     uint64
	timer   *time.Timer
	expired bool
	closed  bool
	cancel  context.CancelCauseFunc // of the call in progress, if any
}

func (d *connDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.expired = false
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		d.expireLocked()
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(dur, func() {
		d.mu.Lock()
		if d.gen == gen {
			d.expireLocked()
		}
		d.mu.Unlock()
	})
}

func (d *connDeadline) expireLocked() {
	d.expired = true
	if d.cancel != nil {
		d.cancel(errDeadline)
	}
}

// begin returns the context of a new call, or the error that fails it at once.
func (d *connDeadline) begin(parent context.Context) (context.Context, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return nil, net.ErrClosed
	case d.expired:
		return nil, os.ErrDeadlineExceeded
	}
	ctx, cancel := context.WithCancelCause(parent)
	d.cancel = cancel
	return ctx, nil
}

// end finishes the call begun with ctx and returns why ctx was cancelled by
// the conn, if it was.
func (d *connDeadline) end(ctx context.Context) error {
	d.mu.Lock()
	cancel := d.cancel
	d.cancel = nil
	d.mu.Unlock()
	cause := context.Cause(ctx)
	cancel(nil)
	if cause == errDeadline || cause == errConnClosed {
		return cause
	}
	return nil
}

// shut ends the call in progress and fails later ones: the conn was closed.
func (d *connDeadline) shut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.cancel != nil {
		d.cancel(errConnClosed)
	}
}
