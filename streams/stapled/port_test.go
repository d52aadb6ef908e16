package stapled_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/anyio-go/anyio/streams/stapled"
)

// errTrySendFailed is what brokenTrySend's TrySend fails with: an error of
// the send stream's own, unrelated to whether TrySend exists.
var errTrySendFailed = errors.New("dummy TrySend failed: no such item slot")

// brokenTrySend has a TrySend method, but it always fails with an error of
// its own.
type brokenTrySend[T any] struct{ dummyObjectSend[T] }

func (d *brokenTrySend[T]) TrySend(item T) error { return errTrySendFailed }

// Ports AnyIO's TestStapledObjectStream.test_send_nowait_does_not_mask_attribute_error:
// an error raised by the send stream's own non-blocking send reaches the
// caller as it is, and is not mistaken for "not implemented".
func TestPortObjectStreamTrySendDoesNotMaskError(t *testing.T) {
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

// Ports AnyIO's TestStapledObjectStream.test_send_nowait_not_implemented
// beyond the sentinel, which TestObjectStreamTrySend checks: the error names
// the type of the send stream that lacks the method, and nothing is sent.
func TestPortObjectStreamTrySendNotImplementedNamesType(t *testing.T) {
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
