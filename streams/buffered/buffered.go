// Package buffered adds a receive buffer to any byte stream, for protocols
// that read up to a delimiter or a fixed number of bytes (AnyIO's
// anyio.streams.buffered).
//
// A [ReceiveStream] wraps a receive stream; a [Stream] wraps a bidirectional
// one and passes sends through. Wrap a stream of byte slices (such as a memory
// object stream) with anyio.ObjectToByteReceiveStream first.
package buffered

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

const (
	// minRead is the least free space that a read from the wrapped stream is
	// given; the buffer is compacted or grown to provide it.
	minRead = 4096
	// initialSize is the size of the buffer when it is first needed.
	initialSize = 16 << 10
)

// ReceiveStream is a byte receive stream with a buffer (AnyIO's
// BufferedByteReceiveStream). Its receiving methods serve one task at a time:
// a second task calling one of them meanwhile gets *anyio.BusyResourceError.
// Data received from the wrapped stream but not yet returned stays in the
// buffer, also when a call fails or is cancelled, and is returned first by the
// next call.
type ReceiveStream struct {
	s      anyio.ByteReceiveStream
	buf    []byte // buf[r:] is buffered data; buf[len(buf):cap(buf)] is free
	r      int
	busy   atomic.Bool
	closed atomic.Bool
}

var _ anyio.ByteReceiveStream = (*ReceiveStream)(nil)

// NewReceiveStream returns a buffered stream that receives from s.
func NewReceiveStream(s anyio.ByteReceiveStream) *ReceiveStream {
	return &ReceiveStream{s: s}
}

// Buffer returns a copy of the bytes received from the wrapped stream and not
// yet returned.
func (b *ReceiveStream) Buffer() []byte {
	return bytes.Clone(b.buf[b.r:])
}

// FeedData appends p to the buffer: the next receiving calls return it after
// what is already buffered and before anything else from the wrapped stream.
// It must not be called while a receiving method runs.
func (b *ReceiveStream) FeedData(p []byte) {
	b.buf = append(b.buf, p...)
}

// Receive copies buffered bytes into p, or, when the buffer is empty,
// receives from the wrapped stream directly into p. It follows the
// anyio.ByteReceiveStream contract: at least one byte, anyio.ErrEmptyBuffer
// for an empty p, anyio.ErrEndOfStream at the end, anyio.ErrClosedResource
// once closed, a cancellation error once ctx is cancelled.
func (b *ReceiveStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	if err := b.enter(ctx); err != nil {
		return 0, err
	}
	defer b.busy.Store(false)
	if b.r < len(b.buf) {
		n := copy(p, b.buf[b.r:])
		b.consume(n)
		return n, nil
	}
	n, err := b.s.Receive(ctx, p)
	return n, b.mapErr(err)
}

// ReceiveExactly returns the next n bytes, in a new slice, blocking until
// they have all arrived. If the stream ends first it returns
// anyio.ErrIncompleteRead (io.ErrUnexpectedEOF), and the bytes that did
// arrive stay in the buffer; so do they when ctx is cancelled. It returns an
// error at once if n is not positive.
func (b *ReceiveStream) ReceiveExactly(ctx context.Context, n int) ([]byte, error) {
	if n <= 0 {
		return nil, fmt.Errorf("anyio/buffered: ReceiveExactly(%d): the number of bytes must be positive", n)
	}
	if err := b.enter(ctx); err != nil {
		return nil, err
	}
	defer b.busy.Store(false)
	for len(b.buf)-b.r < n {
		if err := b.fill(ctx, n-(len(b.buf)-b.r)); err != nil {
			return nil, err
		}
	}
	out := bytes.Clone(b.buf[b.r : b.r+n])
	b.consume(n)
	return out, nil
}

// ReceiveUntil returns, in a new slice, the bytes before the next occurrence
// of delim, and consumes them and the delimiter; it blocks until the
// delimiter has arrived.
//
// The returned bytes are at most maxBytes long: when no delimiter starts
// within the first maxBytes bytes of the stream's remaining data, it returns
// *anyio.DelimiterNotFoundError (this does not depend on how the data was
// chunked). If the stream ends before a delimiter, it returns
// anyio.ErrIncompleteRead. In both cases, and when ctx is cancelled, the data
// stays in the buffer (see [ReceiveStream.Buffer]). It returns an error at
// once for an empty delim or a maxBytes that is not positive.
func (b *ReceiveStream) ReceiveUntil(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	if len(delim) == 0 {
		return nil, errors.New("anyio/buffered: ReceiveUntil: the delimiter must not be empty")
	}
	if maxBytes <= 0 {
		return nil, fmt.Errorf("anyio/buffered: ReceiveUntil: maxBytes (%d) must be positive", maxBytes)
	}
	if err := b.enter(ctx); err != nil {
		return nil, err
	}
	defer b.busy.Store(false)
	limit := maxBytes + len(delim) // a delimiter that can count ends within limit bytes
	searched := 0                  // bytes of the buffered data known not to start a delimiter
	for {
		data := b.buf[b.r:]
		if len(data) > limit {
			data = data[:limit]
		}
		var i int
		if len(delim) == 1 {
			i = bytes.IndexByte(data[searched:], delim[0])
		} else {
			i = bytes.Index(data[searched:], delim)
		}
		if i >= 0 {
			i += searched
			out := bytes.Clone(data[:i])
			b.consume(i + len(delim))
			return out, nil
		}
		if len(data) == limit {
			return nil, &anyio.DelimiterNotFoundError{MaxBytes: maxBytes}
		}
		searched = max(len(data)-len(delim)+1, 0)
		if err := b.fill(ctx, 1); err != nil {
			return nil, err
		}
	}
}

