// Package anyiotest holds helpers for testing code built on anyio: the job
// that AnyIO's pytest plugin does for Python.
//
// [TestByteStream] and [TestObjectStream] are conformance suites for stream
// implementations, in the spirit of golang.org/x/net/nettest.TestConn and
// Trio's check_two_way_stream: give them a function that makes a connected
// pair of streams, and they check the behaviour that the anyio stream
// contracts promise.
package anyiotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"testing/quick"
	"time"

	"github.com/anyio-go/anyio"
)

// suiteTimeout bounds each check: a safety net that turns a hang into a
// failure, never a synchronisation.
const suiteTimeout = 60 * time.Second

// TestByteStream checks that the byte streams made by makePair behave as the
// anyio.ByteStream contract says. makePair returns two connected streams: what
// one sends, the other receives. It is called once per check, within the
// check's subtest; it may register cleanups with t.Cleanup. The streams are
// closed at the end of each check.
//
// The checks: integrity of data sent both ways at once under random sizes of
// sends and receive buffers (seeded: the seed is logged on failure, and
// $ANYIO_STREAMTEST_SEED replays it); Receive never returning (0, nil);
// SendEOF as a half-close in each direction (skipped when SendEOF returns an
// error matching errors.ErrUnsupported); idempotent Close, also with a
// cancelled context; Close of one side ending the peer's blocked Receive with
// anyio.ErrEndOfStream (or anyio.ErrBrokenResource); Close ending a Receive
// blocked on the same stream; a second concurrent Receive failing with
// *anyio.BusyResourceError; a Receive in a cancelled context taking nothing;
// the stream still usable after a Receive was cancelled while blocked;
// anyio.ErrEmptyBuffer for an empty buffer; after the peer closed,
// anyio.ErrEndOfStream from Receive and, eventually, anyio.ErrBrokenResource
// from Send; anyio.ErrClosedResource from a closed stream; typed attributes
// that can be read.
//
// To detect a Receive in progress without relying on timing, the suite calls
// Receive with an already cancelled context: an implementation must report
// *anyio.BusyResourceError in that case while another Receive runs (check the
// busy guard before the context), as every anyio stream does.
func TestByteStream(t *testing.T, makePair func(t *testing.T) (a, b anyio.ByteStream)) {
	t.Helper()
	checks := []struct {
		name string
		f    func(t *testing.T, ctx context.Context, a, b anyio.ByteStream)
	}{
		{"SendReceive", byteSendReceive},
		{"Integrity", byteIntegrity},
		{"SendEOF", func(t *testing.T, ctx context.Context, a, b anyio.ByteStream) { byteSendEOF(t, ctx, a, b) }},
		{"SendEOFReverse", func(t *testing.T, ctx context.Context, a, b anyio.ByteStream) { byteSendEOF(t, ctx, b, a) }},
		{"CloseIdempotent", byteCloseIdempotent},
		{"CloseWhilePeerReceives", byteCloseWhilePeerReceives},
		{"CloseWhileReceiving", byteCloseWhileReceiving},
		{"ConcurrentReceive", byteConcurrentReceive},
		{"ReceiveCancelled", byteReceiveCancelled},
		{"UsableAfterCancelledReceive", byteUsableAfterCancel},
		{"EmptyBuffer", byteEmptyBuffer},
		{"AfterPeerClosed", byteAfterPeerClosed},
		{"AfterClose", byteAfterClose},
		{"ExtraAttributes", func(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
			readAttributes(t, a)
			readAttributes(t, b)
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			a, b := makePair(t)
			runCheck(t, func(ctx context.Context) {
				defer anyio.CloseForcefully(b)
				defer anyio.CloseForcefully(a)
				c.f(t, ctx, a, b)
			})
		})
	}
}

// runCheck runs f as the root task of a Run.
func runCheck(t *testing.T, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	defer cancel()
	err := anyio.Run(ctx, func(ctx context.Context) error {
		f(ctx)
		return nil
	})
	if err != nil {
		t.Fatalf("anyio.Run: %v", err)
	}
}

