package buffered_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/buffered"
)

// A line protocol over a memory object stream: ReceiveUntil splits the bytes
// at each delimiter, whatever the chunks they arrived in.
func ExampleReceiveStream_ReceiveUntil() {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	for _, chunk := range []string{"HELO exa", "mple.org\r\nMAIL FROM:<a@", "example.org>\r\nQUIT\r\n"} {
		send.Send(ctx, []byte(chunk))
	}
	send.Close(ctx)

	s := buffered.NewReceiveStream(anyio.ObjectToByteReceiveStream(recv))
	defer s.Close(ctx)
	for {
		line, err := s.ReceiveUntil(ctx, []byte("\r\n"), 512)
		if errors.Is(err, anyio.ErrIncompleteRead) {
			break // the stream ended
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "HELO example.org"
	// "MAIL FROM:<a@example.org>"
	// "QUIT"
}

// ReceiveExactly reads fixed-size fields, such as a length-prefixed message.
func ExampleReceiveStream_ReceiveExactly() {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	send.Send(ctx, []byte("0005hel"))
	send.Send(ctx, []byte("lo"))
	send.Close(ctx)

	s := buffered.NewReceiveStream(anyio.ObjectToByteReceiveStream(recv))
	defer s.Close(ctx)
	header, _ := s.ReceiveExactly(ctx, 4)
	var n int
	fmt.Sscanf(string(header), "%04d", &n)
	body, _ := s.ReceiveExactly(ctx, n)
	fmt.Printf("%d bytes: %s\n", n, body)
	// Output:
	// 5 bytes: hello
}