// enter starts a receiving call.
func (b *ReceiveStream) enter(ctx context.Context) error {
	if b.closed.Load() {
		return anyio.ErrClosedResource
	}
	if !b.busy.CompareAndSwap(false, true) {
		return &anyio.BusyResourceError{Action: "reading from"}
	}
	if ctx.Err() != nil {
		b.busy.Store(false)
		return core.CancelErr(ctx)
	}
	return nil
}

// consume drops the first n buffered bytes.
func (b *ReceiveStream) consume(n int) {
	b.r += n
	if b.r == len(b.buf) {
		b.buf, b.r = b.buf[:0], 0
	}
}

// fill receives more data from the wrapped stream into the buffer, with room
// for at least need more bytes. The end of the stream is
// anyio.ErrIncompleteRead: fill is called only when more data is required.
func (b *ReceiveStream) fill(ctx context.Context, need int) error {
	need = max(need, minRead)
	if cap(b.buf)-len(b.buf) < need {
		unread := len(b.buf) - b.r
		if cap(b.buf)-unread >= need && b.r > 0 {
			copy(b.buf, b.buf[b.r:])
		} else {
			nb := make([]byte, unread, max(2*cap(b.buf), unread+need, initialSize))
			copy(nb, b.buf[b.r:])
			b.buf = nb
		}
		b.buf, b.r = b.buf[:unread], 0
	}
	n, err := b.s.Receive(ctx, b.buf[len(b.buf):cap(b.buf)])
	b.buf = b.buf[:len(b.buf)+n]
	if err != nil {
		if errors.Is(err, anyio.ErrEndOfStream) && !b.closed.Load() {
			return anyio.ErrIncompleteRead
		}
		return b.mapErr(err)
	}
	return nil
}

func (b *ReceiveStream) mapErr(err error) error {
	if err != nil && b.closed.Load() && !errors.Is(err, anyio.ErrEndOfStream) {
		return anyio.ErrClosedResource
	}
	return err
}

// Close closes the wrapped stream and drops the buffer; receiving calls then
// return anyio.ErrClosedResource.
func (b *ReceiveStream) Close(ctx context.Context) error {
	b.closed.Store(true)
	return b.s.Close(ctx)
}

// ExtraAttributes returns the wrapped stream's typed attributes.
func (b *ReceiveStream) ExtraAttributes() map[any]func() any { return b.s.ExtraAttributes() }

// Stream is a bidirectional byte stream whose receiving side is buffered as
// a [ReceiveStream]'s; sends go to the wrapped stream unchanged (AnyIO 4.10's
// BufferedByteStream).
type Stream struct {
	ReceiveStream
	s anyio.ByteStream
}

var _ anyio.ByteStream = (*Stream)(nil)

// NewStream returns a buffered stream over s.
func NewStream(s anyio.ByteStream) *Stream {
	return &Stream{ReceiveStream: ReceiveStream{s: s}, s: s}
}

// Send sends p on the wrapped stream; it returns anyio.ErrClosedResource once
// the stream is closed, and the wrapped stream's errors otherwise.
func (b *Stream) Send(ctx context.Context, p []byte) error {
	if b.closed.Load() {
		return anyio.ErrClosedResource
	}
	return b.s.Send(ctx, p)
}

// SendEOF closes the sending direction of the wrapped stream only; receiving
// goes on.
func (b *Stream) SendEOF(ctx context.Context) error {
	if b.closed.Load() {
		return anyio.ErrClosedResource
	}
	return b.s.SendEOF(ctx)
}

// Connectable makes buffered connections: each connection of the wrapped
// connectable comes wrapped in a [Stream] (AnyIO 4.10's BufferedConnectable).
type Connectable struct {
	c anyio.ByteStreamConnectable
}

var _ anyio.ByteStreamConnectable = (*Connectable)(nil)

// NewConnectable returns a connectable over c.
func NewConnectable(c anyio.ByteStreamConnectable) *Connectable {
	return &Connectable{c: c}
}

// Connect connects with the wrapped connectable and returns the connection
// as a *Stream. It blocks as the wrapped Connect does.
func (c *Connectable) Connect(ctx context.Context) (anyio.ByteStream, error) {
	s, err := c.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return NewStream(s), nil
}