// suiteSeed returns the seed of the randomized checks.
func suiteSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ANYIO_STREAMTEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ANYIO_STREAMTEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with ANYIO_STREAMTEST_SEED=%d", seed)
		}
	})
	return seed
}

// cancelled is a context that is already cancelled.
var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// group runs body in a task group and fails t on the group's error.
func group(t *testing.T, ctx context.Context, body func(ctx context.Context, tg *anyio.TaskGroup) error) {
	t.Helper()
	if err := anyio.WithTaskGroup(ctx, body); err != nil {
		t.Error(err)
	}
}

// receiveFull receives exactly len(p) bytes.
func receiveFull(ctx context.Context, s anyio.ByteReceiveStream, p []byte) error {
	for off := 0; off < len(p); {
		n, err := s.Receive(ctx, p[off:])
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("receiveFull: Receive returned (0, nil)")
		}
		if n > len(p)-off {
			return fmt.Errorf("receiveFull: Receive returned %d bytes for a buffer of %d", n, len(p)-off)
		}
		off += n
	}
	return nil
}

// receiveProbed is a Receive that other tasks probe with waitReceiving: it
// tries again while it finds a probe in the way.
func receiveProbed(ctx context.Context, s anyio.ByteReceiveStream, p []byte) (int, error) {
	for {
		n, err := s.Receive(ctx, p)
		var busy *anyio.BusyResourceError
		if !errors.As(err, &busy) {
			return n, err
		}
		runtime.Gosched()
	}
}

// waitReceiving returns once another task is inside s.Receive: a Receive with
// a cancelled context then reports that the stream is busy.
func waitReceiving(t *testing.T, s anyio.ByteReceiveStream) bool {
	t.Helper()
	buf := make([]byte, 1)
	deadline := time.Now().Add(suiteTimeout / 2)
	for time.Now().Before(deadline) {
		_, err := s.Receive(cancelled, buf)
		var busy *anyio.BusyResourceError
		switch {
		case errors.As(err, &busy):
			return true
		case err == nil:
			t.Error("Receive with a cancelled context took data")
			return false
		case !errors.Is(err, anyio.ErrCancelled) && !errors.Is(err, context.Canceled):
			t.Errorf("Receive with a cancelled context = %v, want a cancellation or *anyio.BusyResourceError", err)
			return false
		}
		runtime.Gosched()
	}
	t.Error("the Receive of another task never showed as in progress (a Receive with a cancelled context kept returning a cancellation, never *anyio.BusyResourceError)")
	return false
}

func byteSendReceive(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	for _, dir := range []struct {
		name string
		s, r anyio.ByteStream
	}{{"a to b", a, b}, {"b to a", b, a}} {
		group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return dir.s.Send(ctx, []byte("hello, world")) })
			got := make([]byte, len("hello, world"))
			if err := receiveFull(ctx, dir.r, got); err != nil {
				return fmt.Errorf("%s: Receive: %w", dir.name, err)
			}
			if string(got) != "hello, world" {
				t.Errorf("%s: received %q, want %q", dir.name, got, "hello, world")
			}
			return nil
		})
	}
}

