package cancelio

import (
	"context"
	"net"
	"testing"
	"time"
)

// pipe returns the two ends of an in-memory connection with deadlines.
func pipe(t *testing.T) (a, b net.Conn) {
	t.Helper()
	a, b = net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// read runs one Read through op.
func read(op *Op, ctx context.Context, c net.Conn, p []byte) (int, error, bool) {
	return op.Do(ctx, c.SetReadDeadline, func() (int, error) { return c.Read(p) })
}

// interruptAfterUse: calls that completed with a context leave its wake-up
// registered; a later call with the same context is still interrupted when
// that context is cancelled, and the descriptor's deadline is cleared.
func TestInterruptAfterUse(t *testing.T) {
	a, b := pipe(t)
	var op Op
	defer op.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	buf := make([]byte, 4)
	for i := range 3 {
		go b.Write([]byte("ping"))
		if n, err, c := read(&op, ctx, a, buf); n != 4 || err != nil || c {
			t.Fatalf("read %d = %d, %v, cancelled %v; want 4, nil, false", i, n, err, c)
		}
	}
	done := make(chan bool, 1)
	go func() {
		_, err, c := read(&op, ctx, a, buf)
		done <- c && IsTimeout(err)
	}()
	cancel()
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("blocked read after cancel: not reported as an interruption")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked read was not interrupted by the cancellation")
	}
	// The deadline was cleared: a read with a live context works again.
	go b.Write([]byte("pong"))
	if n, err, c := read(&op, context.Background(), a, buf); n != 4 || err != nil || c {
		t.Fatalf("read after interruption = %d, %v, cancelled %v; want 4, nil, false", n, err, c)
	}
}

// A registration that fired between calls is spent: the next call with a
// new context is interrupted by that context only.
func TestNewContextAfterSpentRegistration(t *testing.T) {
	a, b := pipe(t)
	var op Op
	defer op.Release()
	first, cancelFirst := context.WithCancel(context.Background())
	buf := make([]byte, 4)
	go b.Write([]byte("ping"))
	if _, err, _ := read(&op, first, a, buf); err != nil {
		t.Fatal(err)
	}
	cancelFirst() // fires with no call in progress: nothing to interrupt

	second, cancelSecond := context.WithCancel(context.Background())
	defer cancelSecond()
	go b.Write([]byte("pong"))
	if n, err, c := read(&op, second, a, buf); n != 4 || err != nil || c {
		t.Fatalf("read with a new context = %d, %v, cancelled %v; want 4, nil, false", n, err, c)
	}
	done := make(chan bool, 1)
	go func() {
		_, err, c := read(&op, second, a, buf)
		done <- c && IsTimeout(err)
	}()
	cancelSecond()
	if ok := <-done; !ok {
		t.Fatal("read not interrupted by its own context's cancellation")
	}
}

// After Release, a cancellation of the old context does not touch the
// descriptor, and Do registers again.
func TestRelease(t *testing.T) {
	a, b := pipe(t)
	var op Op
	ctx, cancel := context.WithCancel(context.Background())
	buf := make([]byte, 4)
	go b.Write([]byte("ping"))
	if _, err, _ := read(&op, ctx, a, buf); err != nil {
		t.Fatal(err)
	}
	op.Release()
	cancel()
	go b.Write([]byte("pong"))
	if n, err, c := read(&op, context.Background(), a, buf); n != 4 || err != nil || c {
		t.Fatalf("read after Release = %d, %v, cancelled %v; want 4, nil, false", n, err, c)
	}
	op.Release()
}

// Calls with the same context reuse one registration: they allocate nothing
// for it.
func TestReuseAllocatesNothing(t *testing.T) {
	var op Op
	defer op.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	set := func(time.Time) error { return nil }
	call := func() (int, error) { return 1, nil }
	op.Do(ctx, set, call)
	if n := testing.AllocsPerRun(100, func() { op.Do(ctx, set, call) }); n != 0 {
		t.Errorf("Do with the same context: %v allocations, want 0", n)
	}
}
