package anyio_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestIterateBytes(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		a, b := memoryBytePair(4)
		defer anyio.CloseForcefully(b)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer a.Close(ctx)
				for _, s := range []string{"hello", ", ", "world", "!!"} {
					if err := a.Send(ctx, []byte(s)); err != nil {
						return err
					}
				}
				return nil
			})
			var got []string
			for chunk, err := range anyio.IterateBytes(ctx, b, 3) {
				if err != nil {
					return err
				}
				if len(chunk) == 0 || len(chunk) > 3 {
					t.Errorf("chunk %q: want 1 to 3 bytes", chunk)
				}
				got = append(got, string(chunk))
			}
			want := []string{"hel", "lo", ", ", "wor", "ld", "!!"}
			if !slices.Equal(got, want) {
				t.Errorf("chunks %q, want %q", got, want)
			}
			return nil
		})
	})
}

func TestIterateBytesFailure(t *testing.T) {
	a, b := memoryBytePair(0)
	defer anyio.CloseForcefully(a)
	b.Close(context.Background())
	var errs []error
	for chunk, err := range anyio.IterateBytes(context.Background(), b, 0) {
		if chunk != nil {
			t.Errorf("chunk %q yielded with an error", chunk)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], anyio.ErrClosedResource) {
		t.Fatalf("IterateBytes over a closed stream yielded %v, want one ErrClosedResource", errs)
	}
}

func TestIterateCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](1)
		defer send.Close(ctx)
		defer recv.Close(ctx)
		send.TrySend(1)
		scope := anyio.NewCancelScope()
		var errs []error
		scope.Run(ctx, func(ctx context.Context) error {
			for v, err := range anyio.Iterate(ctx, recv) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if v != 1 {
					t.Errorf("item %d", v)
				}
				scope.Cancel()
			}
			return nil
		})
		if len(errs) != 1 || !errors.Is(errs[0], anyio.ErrCancelled) {
			t.Errorf("Iterate in a cancelled scope yielded %v, want one cancellation", errs)
		}
		return nil
	})
}

// closeRecorder is a resource whose Close reports the context it got.
type closeRecorder struct {
	ctxErr error
	ret    error
}

func (c *closeRecorder) Close(ctx context.Context) error {
	c.ctxErr = ctx.Err()
	if c.ret != nil {
		return c.ret
	}
	if ctx.Err() != nil {
		// A graceful close that was cut short, as a TLS stream's would be.
		return context.Cause(ctx)
	}
	return nil
}

func TestCloseForcefully(t *testing.T) {
	r := &closeRecorder{}
	if err := anyio.CloseForcefully(r); err != nil {
		t.Errorf("CloseForcefully = %v, want the cancellation swallowed", err)
	}
	if r.ctxErr == nil {
		t.Error("CloseForcefully called Close with a live context")
	}
	boom := errors.New("boom")
	if err := anyio.CloseForcefully(&closeRecorder{ret: boom}); err != boom {
		t.Errorf("CloseForcefully = %v, want Close's own error", err)
	}
}

func TestObjectToByteStream(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](4)
	r := anyio.ObjectToByteReceiveStream(recv)
	w := anyio.ObjectToByteSendStream(send)
	p := []byte("abcdef")
	if err := w.Send(ctx, p); err != nil {
		t.Fatal(err)
	}
	copy(p, "XXXXXX") // the stream kept a copy
	w.Send(ctx, nil)  // an empty item is skipped by the receiver
	w.Send(ctx, []byte("gh"))
	w.Close(ctx)
	var got []string
	buf := make([]byte, 4)
	for {
		n, err := r.Receive(ctx, buf)
		if errors.Is(err, anyio.ErrEndOfStream) {
			break
		}
		if err != nil || n == 0 {
			t.Fatalf("Receive = %d, %v", n, err)
		}
		got = append(got, string(buf[:n]))
	}
	if want := []string{"abcd", "ef", "gh"}; !slices.Equal(got, want) {
		t.Errorf("received %q, want %q", got, want)
	}
	if err := w.Send(ctx, []byte("x")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after Close = %v", err)
	}
	r.Close(ctx)
	if _, err := r.Receive(ctx, buf); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive after Close = %v", err)
	}
}
