package anyio_test

// Ports of the AnyIO tests/streams/test_memory.py tests that had no Go
// counterpart yet. The helpers come from memstream_test.go (runStreams,
// streamWantErr) and lock_test.go (inScope, startParked, recv, isCancel).

import (
	"context"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Once both handles are closed, each reports its own closing: a send fails
// with ErrClosedResource (not ErrBrokenResource, although the receiver is
// gone too) and a receive with ErrClosedResource (not ErrEndOfStream). Ports
// test_sync_close (Go has one Close, which never blocks).
func TestPortMemorySyncClose(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[struct{}](1)
	if err := send.Close(ctx); err != nil {
		t.Fatalf("send.Close = %v", err)
	}
	if err := recv.Close(ctx); err != nil {
		t.Fatalf("recv.Close = %v", err)
	}
	streamWantErr(t, "TrySend on a closed send handle", send.TrySend(struct{}{}), anyio.ErrClosedResource)
	streamWantErr(t, "Send on a closed send handle", send.Send(ctx, struct{}{}), anyio.ErrClosedResource)
	_, err := recv.TryReceive()
	streamWantErr(t, "TryReceive on a closed receive handle", err, anyio.ErrClosedResource)
	_, err = recv.Receive(ctx)
	streamWantErr(t, "Receive on a closed receive handle", err, anyio.ErrClosedResource)
}

// An item sent after the receiver first in line was cancelled is not given to
// it: that receiver returns its cancellation, and the item stays in the
// buffer (buffered) or goes to the next receiver in line (rendezvous). Ports
// test_send_to_natively_cancelled_receiver, with an anyio cancel scope in
// place of a native asyncio cancellation.
func TestPortMemorySendToCancelledReceiver(t *testing.T) {
	t.Run("buffered", func(t *testing.T) {
		portWithCancelledReceiver(t, 1, func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res <-chan error) error {
			scope.Cancel()
			if err := send.TrySend("hello"); err != nil {
				t.Errorf("TrySend = %v, want nil (room in the buffer)", err)
			}
			if err := recv(t, ctx, res); !isCancel(err) {
				t.Errorf("Receive of the cancelled receiver = %v, want a cancellation error", err)
			}
			if v, err := rs.TryReceive(); v != "hello" || err != nil {
				t.Errorf("TryReceive = %q, %v; want hello, nil (the item must stay in the buffer)", v, err)
			}
			return nil
		})
	})
	t.Run("next-in-line", func(t *testing.T) {
		portWithCancelledReceiver(t, 0, func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res1 <-chan error) error {
			got := make(chan string, 1)
			err := startParked(ctx, tg, func(ctx context.Context) error {
				v, err := rs.Receive(ctx)
				got <- v
				return err
			})
			if err != nil {
				return err
			}
			scope.Cancel()
			if err := send.TrySend("hello"); err != nil {
				t.Errorf("TrySend with a live receiver in line = %v, want nil", err)
				tg.CancelScope().Cancel()
				return nil
			}
			if err := recv(t, ctx, res1); !isCancel(err) {
				t.Errorf("Receive of the cancelled receiver = %v, want a cancellation error", err)
			}
			if v := recv(t, ctx, got); v != "hello" {
				t.Errorf("the next receiver in line got %q, want hello", v)
			}
			if st := send.Statistics(); st.CurrentBufferUsed != 0 || st.TasksWaitingReceive != 0 {
				t.Errorf("statistics at the end = %+v, want an empty buffer, nobody waiting", st)
			}
			return nil
		})
	})
}

// portWithCancelledReceiver runs body in a task group, with both handles of a
// new memory object stream of strings that buffers size items, and a task
// parked in a Receive of it within a cancel scope of its own (not yet
// cancelled): body gets that scope and the channel the Receive's error
// arrives on. The parked Receive must not get an item.
func portWithCancelledReceiver(t *testing.T, size int, body func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res <-chan error) error) {
	t.Helper()
	anyiotest.Run(t, func(ctx context.Context) error {
		send, rs := anyio.NewMemoryObjectStream[string](size)
		defer send.Close(ctx)
		defer rs.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, res, err := inScope(ctx, tg, func(ctx context.Context) error {
				v, err := rs.Receive(ctx)
				if err == nil {
					t.Errorf("the cancelled receiver got %q", v)
				}
				return err
			})
			if err != nil {
				return err
			}
			return body(ctx, tg, send, rs, scope, res)
		})
	})
}