func byteIntegrity(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	seed := suiteSeed(t)
	const total = 256 << 10
	size := func(rng *rand.Rand) int {
		if rng.IntN(4) == 0 {
			return 1 + rng.IntN(16)
		}
		return 1 + rng.IntN(8192)
	}
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for i, dir := range []struct {
			name string
			s, r anyio.ByteStream
		}{{"a to b", a, b}, {"b to a", b, a}} {
			want := make([]byte, total)
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for j := range want {
				want[j] = byte(rng.Uint32())
			}
			tg.StartSoon(func(ctx context.Context) error {
				rng := rand.New(rand.NewPCG(seed, uint64(i)+10))
				for off := 0; off < total; {
					n := min(size(rng), total-off)
					if err := dir.s.Send(ctx, want[off:off+n]); err != nil {
						return fmt.Errorf("%s: Send: %w", dir.name, err)
					}
					off += n
				}
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				rng := rand.New(rand.NewPCG(seed, uint64(i)+20))
				got := make([]byte, 0, total)
				buf := make([]byte, 8192)
				for len(got) < total {
					p := buf[:size(rng)]
					n, err := dir.r.Receive(ctx, p)
					if err != nil {
						return fmt.Errorf("%s: Receive after %d bytes: %w", dir.name, len(got), err)
					}
					if n == 0 || n > len(p) {
						return fmt.Errorf("%s: Receive returned %d bytes for a buffer of %d", dir.name, n, len(p))
					}
					got = append(got, p[:n]...)
				}
				if !bytes.Equal(got[:total], want) {
					i := 0
					for i < total && got[i] == want[i] {
						i++
					}
					return fmt.Errorf("%s: data differs from byte %d on", dir.name, i)
				}
				return nil
			})
		}
		return nil
	})
}

func byteSendEOF(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := a.Send(ctx, []byte("last words")); err != nil {
				return fmt.Errorf("a.Send: %w", err)
			}
			return nil
		})
		got := make([]byte, len("last words"))
		if err := receiveFull(ctx, b, got); err != nil {
			return fmt.Errorf("b.Receive: %w", err)
		}
		return nil
	})
	err := a.SendEOF(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("SendEOF: %v", err)
	}
	if err != nil {
		t.Fatalf("SendEOF = %v", err)
	}
	if err := a.SendEOF(ctx); err != nil {
		t.Errorf("second SendEOF = %v, want nil (idempotent)", err)
	}
	buf := make([]byte, 16)
	for range 2 {
		if n, err := b.Receive(ctx, buf); !errors.Is(err, anyio.ErrEndOfStream) {
			t.Fatalf("Receive after the peer's SendEOF = %d, %v; want anyio.ErrEndOfStream", n, err)
		}
	}
	// The other direction still works.
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := b.Send(ctx, []byte("reply")); err != nil {
				return fmt.Errorf("b.Send towards the half-closed side: %w", err)
			}
			return b.SendEOF(ctx)
		})
		got := make([]byte, len("reply"))
		if err := receiveFull(ctx, a, got); err != nil {
			return fmt.Errorf("a.Receive on the half-closed side: %w", err)
		}
		if string(got) != "reply" {
			t.Errorf("received %q, want %q", got, "reply")
		}
		if n, err := a.Receive(ctx, buf); !errors.Is(err, anyio.ErrEndOfStream) {
			t.Errorf("Receive after both SendEOFs = %d, %v; want anyio.ErrEndOfStream", n, err)
		}
		return nil
	})
}

func byteCloseIdempotent(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	for i := range 2 {
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close #%d = %v, want nil", i+1, err)
		}
	}
	if err := anyio.CloseForcefully(a); err != nil {
		t.Errorf("CloseForcefully of a closed stream = %v", err)
	}
	if err := anyio.CloseForcefully(b); err != nil {
		t.Errorf("CloseForcefully = %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("Close after CloseForcefully = %v", err)
	}
}

func byteCloseWhilePeerReceives(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			_, err := receiveProbed(ctx, b, make([]byte, 16))
			done <- err
			return nil
		})
		if !waitReceiving(t, b) {
			tg.CancelScope().Cancel()
			return nil
		}
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := <-done; !errors.Is(err, anyio.ErrEndOfStream) && !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("blocked Receive when the peer closed = %v, want anyio.ErrEndOfStream or anyio.ErrBrokenResource", err)
		}
		return nil
	})
}

