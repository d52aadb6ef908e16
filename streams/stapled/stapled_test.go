package stapled_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
)

var (
	attrShared = anyio.NewTypedAttribute[string]("test.Shared")
	attrSend   = anyio.NewTypedAttribute[string]("test.Send")
	attrRecv   = anyio.NewTypedAttribute[string]("test.Receive")
)

// dummyByteReceive returns its data, then the end of the stream.
type dummyByteReceive struct {
	data   []byte
	closed bool
}

func (d *dummyByteReceive) Receive(ctx context.Context, p []byte) (int, error) {
	if d.closed {
		return 0, anyio.ErrClosedResource
	}
	if len(d.data) == 0 {
		return 0, anyio.ErrEndOfStream
	}
	n := copy(p, d.data)
	d.data = d.data[n:]
	return n, nil
}

func (d *dummyByteReceive) Close(ctx context.Context) error { d.closed = true; return nil }
func (d *dummyByteReceive) ExtraAttributes() map[any]func() any {
	return map[any]func() any{
		attrShared: func() any { return "receive" },
		attrRecv:   func() any { return "receive" },
	}
}

// dummyByteSend collects what it is sent.
type dummyByteSend struct {
	buf    []byte
	closed bool
}

func (d *dummyByteSend) Send(ctx context.Context, p []byte) error {
	if d.closed {
		return anyio.ErrClosedResource
	}
	d.buf = append(d.buf, p...)
	return nil
}

func (d *dummyByteSend) Close(ctx context.Context) error { d.closed = true; return nil }
func (d *dummyByteSend) ExtraAttributes() map[any]func() any {
	return map[any]func() any{
		attrShared: func() any { return "send" },
		attrSend:   func() any { return "send" },
	}
}

func newByte() (*stapled.ByteStream, *dummyByteSend, *dummyByteReceive) {
	send := &dummyByteSend{}
	recv := &dummyByteReceive{data: []byte("hello, world")}
	return stapled.NewByteStream(send, recv), send, recv
}

func TestByteStreamReceiveSend(t *testing.T) {
	ctx := context.Background()
	s, send, _ := newByte()
	buf := make([]byte, 3)
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "hel" || err != nil {
		t.Fatalf("Receive(3) = %q, %v", buf[:n], err)
	}
	buf = make([]byte, 100)
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "lo, world" || err != nil {
		t.Fatalf("Receive = %q, %v", buf[:n], err)
	}
	if _, err := s.Receive(ctx, buf); !errors.Is(err, anyio.ErrEndOfStream) {
		t.Fatalf("Receive at the end = %v", err)
	}
	s.Send(ctx, []byte("how are you "))
	s.Send(ctx, []byte("today?"))
	if s.SendStream != send || string(send.buf) != "how are you today?" {
		t.Fatalf("sent %q", send.buf)
	}
}

func TestByteStreamSendEOF(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newByte()
	for range 2 {
		if err := s.SendEOF(ctx); err != nil {
			t.Fatalf("SendEOF = %v", err)
		}
	}
	if err := s.Send(ctx, []byte("world")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Send after SendEOF = %v", err)
	}
	buf := make([]byte, 100)
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "hello, world" || err != nil {
		t.Fatalf("Receive after SendEOF = %q, %v", buf[:n], err)
	}
}

func TestByteStreamClose(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newByte()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive after Close = %v", err)
	}
	if err := s.Send(ctx, nil); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after Close = %v", err)
	}
}

func TestByteStreamReceiveEmptyBuffer(t *testing.T) {
	s, _, _ := newByte()
	for _, p := range [][]byte{nil, {}} {
		if _, err := s.Receive(context.Background(), p); !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive(empty) = %v, want ErrEmptyBuffer", err)
		}
	}
}

func TestByteStreamAttributes(t *testing.T) {
	s, _, _ := newByte()
	for _, tt := range []struct {
		attr *anyio.TypedAttribute[string]
		want string
	}{{attrShared, "receive"}, {attrSend, "send"}, {attrRecv, "receive"}} {
		if got, err := anyio.Extra(s, tt.attr); got != tt.want || err != nil {
			t.Errorf("Extra(%v) = %q, %v; want %q", tt.attr, got, err, tt.want)
		}
	}
}

