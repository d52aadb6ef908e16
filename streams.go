package anyio

import (
	"context"
	"errors"
	"iter"

	"github.com/anyio-go/anyio/internal/core"
)

// AsyncResource is anything that must be closed (AnyIO's AsyncResource).
//
// Close releases the resource. It is idempotent: closing a closed resource
// does nothing and returns nil. A Close that would wait on the peer (a TLS
// close_notify, a flush) stops waiting once ctx is cancelled and closes
// forcefully: a cancelled ctx is how a resource is closed without grace (see
// [CloseForcefully]).
type AsyncResource interface {
	Close(ctx context.Context) error
}

// UnreliableObjectReceiveStream receives objects of type T; items may be lost,
// duplicated or reordered by the transport (a UDP socket, for instance).
//
// Receive blocks until an item arrives and returns it. It returns
// [ErrEndOfStream] once the peer closed its sending side and nothing is left,
// [ErrClosedResource] once this stream was closed, [ErrBrokenResource] once
// the transport failed, and a cancellation error once ctx is cancelled; an
// error means that no item was taken.
type UnreliableObjectReceiveStream[T any] interface {
	AsyncResource
	TypedAttributeProvider
	Receive(ctx context.Context) (T, error)
}

// UnreliableObjectSendStream sends objects of type T, without a guarantee of
// delivery (AnyIO's UnreliableObjectSendStream).
//
// Send blocks until the item is handed over. It returns [ErrClosedResource]
// once this stream was closed, [ErrBrokenResource] once the peer is gone, and
// a cancellation error once ctx is cancelled; an error means that the item was
// not sent.
type UnreliableObjectSendStream[T any] interface {
	AsyncResource
	TypedAttributeProvider
	Send(ctx context.Context, item T) error
}

// UnreliableObjectStream sends and receives objects of type T.
type UnreliableObjectStream[T any] interface {
	UnreliableObjectReceiveStream[T]
	UnreliableObjectSendStream[T]
}

// ObjectReceiveStream is an [UnreliableObjectReceiveStream] whose items
// arrive reliably and in order: each item sent is received exactly once.
type ObjectReceiveStream[T any] interface {
	UnreliableObjectReceiveStream[T]
}

// ObjectSendStream is an [UnreliableObjectSendStream] that delivers reliably
// and in order.
type ObjectSendStream[T any] interface {
	UnreliableObjectSendStream[T]
}

// ObjectStream is a reliable, ordered, bidirectional object stream.
//
// SendEOF closes the sending direction only: the peer's Receive returns
// [ErrEndOfStream] after the items already sent, while this side can still
// receive. It is idempotent.
type ObjectStream[T any] interface {
	ObjectReceiveStream[T]
	ObjectSendStream[T]
	SendEOF(ctx context.Context) error
}

// ByteReceiveStream receives a stream of bytes (AnyIO's ByteReceiveStream).
//
// Receive blocks until at least one byte is available, copies at most len(p)
// bytes into p and returns how many it copied. It never returns (0, nil): an
// empty p gives [ErrEmptyBuffer], and the end of the stream gives
// [ErrEndOfStream] (io.EOF). It returns [ErrClosedResource] once this stream
// was closed, an error matching [ErrBrokenResource] when the transport failed,
// *[BusyResourceError] when another task is already receiving from it, and a
// cancellation error once ctx is cancelled. A cancelled Receive took nothing:
// bytes that had arrived stay in the stream for the next call. The stream does
// not retain p.
type ByteReceiveStream interface {
	AsyncResource
	TypedAttributeProvider
	Receive(ctx context.Context, p []byte) (int, error)
}

// ByteSendStream sends a stream of bytes (AnyIO's ByteSendStream).
//
// Send blocks until all of p was handed to the transport. It returns
// [ErrClosedResource] once this stream was closed, an error matching
// [ErrBrokenResource] when the peer is gone or the transport failed,
// *[BusyResourceError] when another task is already sending on it, and a
// cancellation error once ctx is cancelled (a transport that cannot take back
// bytes may have sent a prefix of p by then). The stream does not retain p.
type ByteSendStream interface {
	AsyncResource
	TypedAttributeProvider
	Send(ctx context.Context, p []byte) error
}

// ByteStream is a bidirectional byte stream.
//
// SendEOF closes the sending direction only (a TCP half-close): the peer's
// Receive returns [ErrEndOfStream] once it has read what was sent, while this
// side can still receive. It is idempotent. A transport that cannot
// half-close returns an error matching errors.ErrUnsupported.
type ByteStream interface {
	ByteReceiveStream
	ByteSendStream
	SendEOF(ctx context.Context) error
}

// Listener accepts incoming connections of type T (AnyIO's Listener).
//
// Serve accepts connections until ctx is cancelled or the listener fails or
// is closed, and runs handler for each one in a task of tg, or of a task
// group of its own when tg is nil. It returns the listener's error, or the
// cancellation error. The handler owns the stream it is given and should close
// it. anyio's socket listeners (and the listeners built on them) do not count
// running out of descriptors or memory as failing: their Serve waits and
// accepts again (see [SocketListener]).
type Listener[T any] interface {
	AsyncResource
	TypedAttributeProvider
	Serve(ctx context.Context, handler func(ctx context.Context, stream T) error, tg *TaskGroup) error
}

// ByteStreamConnectable makes new byte stream connections (AnyIO 4.10's
// ByteStreamConnectable): Connect blocks until the connection is made or ctx
// is cancelled.
type ByteStreamConnectable interface {
	Connect(ctx context.Context) (ByteStream, error)
}

var forcefulCtx = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(core.NewCancelledError("closed forcefully"))
	return ctx
}()

// CloseForcefully closes r without waiting on its peer: it calls r.Close with
// a cancelled context, as AnyIO's aclose_forcefully does, and returns Close's
// error except for the cancellation it caused.
func CloseForcefully(r AsyncResource) error {
	err := r.Close(forcefulCtx)
	if core.IsCancellation(err) {
		return nil
	}
	return err
}

// Iterate ranges over the items of s until its end:
//
//	for item, err := range anyio.Iterate(ctx, receiveStream) {
//		if err != nil {
//			return err
//		}
//		...
//	}
//
// The loop ends after the last item once s returns [ErrEndOfStream]. Any other
// error (a cancellation, a closed or broken stream) is yielded once, with the
// zero T, and ends the loop. Breaking out of the loop leaves s open.
func Iterate[T any](ctx context.Context, s UnreliableObjectReceiveStream[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			item, err := s.Receive(ctx)
			if err != nil {
				if !errors.Is(err, ErrEndOfStream) {
					var zero T
					yield(zero, err)
				}
				return
			}
			if !yield(item, nil) {
				return
			}
		}
	}
}

// IterateBytes ranges over the chunks received from s, each at most bufSize
// bytes (65536 when bufSize ≤ 0), until the end of the stream. As with
// bufio.Scanner.Bytes, each chunk is valid only until the next iteration: the
// buffer is reused. Errors are yielded as with [Iterate].
func IterateBytes(ctx context.Context, s ByteReceiveStream, bufSize int) iter.Seq2[[]byte, error] {
	if bufSize <= 0 {
		bufSize = 65536
	}
	return func(yield func([]byte, error) bool) {
		buf := make([]byte, bufSize)
		for {
			n, err := s.Receive(ctx, buf)
			if err != nil {
				if !errors.Is(err, ErrEndOfStream) {
					yield(nil, err)
				}
				return
			}
			if !yield(buf[:n], nil) {
				return
			}
		}
	}
}
