package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/anyio-go/anyio"
)

// A TCP echo server and a client: the listener serves each connection in a
// task of its own, and cancelling the group stops it.
func ExampleConnectTCP() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		listener, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer listener.Close(ctx)
		port, _ := anyio.Extra(listener, anyio.SocketAttribute.LocalPort)

		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return listener.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
					defer s.Close(ctx)
					buf := make([]byte, 1024)
					for {
						n, err := s.Receive(ctx, buf)
						if errors.Is(err, anyio.ErrEndOfStream) {
							return nil
						}
						if err != nil {
							return err
						}
						if err := s.Send(ctx, []byte(strings.ToUpper(string(buf[:n])))); err != nil {
							return err
						}
					}
				}, nil)
			})

			conn, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if err := conn.Send(ctx, []byte("hello, anyio")); err != nil {
				return err
			}
			buf := make([]byte, 1024)
			n, err := conn.Receive(ctx, buf)
			if err != nil {
				return err
			}
			fmt.Printf("echo: %s\n", buf[:n])
			tg.CancelScope().Cancel() // stops the server
			return nil
		})
	})
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output: echo: HELLO, ANYIO
}
