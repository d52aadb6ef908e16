package anyio_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// streamPanics fails t unless f panics with a message containing want.
func streamPanics(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, ok := r.(string); !ok || !strings.Contains(s, want) {
			t.Fatalf("panic = %v, want a message containing %q", r, want)
		}
	}()
	f()
}

func streamWantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

func TestMemoryNegativeMaxBuffer(t *testing.T) {
	streamPanics(t, "cannot be negative", func() { anyio.NewMemoryObjectStream[int](-1) })
}

func TestMemoryReceiveThenSend(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		var got []string
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				for range 2 {
					v, err := recv.Receive(ctx)
					if err != nil {
						return err
					}
					got = append(got, v)
				}
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if err := send.Send(ctx, "hello"); err != nil {
				return err
			}
			return send.Send(ctx, "anyio")
		})
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{"hello", "anyio"}) {
			t.Errorf("received %q, want [hello anyio]", got)
		}
		return nil
	})
}

func TestMemoryReceiveThenTrySend(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		got := make(chan string, 2)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 2 {
				tg.StartSoon(func(ctx context.Context) error {
					v, err := recv.Receive(ctx)
					got <- v
					return err
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if err := send.TrySend("hello"); err != nil {
				return err
			}
			return send.TrySend("anyio")
		})
		if err != nil {
			return err
		}
		close(got)
		var all []string
		for v := range got {
			all = append(all, v)
		}
		slices.Sort(all)
		if !slices.Equal(all, []string{"anyio", "hello"}) {
			t.Errorf("received %q, want anyio and hello", all)
		}
		return nil
	})
}

func TestMemorySendThenTryReceive(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, "hello") })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if v, err := recv.TryReceive(); v != "hello" || err != nil {
				t.Errorf("TryReceive = %q, %v; want hello, nil", v, err)
			}
			return nil
		})
	})
}

func TestMemorySendUnblockedAfterTryReceive(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](1)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		if err := send.TrySend("hello"); err != nil {
			return err
		}
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, "anyio") })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if v, err := recv.TryReceive(); v != "hello" || err != nil {
				t.Errorf("TryReceive = %q, %v; want hello, nil", v, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if v, err := recv.TryReceive(); v != "anyio" || err != nil {
			t.Errorf("TryReceive = %q, %v; want anyio, nil", v, err)
		}
		return nil
	})
}

func TestMemoryTrySendThenTryReceive(t *testing.T) {
	send, recv := anyio.NewMemoryObjectStream[string](2)
	ctx := context.Background()
	defer send.Close(ctx)
	defer recv.Close(ctx)
	for _, v := range []string{"hello", "anyio"} {
		if err := send.TrySend(v); err != nil {
			t.Fatalf("TrySend(%q) = %v", v, err)
		}
	}
	streamWantErr(t, "TrySend on a full buffer", send.TrySend("x"), anyio.ErrWouldBlock)
	for _, want := range []string{"hello", "anyio"} {
		if v, err := recv.TryReceive(); v != want || err != nil {
			t.Fatalf("TryReceive = %q, %v; want %q", v, err, want)
		}
	}
	_, err := recv.TryReceive()
	streamWantErr(t, "TryReceive on an empty buffer", err, anyio.ErrWouldBlock)
}

func TestMemoryIterate(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		defer recv.Close(ctx)
		var got []string
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				for v, err := range anyio.Iterate(ctx, recv) {
					if err != nil {
						return err
					}
					got = append(got, v)
				}
				return nil
			})
			for _, v := range []string{"hello", "anyio"} {
				if err := send.Send(ctx, v); err != nil {
					return err
				}
			}
			return send.Close(ctx)
		})
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{"hello", "anyio"}) {
			t.Errorf("iterated %q, want [hello anyio]", got)
		}
		return nil
	})
}

func TestMemoryIterateYieldsFailureOnce(t *testing.T) {
	send, recv := anyio.NewMemoryObjectStream[int](1)
	defer send.Close(context.Background())
	recv.Close(context.Background())
	var errs []error
	for v, err := range anyio.Iterate(context.Background(), recv) {
		if v != 0 {
			t.Errorf("item %d yielded with an error", v)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], anyio.ErrClosedResource) {
		t.Fatalf("Iterate over a closed stream yielded %v, want one ErrClosedResource", errs)
	}

	// Breaking out of the loop stops receiving.
	send2, recv2 := anyio.NewMemoryObjectStream[int](3)
	for i := range 3 {
		send2.TrySend(i)
	}
	for v, err := range anyio.Iterate(context.Background(), recv2) {
		if err != nil || v != 0 {
			t.Fatalf("first item = %d, %v", v, err)
		}
		break
	}
	if st := recv2.Statistics(); st.CurrentBufferUsed != 2 {
		t.Fatalf("buffer after break = %d items, want 2", st.CurrentBufferUsed)
	}
}