func byteCloseWhileReceiving(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			_, err := receiveProbed(ctx, b, make([]byte, 16))
			done <- err
			return nil
		})
		if !waitReceiving(t, b) {
			tg.CancelScope().Cancel()
			return nil
		}
		if err := b.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := <-done; err == nil {
			t.Error("a Receive blocked on a stream that is closed returned no error")
		} else if !errors.Is(err, anyio.ErrClosedResource) {
			t.Logf("Receive blocked on a stream that is closed = %v (anyio.ErrClosedResource is usual)", err)
		}
		return nil
	})
}

func byteConcurrentReceive(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		scope := anyio.NewCancelScope()
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			return scope.Run(ctx, func(ctx context.Context) error {
				_, err := receiveProbed(ctx, b, make([]byte, 16))
				done <- err
				return err
			})
		})
		if !waitReceiving(t, b) {
			scope.Cancel()
			return nil
		}
		// With a live context too, a second Receive fails at once.
		_, err := b.Receive(ctx, make([]byte, 16))
		var busy *anyio.BusyResourceError
		if !errors.As(err, &busy) || !errors.Is(err, anyio.ErrBusyResource) {
			t.Errorf("concurrent Receive = %v, want *anyio.BusyResourceError", err)
		}
		scope.Cancel()
		if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("cancelled Receive = %v, want a cancellation", err)
		}
		return nil
	})
}

func byteReceiveCancelled(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, []byte("data")) })
		// Whether or not the data has arrived, a Receive in a cancelled
		// scope fails and takes nothing.
		scope := anyio.NewCancelScope()
		scope.Cancel()
		scope.Run(ctx, func(ctx context.Context) error {
			n, err := b.Receive(ctx, make([]byte, 16))
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Receive in a cancelled scope = %d, %v; want a cancellation", n, err)
			}
			return err
		})
		got := make([]byte, 4)
		if err := receiveFull(ctx, b, got); err != nil {
			return fmt.Errorf("b.Receive: %w", err)
		}
		if string(got) != "data" {
			t.Errorf("received %q, want %q", got, "data")
		}
		return nil
	})
}

func byteUsableAfterCancel(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	var early []byte
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		scope := anyio.NewCancelScope()
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			return scope.Run(ctx, func(ctx context.Context) error {
				buf := make([]byte, 16)
				n, err := receiveProbed(ctx, b, buf)
				early = buf[:n]
				done <- err
				return err
			})
		})
		if !waitReceiving(t, b) {
			scope.Cancel()
			return nil
		}
		scope.Cancel()
		if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("Receive cancelled while blocked = %v, want a cancellation", err)
		}
		return nil
	})
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, []byte("still there")) })
		got := make([]byte, len("still there"))
		if err := receiveFull(ctx, b, got); err != nil {
			return fmt.Errorf("b.Receive after a cancelled Receive: %w", err)
		}
		if string(got) != "still there" || len(early) != 0 {
			t.Errorf("received %q (and %q in the cancelled call), want %q", got, early, "still there")
		}
		return nil
	})
}

func byteEmptyBuffer(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	for _, p := range [][]byte{nil, {}} {
		if n, err := b.Receive(ctx, p); n != 0 || !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive with an empty buffer = %d, %v; want anyio.ErrEmptyBuffer", n, err)
		}
	}
}

func byteAfterPeerClosed(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := a.Send(ctx, []byte("bye")); err != nil {
				return err
			}
			return a.Close(ctx)
		})
		got := make([]byte, 3)
		if err := receiveFull(ctx, b, got); err != nil {
			return fmt.Errorf("b.Receive of the data sent before Close: %w", err)
		}
		return nil
	})
	buf := make([]byte, 16)
	for range 2 {
		if n, err := b.Receive(ctx, buf); !errors.Is(err, anyio.ErrEndOfStream) && !errors.Is(err, anyio.ErrBrokenResource) {
			t.Fatalf("Receive after the peer closed = %d, %v; want anyio.ErrEndOfStream", n, err)
		}
	}
	// A transport may take a few sends to notice that the peer is gone.
	chunk := make([]byte, 1024)
	for i := 0; ; i++ {
		err := b.Send(ctx, chunk)
		if err == nil {
			if i == 1<<16 {
				t.Fatal("Send to a closed peer kept succeeding")
			}
			runtime.Gosched()
			continue
		}
		if !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Send to a closed peer = %v, want anyio.ErrBrokenResource", err)
		}
		break
	}
}

