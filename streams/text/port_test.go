package text_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/text"
)

// Ports AnyIO's test_receive_encoding_error as AnyIO runs it: the sending end
// stays open, and one Receive returns a replacement for each of the three
// bad bytes at once. None of them can start a valid character (0xe5 and
// 0xe4 are followed by a byte that is no continuation byte, 0xf6 is never a
// lead byte), so the decoder has no reason to wait for more input.
// TestReceiveEncodingErrorReplace checks the same input on a stream that
// has ended and joins what several Receives return.
func TestPortReceiveEncodingErrorOpenStream(t *testing.T) {
	// A safety net only: a decoder that held bytes back would block forever.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	defer send.Close(context.Background())
	r := newReceive(t, anyio.ObjectToByteReceiveStream(recv), text.Errors(text.Replace))
	defer r.Close(context.Background())
	if err := send.Send(ctx, []byte("\xe5\xe4\xf6")); err != nil { // "åäö" in Latin-1
		t.Fatal(err)
	}
	got, err := r.Receive(ctx)
	if err != nil || got != "\uFFFD\uFFFD\uFFFD" {
		t.Fatalf("Receive = %q, %v; want three U+FFFD from one Receive", got, err)
	}
}