func TestMemoryReceiveSendClosedSendStream(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[struct{}](0)
	defer recv.Close(ctx)
	send.Close(ctx)
	_, err := recv.TryReceive()
	streamWantErr(t, "TryReceive after the sender closed", err, anyio.ErrEndOfStream)
	_, err = recv.Receive(ctx)
	streamWantErr(t, "Receive after the sender closed", err, anyio.ErrEndOfStream)
	streamWantErr(t, "Send on a closed handle", send.Send(ctx, struct{}{}), anyio.ErrClosedResource)
	streamWantErr(t, "TrySend on a closed handle", send.TrySend(struct{}{}), anyio.ErrClosedResource)
}

func TestMemoryReceiveSendClosedReceiveStream(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[struct{}](0)
	defer send.Close(ctx)
	recv.Close(ctx)
	_, err := recv.TryReceive()
	streamWantErr(t, "TryReceive on a closed handle", err, anyio.ErrClosedResource)
	_, err = recv.Receive(ctx)
	streamWantErr(t, "Receive on a closed handle", err, anyio.ErrClosedResource)
	streamWantErr(t, "Send after the receiver closed", send.Send(ctx, struct{}{}), anyio.ErrBrokenResource)
	streamWantErr(t, "TrySend after the receiver closed", send.TrySend(struct{}{}), anyio.ErrBrokenResource)
}

func TestMemoryClone(t *testing.T) {
	ctx := context.Background()
	send1, recv1 := anyio.NewMemoryObjectStream[string](1)
	send2, recv2 := send1.Clone(), recv1.Clone()
	st := send1.Statistics()
	if st.OpenSendStreams != 2 || st.OpenReceiveStreams != 2 {
		t.Fatalf("after cloning: %+v, want 2 open send and receive streams", st)
	}
	send1.Close(ctx)
	recv1.Close(ctx)
	if err := send2.TrySend("hello"); err != nil {
		t.Fatalf("TrySend on the clone = %v", err)
	}
	if v, err := recv2.TryReceive(); v != "hello" || err != nil {
		t.Fatalf("TryReceive on the clone = %q, %v", v, err)
	}
	send2.Close(ctx)
	_, err := recv2.TryReceive()
	streamWantErr(t, "TryReceive once every send clone is closed", err, anyio.ErrEndOfStream)
	recv2.Close(ctx)
	if st := send2.Statistics(); st.OpenSendStreams != 0 || st.OpenReceiveStreams != 0 {
		t.Fatalf("after closing all: %+v", st)
	}
}

func TestMemoryCloneClosed(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[int](1)
	send.Close(ctx)
	recv.Close(ctx)
	streamPanics(t, "Clone of a closed MemoryObjectSendStream", func() { send.Clone() })
	streamPanics(t, "Clone of a closed MemoryObjectReceiveStream", func() { recv.Clone() })
}

func TestMemoryCloseSendWhileReceiving(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](1)
		defer recv.Close(ctx)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := recv.Receive(ctx)
				return err
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return send.Close(ctx)
		})
		var eg *anyio.ExceptionGroup
		if !errors.As(err, &eg) || len(eg.Errors) != 1 || !errors.Is(eg.Errors[0], anyio.ErrEndOfStream) {
			t.Errorf("task group error = %v, want one ErrEndOfStream", err)
		}
		return nil
	})
}

func TestMemoryCloseReceiveWhileSending(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[*int](0)
		defer send.Close(ctx)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			// A nil item, as AnyIO's regression test for #731 sends None.
			tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, nil) })
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return recv.Close(ctx)
		})
		var eg *anyio.ExceptionGroup
		if !errors.As(err, &eg) || len(eg.Errors) != 1 || !errors.Is(eg.Errors[0], anyio.ErrBrokenResource) {
			t.Errorf("task group error = %v, want one ErrBrokenResource", err)
		}
		return nil
	})
}