func byteAfterClose(t *testing.T, ctx context.Context, a, b anyio.ByteStream) {
	if err := a.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if n, err := a.Receive(ctx, make([]byte, 16)); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive on a closed stream = %d, %v; want anyio.ErrClosedResource", n, err)
	}
	if err := a.Send(ctx, []byte("x")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send on a closed stream = %v, want anyio.ErrClosedResource", err)
	}
}

// readAttributes calls every attribute getter of p.
func readAttributes(t *testing.T, p anyio.TypedAttributeProvider) {
	t.Helper()
	for k, get := range p.ExtraAttributes() {
		if get == nil {
			t.Errorf("attribute %v has a nil getter", k)
			continue
		}
		get()
	}
}

// TestObjectStream checks that the object streams made by makePair behave as
// the anyio.ObjectStream contract says; it works as [TestByteStream] does.
// Items are random values of T made by testing/quick (T must be a type that
// quick.Value can make) and compared with reflect.DeepEqual.
//
// The checks: order and integrity of items sent both ways at once; SendEOF in
// each direction (skipped when it returns an error matching
// errors.ErrUnsupported); idempotent Close; the peer's Close ending a blocked
// Receive with anyio.ErrEndOfStream (or anyio.ErrBrokenResource); concurrent
// Receives either failing with *anyio.BusyResourceError or each getting a
// different item (a stream with several consumers, such as a memory object
// stream); a Receive in a cancelled scope taking nothing, also when an item
// is ready; the stream still usable after a cancelled Receive; after the
// peer closed, anyio.ErrEndOfStream from Receive and
// anyio.ErrBrokenResource from Send; anyio.ErrClosedResource from a closed
// stream; typed attributes that can be read.
func TestObjectStream[T any](t *testing.T, makePair func(t *testing.T) (a, b anyio.ObjectStream[T])) {
	t.Helper()
	typ := reflect.TypeFor[T]()
	if _, ok := quick.Value(typ, mrand.New(mrand.NewSource(1))); !ok {
		t.Fatalf("anyiotest.TestObjectStream: cannot make random values of %v", typ)
	}
	checks := []struct {
		name string
		f    func(t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(n int) []T)
	}{
		{"SendReceive", objectSendReceive[T]},
		{"Integrity", objectIntegrity[T]},
		{"SendEOF", objectSendEOF[T]},
		{"SendEOFReverse", func(t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
			objectSendEOF(t, ctx, b, a, items)
		}},
		{"CloseIdempotent", objectCloseIdempotent[T]},
		{"CloseWhilePeerReceives", objectCloseWhilePeerReceives[T]},
		{"ConcurrentReceive", objectConcurrentReceive[T]},
		{"ReceiveCancelled", objectReceiveCancelled[T]},
		{"UsableAfterCancelledReceive", objectUsableAfterCancel[T]},
		{"AfterPeerClosed", objectAfterPeerClosed[T]},
		{"AfterClose", objectAfterClose[T]},
		{"ExtraAttributes", func(t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
			readAttributes(t, a)
			readAttributes(t, b)
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			seed := suiteSeed(t)
			rng := mrand.New(mrand.NewSource(int64(seed)))
			items := func(n int) []T {
				out := make([]T, n)
				for i := range out {
					v, _ := quick.Value(typ, rng)
					out[i] = v.Interface().(T)
				}
				return out
			}
			a, b := makePair(t)
			runCheck(t, func(ctx context.Context) {
				defer anyio.CloseForcefully(b)
				defer anyio.CloseForcefully(a)
				c.f(t, ctx, a, b, items)
			})
		})
	}
}