// dummyObjectReceive returns its items, then the end of the stream.
type dummyObjectReceive[T any] struct {
	items  []T
	closed bool
}

func (d *dummyObjectReceive[T]) Receive(ctx context.Context) (T, error) {
	var zero T
	if d.closed {
		return zero, anyio.ErrClosedResource
	}
	if len(d.items) == 0 {
		return zero, anyio.ErrEndOfStream
	}
	v := d.items[0]
	d.items = d.items[1:]
	return v, nil
}

func (d *dummyObjectReceive[T]) Close(ctx context.Context) error { d.closed = true; return nil }
func (d *dummyObjectReceive[T]) ExtraAttributes() map[any]func() any {
	return map[any]func() any{attrShared: func() any { return "receive" }}
}

// dummyObjectSend collects the items it is sent.
type dummyObjectSend[T any] struct {
	items  []T
	closed bool
}

func (d *dummyObjectSend[T]) Send(ctx context.Context, item T) error {
	if d.closed {
		return anyio.ErrClosedResource
	}
	d.items = append(d.items, item)
	return nil
}

func (d *dummyObjectSend[T]) Close(ctx context.Context) error { d.closed = true; return nil }
func (d *dummyObjectSend[T]) ExtraAttributes() map[any]func() any {
	return map[any]func() any{attrShared: func() any { return "send" }, attrSend: func() any { return "send" }}
}

// dummyObjectTrySend also has TrySend.
type dummyObjectTrySend[T any] struct{ dummyObjectSend[T] }

func (d *dummyObjectTrySend[T]) TrySend(item T) error {
	if d.closed {
		return anyio.ErrClosedResource
	}
	d.items = append(d.items, item)
	return nil
}

func newObject() (*stapled.ObjectStream[string], *dummyObjectSend[string]) {
	send := &dummyObjectSend[string]{}
	return stapled.NewObjectStream[string](send, &dummyObjectReceive[string]{items: []string{"hello", "world"}}), send
}

func TestObjectStreamReceiveSend(t *testing.T) {
	ctx := context.Background()
	s, send := newObject()
	for _, want := range []string{"hello", "world"} {
		if v, err := s.Receive(ctx); v != want || err != nil {
			t.Fatalf("Receive = %q, %v; want %q", v, err, want)
		}
	}
	if _, err := s.Receive(ctx); !errors.Is(err, anyio.ErrEndOfStream) {
		t.Fatalf("Receive at the end = %v", err)
	}
	s.Send(ctx, "how are you ")
	s.Send(ctx, "today?")
	if s.SendStream != anyio.ObjectSendStream[string](send) || !slices.Equal(send.items, []string{"how are you ", "today?"}) {
		t.Fatalf("sent %q", send.items)
	}
}

func TestObjectStreamTrySend(t *testing.T) {
	send := &dummyObjectTrySend[string]{}
	s := stapled.NewObjectStream[string](send, &dummyObjectReceive[string]{})
	if err := s.TrySend("hello"); err != nil || !slices.Equal(send.items, []string{"hello"}) {
		t.Fatalf("TrySend = %v, sent %q", err, send.items)
	}
	s2, _ := newObject()
	if err := s2.TrySend("hello"); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("TrySend on a stream without it = %v, want errors.ErrUnsupported", err)
	}
	// A memory object stream has TrySend.
	ms, mr := anyio.NewMemoryObjectStream[string](1)
	s3 := stapled.NewObjectStream[string](ms, mr)
	if err := s3.TrySend("x"); err != nil {
		t.Fatal(err)
	}
	if err := s3.TrySend("y"); !errors.Is(err, anyio.ErrWouldBlock) {
		t.Fatalf("TrySend on a full memory stream = %v, want ErrWouldBlock", err)
	}
}

// errTrySendFailed is what brokenTrySend's TrySend fails with: an error of
// the send stream's own, unrelated to whether TrySend exists.
var errTrySendFailed = errors.New("dummy TrySend failed: no such item slot")

// brokenTrySend has a TrySend method, but it always fails with an error of
// its own.
type brokenTrySend[T any] struct{ dummyObjectSend[T] }