func TestMemoryCloseWakesOwnWaiters(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](0)
		recv2 := recv.Clone()
		send2 := send.Clone()
		defer send2.Close(ctx)
		defer recv2.Close(ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			recvErr := make(chan error, 1)
			otherErr := make(chan error, 1)
			sendErr := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				_, err := recv.Receive(ctx)
				recvErr <- err
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				v, err := recv2.Receive(ctx)
				if err == nil && v != 7 {
					err = errors.New("wrong item")
				}
				otherErr <- err
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			recv.Close(ctx)
			streamWantErr(t, "Receive blocked on a handle that is closed", <-recvErr, anyio.ErrClosedResource)
			if err := send.Send(ctx, 7); err != nil {
				return err
			}
			if err := <-otherErr; err != nil {
				t.Errorf("Receive on the other clone = %v", err)
			}
			tg.StartSoon(func(ctx context.Context) error {
				sendErr <- send.Send(ctx, 8)
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			send.Close(ctx)
			streamWantErr(t, "Send blocked on a handle that is closed", <-sendErr, anyio.ErrClosedResource)
			if st := send2.Statistics(); st.TasksWaitingSend != 0 || st.OpenSendStreams != 1 || st.OpenReceiveStreams != 1 {
				t.Errorf("statistics = %+v", st)
			}
			return nil
		})
	})
}

func TestMemoryReceiveAfterSendClosed(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[string](1)
	defer recv.Close(ctx)
	if err := send.Send(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	send.Close(ctx)
	if v, err := recv.Receive(ctx); v != "hello" || err != nil {
		t.Fatalf("Receive = %q, %v; want hello", v, err)
	}
	_, err := recv.Receive(ctx)
	streamWantErr(t, "Receive of a drained stream", err, anyio.ErrEndOfStream)
}

func TestMemoryBufferDiscardedWhenReceiversClose(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[string](2)
	defer send.Close(ctx)
	send.TrySend("a")
	send.TrySend("b")
	recv.Close(ctx)
	if st := send.Statistics(); st.CurrentBufferUsed != 0 || st.OpenReceiveStreams != 0 {
		t.Fatalf("statistics after the last receiver closed = %+v, want an empty buffer", st)
	}
	streamWantErr(t, "TrySend", send.TrySend("c"), anyio.ErrBrokenResource)
}

func TestMemoryCloseIdempotent(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[int](0)
	clone := send.Clone()
	for range 2 {
		if err := send.Close(ctx); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := recv.Close(ctx); err != nil {
			t.Fatalf("Close = %v", err)
		}
	}
	if st := clone.Statistics(); st.OpenSendStreams != 1 || st.OpenReceiveStreams != 0 {
		t.Fatalf("closing twice counted twice: %+v", st)
	}
	clone.Close(ctx)
	if err := anyio.CloseForcefully(clone); err != nil {
		t.Fatalf("CloseForcefully = %v", err)
	}
}

// Once both handles are closed, each reports its own closing: a send fails
// with ErrClosedResource (not ErrBrokenResource, although the receiver is
// gone too) and a receive with ErrClosedResource (not ErrEndOfStream).
// AnyIO's test_sync_close (Go has one Close, which never blocks).
func TestMemoryCloseBothHandles(t *testing.T) {
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

func TestMemoryCloseReceiveAfterSend(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[string](0)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer send.Close(ctx)
				return send.Send(ctx, "test")
			})
			tg.StartSoon(func(ctx context.Context) error {
				defer recv.Close(ctx)
				v, err := recv.Receive(ctx)
				if v != "test" {
					t.Errorf("Receive = %q, %v", v, err)
				}
				return err
			})
			return nil
		})
	})
}

func TestMemoryStatistics(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[struct{}](1)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		stats := []func() anyio.MemoryObjectStreamStatistics{send.Statistics, recv.Statistics}
		for _, stat := range stats {
			want := anyio.MemoryObjectStreamStatistics{MaxBufferSize: 1, OpenSendStreams: 1, OpenReceiveStreams: 1}
			if got := stat(); got != want {
				t.Fatalf("initial statistics = %+v, want %+v", got, want)
			}
		}
		check := func(what string, stat func() anyio.MemoryObjectStreamStatistics, used, sending, receiving int) {
			t.Helper()
			st := stat()
			if st.CurrentBufferUsed != used || st.TasksWaitingSend != sending || st.TasksWaitingReceive != receiving {
				t.Fatalf("%s: statistics = %+v, want used %d, waiting send %d, waiting receive %d", what, st, used, sending, receiving)
			}
		}
		var v struct{}
		for _, stat := range stats {
			err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				send.TrySend(v)
				check("after TrySend", stat, 1, 0, 0)
				tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, v) })
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				check("with a blocked sender", stat, 1, 1, 0)
				recv.TryReceive()
				check("after taking from the full buffer", stat, 1, 0, 0)
				recv.TryReceive()
				check("after emptying the buffer", stat, 0, 0, 0)
				tg.StartSoon(func(ctx context.Context) error {
					_, err := recv.Receive(ctx)
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				check("with a blocked receiver", stat, 0, 0, 1)
				send.TrySend(v)
				check("after handing to the receiver", stat, 0, 0, 0)
				return nil
			})
			if err != nil {
				return err
			}
			err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				send.TrySend(v)
				check("after TrySend", stat, 1, 0, 0)
				for range 3 {
					tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, v) })
				}
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				check("with three blocked senders", stat, 1, 3, 0)
				for i := 2; i >= 0; i-- {
					recv.TryReceive()
					check("after each TryReceive", stat, 1, i, 0)
				}
				recv.TryReceive()
				return nil
			})
			if err != nil {
				return err
			}
			check("at the end", stat, 0, 0, 0)
		}
		return nil
	})
}

