package text_test

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/text/encoding/charmap"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/text"
)

// A character cut in two by the transport comes out whole, once its last
// byte has arrived.
func ExampleReceiveStream() {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	send.Send(ctx, []byte("gr\xc3"))   // "grü" cut inside the ü
	send.Send(ctx, []byte("\xbc\xc3")) // and "ß" too
	send.Send(ctx, []byte("\x9fe"))
	send.Close(ctx)

	r := text.NewReceiveStream(anyio.ObjectToByteReceiveStream(recv))
	for s, err := range anyio.Iterate(ctx, r) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", s)
	}
	// Output:
	// "gr"
	// "ü"
	// "ße"
}

// A bidirectional text stream in Latin-1, with unencodable characters
// replaced by '?' as Python's errors="replace" does (text.Replace).
func ExampleNewStream() {
	ctx := context.Background()
	toPeer, fromUs := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	toUs, fromPeer := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	ts := text.NewStream(
		anyio.ObjectToByteStream(stapled.NewObjectStream(toPeer, fromPeer)),
		text.Encoding(charmap.ISO8859_1), text.Errors(text.Replace))
	defer ts.Close(ctx)

	ts.Send(ctx, "café: 3 €")
	wire, _ := fromUs.Receive(ctx)
	fmt.Printf("sent %q\n", wire)

	toUs.Send(ctx, []byte("gar\xe7on"))
	toUs.Close(ctx)
	s, _ := ts.Receive(ctx)
	fmt.Printf("received %q\n", s)
	if _, err := ts.Receive(ctx); errors.Is(err, anyio.ErrEndOfStream) {
		fmt.Println("end of stream")
	}
	// Output:
	// sent "caf\xe9: 3 ?"
	// received "garçon"
	// end of stream
}