// yieldSome gives other goroutines a chance to run (to reach a blocking
// call); what the checks verify does not depend on whether they did.
func yieldSome() {
	for range 100 {
		runtime.Gosched()
	}
}

func objectSendReceive[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	for _, dir := range []struct {
		name string
		s, r anyio.ObjectStream[T]
	}{{"a to b", a, b}, {"b to a", b, a}} {
		item := items(1)[0]
		group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return dir.s.Send(ctx, item) })
			got, err := dir.r.Receive(ctx)
			if err != nil {
				return fmt.Errorf("%s: Receive: %w", dir.name, err)
			}
			if !reflect.DeepEqual(got, item) {
				t.Errorf("%s: received %v, want %v", dir.name, got, item)
			}
			return nil
		})
	}
}

func objectIntegrity[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	const n = 500
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for _, dir := range []struct {
			name string
			s, r anyio.ObjectStream[T]
		}{{"a to b", a, b}, {"b to a", b, a}} {
			want := items(n)
			tg.StartSoon(func(ctx context.Context) error {
				for i, v := range want {
					if err := dir.s.Send(ctx, v); err != nil {
						return fmt.Errorf("%s: Send #%d: %w", dir.name, i, err)
					}
				}
				return nil
			})
			tg.StartSoon(func(ctx context.Context) error {
				for i := range want {
					v, err := dir.r.Receive(ctx)
					if err != nil {
						return fmt.Errorf("%s: Receive #%d: %w", dir.name, i, err)
					}
					if !reflect.DeepEqual(v, want[i]) {
						return fmt.Errorf("%s: item #%d = %v, want %v", dir.name, i, v, want[i])
					}
				}
				return nil
			})
		}
		return nil
	})
}

func objectSendEOF[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	vs := items(2)
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			for _, v := range vs[:1] {
				if err := a.Send(ctx, v); err != nil {
					return fmt.Errorf("a.Send: %w", err)
				}
			}
			return nil
		})
		if v, err := b.Receive(ctx); err != nil || !reflect.DeepEqual(v, vs[0]) {
			return fmt.Errorf("b.Receive = %v, %v; want %v", v, err, vs[0])
		}
		return nil
	})
	err := a.SendEOF(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("SendEOF: %v", err)
	}
	if err != nil {
		t.Fatalf("SendEOF = %v", err)
	}
	if err := a.SendEOF(ctx); err != nil {
		t.Errorf("second SendEOF = %v, want nil (idempotent)", err)
	}
	for range 2 {
		if v, err := b.Receive(ctx); !errors.Is(err, anyio.ErrEndOfStream) {
			t.Fatalf("Receive after the peer's SendEOF = %v, %v; want anyio.ErrEndOfStream", v, err)
		}
	}
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := b.Send(ctx, vs[1]); err != nil {
				return fmt.Errorf("b.Send towards the half-closed side: %w", err)
			}
			return nil
		})
		if v, err := a.Receive(ctx); err != nil || !reflect.DeepEqual(v, vs[1]) {
			return fmt.Errorf("a.Receive on the half-closed side = %v, %v; want %v", v, err, vs[1])
		}
		return nil
	})
}

func objectCloseIdempotent[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	for i := range 2 {
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close #%d = %v, want nil", i+1, err)
		}
	}
	if err := anyio.CloseForcefully(b); err != nil {
		t.Errorf("CloseForcefully = %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("Close after CloseForcefully = %v", err)
	}
}

func objectCloseWhilePeerReceives[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			_, err := b.Receive(ctx)
			done <- err
			return nil
		})
		yieldSome()
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := <-done; !errors.Is(err, anyio.ErrEndOfStream) && !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Receive when the peer closed = %v, want anyio.ErrEndOfStream or anyio.ErrBrokenResource", err)
		}
		return nil
	})
}