func TestMemoryUnbounded(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[int](anyio.Unbounded)
	defer send.Close(ctx)
	defer recv.Close(ctx)
	const n = 10000
	for i := range n {
		if err := send.Send(ctx, i); err != nil {
			t.Fatalf("Send(%d) = %v", i, err)
		}
	}
	if st := send.Statistics(); st.CurrentBufferUsed != n || st.MaxBufferSize != anyio.Unbounded {
		t.Fatalf("statistics = %+v", st)
	}
	for i := range n {
		if v, err := recv.Receive(ctx); v != i || err != nil {
			t.Fatalf("Receive = %d, %v; want %d", v, err, i)
		}
	}
}

func TestMemoryFIFO(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		var order []int
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 5 {
				tg.StartSoon(func(ctx context.Context) error { return send.Send(ctx, i) })
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
			}
			for range 5 {
				v, err := recv.Receive(ctx)
				if err != nil {
					return err
				}
				order = append(order, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
			t.Errorf("blocked senders served in order %v, want FIFO", order)
		}
		return nil
	})
}

func TestMemoryForeignContext(t *testing.T) {
	// A plain context works as a task in a root scope.
	send, recv := anyio.NewMemoryObjectStream[int](0)
	ctx, cancel := context.WithCancel(context.Background())
	defer send.Close(ctx)
	defer recv.Close(ctx)
	done := make(chan error)
	go func() {
		_, err := recv.Receive(ctx)
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Fatalf("Receive with a cancelled plain context = %v", err)
	}
	go func() { done <- send.Send(context.Background(), 3) }()
	if v, err := recv.Receive(context.Background()); v != 3 || err != nil {
		t.Fatalf("Receive = %d, %v", v, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Send = %v", err)
	}
}

func TestMemoryExtraAttributes(t *testing.T) {
	send, recv := anyio.NewMemoryObjectStream[int](0)
	for _, p := range []anyio.TypedAttributeProvider{send, recv} {
		if _, err := anyio.Extra(p, anyio.SocketAttribute.LocalPort); !errors.Is(err, anyio.ErrTypedAttributeLookup) {
			t.Errorf("Extra on a memory stream = %v, want ErrTypedAttributeLookup", err)
		}
	}
}

func TestMemoryZeroAllocsSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; allocations are measured without -race")
	}
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[int](1024)
	defer send.Close(ctx)
	defer recv.Close(ctx)
	// Warm up: the buffer grows to its working size once.
	for i := range 512 {
		send.Send(ctx, i)
	}
	for range 512 {
		recv.Receive(ctx)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range 512 {
			if err := send.Send(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		for range 512 {
			if _, err := recv.Receive(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per 512 items through a buffered stream, want 0", allocs)
	}
}

func TestMemoryVirtualTime(t *testing.T) {
	// Waits on a memory object stream are channel waits: inside a synctest
	// bubble, an hour-long timeout passes in no wall time.
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](0)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		start := time.Now()
		err := anyio.FailAfter(time.Hour).Run(ctx, func(ctx context.Context) error {
			_, err := recv.Receive(ctx)
			return err
		})
		if !errors.Is(err, anyio.ErrTimeout) {
			t.Errorf("Receive under FailAfter(1h) = %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d != time.Hour {
			t.Errorf("virtual time passed = %v, want 1h", d)
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.Sleep(ctx, time.Minute); err != nil {
					return err
				}
				return send.Send(ctx, 42)
			})
			if v, err := recv.Receive(ctx); v != 42 || err != nil {
				t.Errorf("Receive = %d, %v", v, err)
			}
			return nil
		})
	})
}