func (d *brokenTrySend[T]) TrySend(item T) error { return errTrySendFailed }

// AnyIO's TestStapledObjectStream.test_send_nowait_does_not_mask_attribute_error:
// an error raised by the send stream's own non-blocking send reaches the
// caller as it is, and is not mistaken for "not implemented".
func TestObjectStreamTrySendDoesNotMaskError(t *testing.T) {
	send := &brokenTrySend[string]{}
	s := stapled.NewObjectStream[string](send, &dummyObjectReceive[string]{items: []string{"hello", "world"}})
	err := s.TrySend("hello")
	if !errors.Is(err, errTrySendFailed) {
		t.Fatalf("TrySend = %v, want the send stream's own error %v", err, errTrySendFailed)
	}
	if errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("TrySend = %v: the send stream's error was reported as errors.ErrUnsupported", err)
	}
	if len(send.items) != 0 {
		t.Errorf("the failed TrySend stored %q", send.items)
	}
	// The stapled stream still works for blocking sends and receives.
	ctx := context.Background()
	if err := s.Send(ctx, "later"); err != nil || !slices.Equal(send.items, []string{"later"}) {
		t.Errorf("Send after a failed TrySend = %v, sent %q", err, send.items)
	}
	if v, err := s.Receive(ctx); v != "hello" || err != nil {
		t.Errorf("Receive = %q, %v; want hello", v, err)
	}
}

// AnyIO's TestStapledObjectStream.test_send_nowait_not_implemented, beyond
// the sentinel, which TestObjectStreamTrySend checks: the error names
// the type of the send stream that lacks the method, and nothing is sent.
func TestObjectStreamTrySendNotImplementedNamesType(t *testing.T) {
	s, send := newObject()
	err := s.TrySend("hello")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("TrySend = %v, want errors.ErrUnsupported", err)
	}
	if !strings.Contains(err.Error(), "dummyObjectSend") {
		t.Errorf("TrySend error %q does not name the send stream's type", err)
	}
	if len(send.items) != 0 {
		t.Errorf("the unsupported TrySend stored %q", send.items)
	}
}

func TestObjectStreamSendEOF(t *testing.T) {
	ctx := context.Background()
	s, _ := newObject()
	for range 2 {
		if err := s.SendEOF(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Send(ctx, "world"); !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Send after SendEOF = %v", err)
	}
	for _, want := range []string{"hello", "world"} {
		if v, err := s.Receive(ctx); v != want || err != nil {
			t.Fatalf("Receive = %q, %v", v, err)
		}
	}
}

func TestObjectStreamClose(t *testing.T) {
	ctx := context.Background()
	s, _ := newObject()
	s.Close(ctx)
	if _, err := s.Receive(ctx); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive after Close = %v", err)
	}
	if err := s.Send(ctx, ""); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after Close = %v", err)
	}
	if v := anyio.ExtraOr(s, attrShared, ""); v != "receive" {
		t.Errorf("shared attribute = %q, want the receive stream's", v)
	}
	if v := anyio.ExtraOr(s, attrSend, ""); v != "send" {
		t.Errorf("send attribute = %q", v)
	}
}

func TestConformance(t *testing.T) {
	t.Run("ObjectStream", func(t *testing.T) {
		anyiotest.TestObjectStream(t, func(t *testing.T) (anyio.ObjectStream[[]byte], anyio.ObjectStream[[]byte]) {
			s1, r1 := anyio.NewMemoryObjectStream[[]byte](1)
			s2, r2 := anyio.NewMemoryObjectStream[[]byte](1)
			return stapled.NewObjectStream(s1, r2), stapled.NewObjectStream(s2, r1)
		})
	})
	t.Run("ByteStream", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
			s1, r1 := anyio.NewMemoryObjectStream[[]byte](1)
			s2, r2 := anyio.NewMemoryObjectStream[[]byte](1)
			return stapled.NewByteStream(anyio.ObjectToByteSendStream(s1), anyio.ObjectToByteReceiveStream(r2)),
				stapled.NewByteStream(anyio.ObjectToByteSendStream(s2), anyio.ObjectToByteReceiveStream(r1))
		})
	})
}
