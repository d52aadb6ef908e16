// Package stapled combines a send stream and a receive stream into one
// bidirectional stream (AnyIO's anyio.streams.stapled). MultiListener, the
// third member of AnyIO's module, is anyio.MultiListener.
package stapled

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyio-go/anyio"
)

// ByteStream sends on one byte stream and receives from another (AnyIO's
// StapledByteStream). Its typed attributes are those of both, the receive
// stream's winning where both have one.
type ByteStream struct {
	SendStream    anyio.ByteSendStream
	ReceiveStream anyio.ByteReceiveStream
}

var _ anyio.ByteStream = (*ByteStream)(nil)

// NewByteStream returns the two streams as one.
func NewByteStream(send anyio.ByteSendStream, receive anyio.ByteReceiveStream) *ByteStream {
	return &ByteStream{SendStream: send, ReceiveStream: receive}
}

// Receive receives from the receive stream; an empty p gives
// anyio.ErrEmptyBuffer. It blocks, fails and is cancelled as the receive
// stream's Receive.
func (s *ByteStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	return s.ReceiveStream.Receive(ctx, p)
}

// Send sends on the send stream, as its Send does.
func (s *ByteStream) Send(ctx context.Context, p []byte) error {
	return s.SendStream.Send(ctx, p)
}

// SendEOF closes the send stream: the peer sees the end of the stream while
// receiving goes on. Sending afterwards gives the send stream's
// anyio.ErrClosedResource.
func (s *ByteStream) SendEOF(ctx context.Context) error {
	return s.SendStream.Close(ctx)
}

// Close closes both streams, the send stream first, and returns their errors
// joined.
func (s *ByteStream) Close(ctx context.Context) error {
	return errors.Join(s.SendStream.Close(ctx), s.ReceiveStream.Close(ctx))
}

// ExtraAttributes returns the attributes of both streams; the receive
// stream's win.
func (s *ByteStream) ExtraAttributes() map[any]func() any {
	return anyio.MergeAttributes(s.SendStream.ExtraAttributes(), s.ReceiveStream.ExtraAttributes())
}

// ObjectStream sends on one object stream and receives from another (AnyIO's
// StapledObjectStream). Its typed attributes are those of both, the receive
// stream's winning where both have one.
type ObjectStream[T any] struct {
	SendStream    anyio.ObjectSendStream[T]
	ReceiveStream anyio.ObjectReceiveStream[T]
}

var _ anyio.ObjectStream[int] = (*ObjectStream[int])(nil)

// NewObjectStream returns the two streams as one.
func NewObjectStream[T any](send anyio.ObjectSendStream[T], receive anyio.ObjectReceiveStream[T]) *ObjectStream[T] {
	return &ObjectStream[T]{SendStream: send, ReceiveStream: receive}
}

// Receive receives from the receive stream, as its Receive does.
func (s *ObjectStream[T]) Receive(ctx context.Context) (T, error) {
	return s.ReceiveStream.Receive(ctx)
}

// Send sends on the send stream, as its Send does.
func (s *ObjectStream[T]) Send(ctx context.Context, item T) error {
	return s.SendStream.Send(ctx, item)
}

// TrySend sends item without blocking when the send stream can (it has a
// TrySend method, as anyio.MemoryObjectSendStream does); otherwise it returns
// an error matching errors.ErrUnsupported.
func (s *ObjectStream[T]) TrySend(item T) error {
	ts, ok := s.SendStream.(interface{ TrySend(T) error })
	if !ok {
		return fmt.Errorf("anyio/stapled: TrySend is not implemented by %T: %w", s.SendStream, errors.ErrUnsupported)
	}
	return ts.TrySend(item)
}

// SendEOF closes the send stream: the peer sees the end of the stream while
// receiving goes on.
func (s *ObjectStream[T]) SendEOF(ctx context.Context) error {
	return s.SendStream.Close(ctx)
}

// Close closes both streams, the send stream first, and returns their errors
// joined.
func (s *ObjectStream[T]) Close(ctx context.Context) error {
	return errors.Join(s.SendStream.Close(ctx), s.ReceiveStream.Close(ctx))
}

// ExtraAttributes returns the attributes of both streams; the receive
// stream's win.
func (s *ObjectStream[T]) ExtraAttributes() map[any]func() any {
	return anyio.MergeAttributes(s.SendStream.ExtraAttributes(), s.ReceiveStream.ExtraAttributes())
}
