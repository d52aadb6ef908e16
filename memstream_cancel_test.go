package anyio_test

import (
	"context"
	"slices"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// Memory object stream tests: cancelled sends and receives, and what becomes
// of the items they would have moved.

func TestMemoryCancelReceive(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := recv.Receive(ctx)
				return err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		streamWantErr(t, "TrySend after the receiver was cancelled", send.TrySend("hello"), anyio.ErrWouldBlock)
		return nil
	})
}

func TestMemoryCancelSend(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, "hello") })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		_, err = recv.TryReceive()
		streamWantErr(t, "TryReceive after the sender was cancelled", err, anyio.ErrWouldBlock)
		return nil
	})
}

func TestMemoryReceiveWhenCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, "hello") })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, "world") })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope := anyio.NewCancelScope()
			scope.Cancel()
			err := scope.Run(ctx, func(ctx context.Context) error {
				v, err := recv.Receive(ctx)
				if err == nil {
					t.Errorf("Receive in a cancelled scope took %q", v)
				}
				return err
			})
			if err != nil {
				return err
			}
			for _, want := range []string{"hello", "world"} {
				if v, err := recv.Receive(ctx); v != want || err != nil {
					t.Errorf("Receive = %q, %v; want %q", v, err, want)
				}
			}
			return nil
		})
	})
}

func TestMemorySendWhenCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		var got []string
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				v, err := recv.Receive(ctx)
				got = append(got, v)
				return err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope := anyio.NewCancelScope()
			scope.Cancel()
			if err := scope.Run(ctx, func(ctx context.Context) error { return send.Send(ctx, "hello") }); err != nil {
				return err
			}
			return send.Send(ctx, "world")
		})
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{"world"}) {
			t.Errorf("received %q, want [world]", got)
		}
		return nil
	})
}

func TestMemoryCancelDuringReceive(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		var got []string
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[*anyio.CancelScope]) error {
				scope := anyio.NewCancelScope()
				err := scope.Run(ctx, func(ctx context.Context) error {
					st.Started(scope)
					v, err := recv.Receive(ctx)
					got = append(got, v)
					return err
				})
				if !scope.CancelCalled() {
					t.Error("the receiver's scope was not cancelled")
				}
				return err
			})
			if err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if err := send.TrySend("hello"); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{"hello"}) {
			t.Errorf("received %q, want [hello]: an item handed over must not be lost", got)
		}
		return nil
	})
}

func TestMemoryCancelDuringReceiveBuffered(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](1)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[*anyio.CancelScope]) error {
				scope := anyio.NewCancelScope()
				return scope.Run(ctx, func(ctx context.Context) error {
					st.Started(scope)
					_, err := recv.Receive(ctx)
					return err
				})
			})
			if err != nil {
				return err
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return send.TrySend("item")
		})
		if err != nil {
			return err
		}
		if v, err := recv.TryReceive(); v != "item" || err != nil {
			t.Errorf("TryReceive = %q, %v; want the item not given to the cancelled receiver", v, err)
		}
		return nil
	})
}

// An item sent after the receiver first in line was cancelled is not given to
// it: that receiver returns its cancellation, and the item stays in the
// buffer (buffered) or goes to the next receiver in line (rendezvous).
// AnyIO's test_send_to_natively_cancelled_receiver, with an anyio cancel
// scope in place of a native asyncio cancellation.
func TestMemorySendToCancelledReceiver(t *testing.T) {
	t.Run("buffered", func(t *testing.T) {
		memWithCancelledReceiver(t, 1, func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res <-chan error) error {
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
		memWithCancelledReceiver(t, 0, func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res1 <-chan error) error {
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

// memWithCancelledReceiver runs body in a task group, with both handles of a
// new memory object stream of strings that buffers size items, and a task
// parked in a Receive of it within a cancel scope of its own (not yet
// cancelled): body gets that scope and the channel the Receive's error
// arrives on. The parked Receive must not get an item.
func memWithCancelledReceiver(t *testing.T, size int, body func(ctx context.Context, tg *anyio.TaskGroup, send *anyio.MemoryObjectSendStream[string], rs *anyio.MemoryObjectReceiveStream[string], scope *anyio.CancelScope, res <-chan error) error) {
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