func objectConcurrentReceive[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	vs := items(2)
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		type result struct {
			v   T
			err error
		}
		results := make(chan result, 2)
		for range 2 {
			tg.StartSoon(func(ctx context.Context) error {
				v, err := b.Receive(ctx)
				results <- result{v, err}
				return nil
			})
		}
		yieldSome()
		var busy *anyio.BusyResourceError
		var got []T
		for sent := range 2 {
			if err := a.Send(ctx, vs[sent]); err != nil {
				return fmt.Errorf("a.Send: %w", err)
			}
			r := <-results
			if errors.As(r.err, &busy) {
				// This stream has a single consumer: the other Receive
				// gets the item.
				r = <-results
				if r.err != nil {
					return fmt.Errorf("b.Receive = %w", r.err)
				}
				if !reflect.DeepEqual(r.v, vs[0]) {
					t.Errorf("received %v, want %v", r.v, vs[0])
				}
				return nil
			}
			if r.err != nil {
				return fmt.Errorf("concurrent Receive = %w", r.err)
			}
			got = append(got, r.v)
		}
		// Several consumers: each got a different item, in order.
		if len(got) != 2 || !reflect.DeepEqual(got[0], vs[0]) || !reflect.DeepEqual(got[1], vs[1]) {
			t.Errorf("concurrent Receives got %v, want %v", got, vs)
		}
		return nil
	})
}

func objectReceiveCancelled[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	v := items(1)[0]
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, v) })
		yieldSome()
		scope := anyio.NewCancelScope()
		scope.Cancel()
		scope.Run(ctx, func(ctx context.Context) error {
			got, err := b.Receive(ctx)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Receive in a cancelled scope = %v, %v; want a cancellation", got, err)
			}
			return err
		})
		got, err := b.Receive(ctx)
		if err != nil || !reflect.DeepEqual(got, v) {
			return fmt.Errorf("b.Receive = %v, %v; want %v", got, err, v)
		}
		return nil
	})
}

func objectUsableAfterCancel[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	v := items(1)[0]
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		scope := anyio.NewCancelScope()
		done := make(chan error, 1)
		tg.StartSoon(func(ctx context.Context) error {
			return scope.Run(ctx, func(ctx context.Context) error {
				_, err := b.Receive(ctx)
				done <- err
				return err
			})
		})
		yieldSome()
		scope.Cancel()
		if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("cancelled Receive = %v, want a cancellation", err)
		}
		tg.StartSoon(func(ctx context.Context) error { return a.Send(ctx, v) })
		got, err := b.Receive(ctx)
		if err != nil || !reflect.DeepEqual(got, v) {
			return fmt.Errorf("b.Receive after a cancelled Receive = %v, %v; want %v", got, err, v)
		}
		return nil
	})
}

func objectAfterPeerClosed[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	v := items(1)[0]
	group(t, ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			if err := a.Send(ctx, v); err != nil {
				return err
			}
			return nil
		})
		if got, err := b.Receive(ctx); err != nil || !reflect.DeepEqual(got, v) {
			return fmt.Errorf("b.Receive = %v, %v; want %v", got, err, v)
		}
		return nil
	})
	if err := a.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for range 2 {
		if got, err := b.Receive(ctx); !errors.Is(err, anyio.ErrEndOfStream) && !errors.Is(err, anyio.ErrBrokenResource) {
			t.Fatalf("Receive after the peer closed = %v, %v; want anyio.ErrEndOfStream", got, err)
		}
	}
	if err := b.Send(ctx, v); !errors.Is(err, anyio.ErrBrokenResource) {
		t.Errorf("Send to a closed peer = %v, want anyio.ErrBrokenResource", err)
	}
}

func objectAfterClose[T any](t *testing.T, ctx context.Context, a, b anyio.ObjectStream[T], items func(int) []T) {
	if err := a.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if v, err := a.Receive(ctx); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive on a closed stream = %v, %v; want anyio.ErrClosedResource", v, err)
	}
	if err := a.Send(ctx, items(1)[0]); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send on a closed stream = %v, want anyio.ErrClosedResource", err)
	}
}
