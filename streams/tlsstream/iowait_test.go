package tlsstream_test

// A TLS stream over a socket waits for the socket: a task blocked in its
// Receive (or in a Send into full buffers) counts as blocked for
// WaitAllTasksBlocked, and DumpTasks names the socket's wait. In the manner
// of AnyIO's test_concurrent_receive and test_close_during_receive.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// taskState returns what DumpTasks says of the task named name: "running",
// "waiting on ...", or "" when there is no such task.
func taskState(t *testing.T, ctx context.Context, name string) (state, dump string) {
	t.Helper()
	var b strings.Builder
	if err := anyio.DumpTasks(ctx, &b); err != nil {
		t.Fatalf("DumpTasks: %v", err)
	}
	dump = b.String()
	for _, line := range strings.Split(dump, "\n") {
		if _, rest, ok := strings.Cut(line, `"`+name+`" `); ok && strings.HasPrefix(strings.TrimSpace(line), "task #") {
			rest, _, _ = strings.Cut(rest, " [cancellation pending]")
			return rest, dump
		}
	}
	return "", dump
}

func waitBlocked(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
		t.Fatalf("WaitAllTasksBlocked: %v", err)
	}
}

// ioWaitPair returns a client and a server TLS stream over loopback TCP,
// and the server's address as the client's transport sees it.
func ioWaitPair(t *testing.T, max uint16) (client, server *tlsstream.Stream, serverAddr string) {
	t.Helper()
	ct, st := tcpPair(t)
	addr, err := anyio.Extra(ct, anyio.SocketAttribute.RemoteAddress)
	if err != nil {
		t.Fatal(err)
	}
	client, server = tlsPair(t, anyiotest.NewCA(t), ct, st, max)
	return client, server, addr.String()
}

func TestReceiveIsBlockedWait(t *testing.T) {
	for _, v := range portVersions {
		t.Run(v.name, func(t *testing.T) {
			client, server, addr := ioWaitPair(t, v.max)
			anyiotest.Run(t, func(ctx context.Context) error {
				defer server.Close(ctx)
				defer client.Close(ctx)
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					done := make(chan error, 1)
					tg.StartSoon(func(ctx context.Context) error {
						_, err := client.Receive(ctx, make([]byte, 64))
						done <- err
						return nil
					}, anyio.TaskName("receiver"))
					waitBlocked(t, ctx)
					if state, dump := taskState(t, ctx, "receiver"); state != "waiting on TCP receive from "+addr {
						t.Errorf("DumpTasks shows the receiver as %q, want waiting on TCP receive from %s:\n%s", state, addr, dump)
					}
					var busy *anyio.BusyResourceError
					if _, err := client.Receive(ctx, make([]byte, 64)); !errors.As(err, &busy) || busy.Action != "reading from" {
						t.Errorf("a concurrent Receive = %v, want *anyio.BusyResourceError reading from", err)
					}
					if err := client.Close(ctx); err != nil {
						t.Errorf("Close during Receive: %v", err)
					}
					if err := <-done; !errors.Is(err, anyio.ErrClosedResource) {
						t.Errorf("the blocked Receive once closed = %v, want ErrClosedResource", err)
					}
					return nil
				})
			})
		})
	}
}

// A record that the peer sent wakes the receiver before
// WaitAllTasksBlocked returns: the receiver has it, and waits on what it
// does next.
func TestReceiveServedRunsAgain(t *testing.T) {
	for _, v := range portVersions {
		t.Run(v.name, func(t *testing.T) {
			client, server, addr := ioWaitPair(t, v.max)
			anyiotest.Run(t, func(ctx context.Context) error {
				defer server.Close(ctx)
				defer client.Close(ctx)
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					ev := anyio.NewEvent()
					var got string
					var rerr error
					tg.StartSoon(func(ctx context.Context) error {
						buf := make([]byte, 64)
						n, err := client.Receive(ctx, buf)
						got, rerr = string(buf[:n]), err
						return ev.Wait(ctx)
					}, anyio.TaskName("receiver"))
					waitBlocked(t, ctx)
					if state, dump := taskState(t, ctx, "receiver"); state != "waiting on TCP receive from "+addr {
						t.Errorf("DumpTasks shows the receiver as %q, want waiting on TCP receive from %s:\n%s", state, addr, dump)
					}
					if err := server.Send(ctx, []byte("hello")); err != nil {
						return err
					}
					waitBlocked(t, ctx)
					if state, dump := taskState(t, ctx, "receiver"); state != "waiting on Event.Wait" {
						t.Errorf("after the server's Send, DumpTasks shows the receiver as %q, want waiting on Event.Wait:\n%s", state, dump)
					} else if got != "hello" || rerr != nil {
						t.Errorf("Receive = %q, %v; want hello", got, rerr)
					}
					ev.Set()
					return nil
				})
			})
		})
	}
}

// A Send that fills the buffers (the peer does not read) waits on the
// socket; a concurrent Send is busy; Close ends it.
func TestSendIsBlockedWait(t *testing.T) {
	client, server, addr := ioWaitPair(t, 0)
	anyiotest.Run(t, func(ctx context.Context) error {
		defer server.Close(ctx)
		defer client.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				done <- client.Send(ctx, make([]byte, 64<<20))
				return nil
			}, anyio.TaskName("sender"))
			// Acknowledgements that the kernel sends on its own may free
			// room and wake the sender after it first parks: look until it
			// is parked in the steady state; it may only be running
			// meanwhile.
			want := "waiting on TCP send to " + addr
			deadline := time.Now().Add(testTimeout)
			for {
				waitBlocked(t, ctx)
				state, dump := taskState(t, ctx, "sender")
				if state == want {
					break
				}
				if state != "running" || time.Now().After(deadline) {
					t.Errorf("DumpTasks shows the sender as %q, want %q:\n%s", state, want, dump)
					break
				}
			}
			var busy *anyio.BusyResourceError
			if err := client.Send(ctx, []byte("x")); !errors.As(err, &busy) || busy.Action != "writing to" {
				t.Errorf("a concurrent Send = %v, want *anyio.BusyResourceError writing to", err)
			}
			if err := client.Close(ctx); err != nil {
				t.Errorf("Close during Send: %v", err)
			}
			if err := <-done; !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("the blocked Send once closed = %v, want ErrClosedResource", err)
			}
			return nil
		})
	})
}
