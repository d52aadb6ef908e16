package anyio_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/anyio-go/anyio"
)

// The examples call anyio.Run themselves, as a program does; tests use
// anyiotest.Run.

// A producer and a consumer joined by a memory object stream. Closing the
// send handle ends the consumer's loop once it has received every item.
func ExampleNewMemoryObjectStream() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0) // a rendezvous
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer send.Close(ctx)
				for _, w := range []string{"structured", "concurrency", "in", "Go"} {
					if err := send.Send(ctx, w); err != nil {
						return err
					}
				}
				return nil
			})
			defer recv.Close(ctx)
			for {
				w, err := recv.Receive(ctx)
				if err == anyio.ErrEndOfStream {
					return nil
				}
				if err != nil {
					return err
				}
				fmt.Println(w)
			}
		})
	})
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// structured
	// concurrency
	// in
	// Go
}

// Clones share one stream: here three workers receive from clones of one
// receive handle, and each producer closes its own send clone. Receivers see
// the end of the stream once every send clone is closed.
func ExampleMemoryObjectSendStream_Clone() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](4)
		results, collected := anyio.NewMemoryObjectStream[int](anyio.Unbounded)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for p := range 2 {
				s := send.Clone()
				tg.StartSoon(func(ctx context.Context) error {
					defer s.Close(ctx)
					for i := range 5 {
						if err := s.Send(ctx, 10*p+i); err != nil {
							return err
						}
					}
					return nil
				})
			}
			for range 3 {
				r, out := recv.Clone(), results.Clone()
				tg.StartSoon(func(ctx context.Context) error {
					defer r.Close(ctx)
					defer out.Close(ctx)
					for n, err := range anyio.Iterate(ctx, r) {
						if err != nil {
							return err
						}
						if err := out.Send(ctx, n*n); err != nil {
							return err
						}
					}
					return nil
				})
			}
			// The originals are not used: close them so that only the
			// clones count.
			send.Close(ctx)
			recv.Close(ctx)
			return results.Close(ctx)
		})
		if err != nil {
			return err
		}
		sum := 0
		for sq, err := range anyio.Iterate(ctx, collected) {
			if err != nil {
				return err
			}
			sum += sq
		}
		fmt.Println("sum of squares:", sum)
		return nil
	})
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// sum of squares: 760
}

// Iterate ranges over any object receive stream until its end.
func ExampleIterate() {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[int](anyio.Unbounded)
	for i := 1; i <= 3; i++ {
		send.Send(ctx, i*i)
	}
	send.Close(ctx)
	for n, err := range anyio.Iterate(ctx, recv) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(n)
	}
	// Output:
	// 1
	// 4
	// 9
}

// Any net.Conn becomes a ByteStream with WrapConn; AsReader turns a byte
// stream back into an io.Reader for the standard library.
func ExampleWrapConn() {
	c1, c2 := net.Pipe()
	a, b := anyio.WrapConn(c1), anyio.WrapConn(c2)
	ctx := context.Background()
	go func() {
		a.Send(ctx, []byte("hello over a pipe\n"))
		a.Close(ctx)
	}()
	defer b.Close(ctx)
	var sb strings.Builder
	for chunk, err := range anyio.IterateBytes(ctx, b, 4) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		sb.Write(chunk)
	}
	fmt.Print(sb.String())
	// Output:
	// hello over a pipe
}
