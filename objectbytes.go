package anyio

import (
	"context"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
)

// ObjectToByteReceiveStream adapts a stream of byte slices (such as a
// [MemoryObjectReceiveStream] of []byte) into a [ByteReceiveStream], so that
// the byte stream wrappers (buffered, text, ...) take it: AnyIO's wrappers
// accept both kinds.
//
// Receive returns the bytes of each item in order; an item larger than the
// buffer is returned over several calls, and empty items are skipped. It
// returns *[BusyResourceError] when another task is already receiving, and
// otherwise what s.Receive returns. Close closes s.
func ObjectToByteReceiveStream(s ObjectReceiveStream[[]byte]) ByteReceiveStream {
	return &objectByteReceiver{s: s}
}

// ObjectToByteSendStream adapts a stream of byte slices into a
// [ByteSendStream]. Each Send sends a copy of p as one item, so p may be
// reused as soon as Send returns. Close closes s.
func ObjectToByteSendStream(s ObjectSendStream[[]byte]) ByteSendStream {
	return &objectByteSender{s: s}
}

// ObjectToByteStream adapts a bidirectional stream of byte slices into a
// [ByteStream], as [ObjectToByteReceiveStream] and [ObjectToByteSendStream] do
// for each direction. SendEOF calls s.SendEOF.
func ObjectToByteStream(s ObjectStream[[]byte]) ByteStream {
	return &objectByteStream{
		objectByteReceiver: objectByteReceiver{s: s},
		objectByteSender:   objectByteSender{s: s},
		s:                  s,
	}
}

var (
	_ ByteReceiveStream = (*objectByteReceiver)(nil)
	_ ByteSendStream    = (*objectByteSender)(nil)
	_ ByteStream        = (*objectByteStream)(nil)
)

type objectByteReceiver struct {
	s      ObjectReceiveStream[[]byte]
	busy   atomic.Bool
	closed atomic.Bool
	rest   []byte // the unreturned part of the last item; owned by the receiving task
}

func (r *objectByteReceiver) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, ErrEmptyBuffer
	}
	if r.closed.Load() {
		return 0, ErrClosedResource
	}
	if !r.busy.CompareAndSwap(false, true) {
		return 0, &BusyResourceError{Action: "reading from"}
	}
	defer r.busy.Store(false)
	if ctx.Err() != nil {
		return 0, core.CancelErr(ctx)
	}
	for len(r.rest) == 0 {
		item, err := r.s.Receive(ctx)
		if err != nil {
			if r.closed.Load() {
				return 0, ErrClosedResource
			}
			return 0, err
		}
		r.rest = item
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	if len(r.rest) == 0 {
		r.rest = nil
	}
	return n, nil
}

func (r *objectByteReceiver) Close(ctx context.Context) error {
	r.closed.Store(true)
	return r.s.Close(ctx)
}

func (r *objectByteReceiver) ExtraAttributes() map[any]func() any { return r.s.ExtraAttributes() }

type objectByteSender struct {
	s      ObjectSendStream[[]byte]
	busy   atomic.Bool
	closed atomic.Bool
}

func (w *objectByteSender) Send(ctx context.Context, p []byte) error {
	if w.closed.Load() {
		return ErrClosedResource
	}
	if !w.busy.CompareAndSwap(false, true) {
		return &BusyResourceError{Action: "writing to"}
	}
	defer w.busy.Store(false)
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	item := make([]byte, len(p))
	copy(item, p)
	return w.s.Send(ctx, item)
}

func (w *objectByteSender) Close(ctx context.Context) error {
	w.closed.Store(true)
	return w.s.Close(ctx)
}

func (w *objectByteSender) ExtraAttributes() map[any]func() any { return w.s.ExtraAttributes() }

type objectByteStream struct {
	objectByteReceiver
	objectByteSender
	s ObjectStream[[]byte]
}

func (b *objectByteStream) SendEOF(ctx context.Context) error {
	if b.objectByteSender.closed.Load() {
		return nil
	}
	return b.s.SendEOF(ctx)
}

func (b *objectByteStream) Close(ctx context.Context) error {
	b.objectByteReceiver.closed.Store(true)
	b.objectByteSender.closed.Store(true)
	return b.s.Close(ctx)
}

func (b *objectByteStream) ExtraAttributes() map[any]func() any { return b.s.ExtraAttributes() }
