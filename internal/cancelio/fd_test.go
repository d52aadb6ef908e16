//go:build unix

package cancelio

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio/internal/core"
)

// fdRun runs body in the root task of a new Run, with a task group whose
// children body starts with start; the group is joined when body returns.
func fdRun(t *testing.T, body func(ctx context.Context, start func(name string, fn func(ctx context.Context) error))) {
	t.Helper()
	r, ctx := core.NewRun(context.Background(), "root", 0)
	defer r.Finish()
	g := &core.Group{Scope: &core.Scope{}}
	gctx := g.Enter(ctx, r.Root())
	body(gctx, func(name string, fn func(ctx context.Context) error) { g.StartSoon(fn, name, 0) })
	if err := g.Finish(nil, nil); err != nil {
		t.Errorf("the task group: %v", err)
	}
}

// waitBlocked calls WaitAllTasksBlocked.
func waitBlocked(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := core.WaitAllTasksBlocked(ctx); err != nil {
		t.Fatalf("WaitAllTasksBlocked: %v", err)
	}
}

// child returns the child task of ctx's task named name.
func child(t *testing.T, ctx context.Context, name string) *core.Task {
	t.Helper()
	for _, g := range core.TaskOf(ctx).Groups() {
		for _, c := range g.Children() {
			if c.Name() == name {
				return c
			}
		}
	}
	t.Fatalf("no task %q", name)
	return nil
}

// wantWaiting fails t unless task waits on what (or runs, when what is "").
func wantWaiting(t *testing.T, task *core.Task, what string) {
	t.Helper()
	got := ""
	if w := task.Waiting(); w != nil {
		got = w.What
	}
	if got != what {
		t.Errorf("task %q waits on %q, want %q", task.Name(), got, what)
	}
}

// osPipe returns an os.Pipe, whose ends the runtime polls, closed at the end
// of the test.
func osPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// fill writes to w without blocking until the pipe is full.
func fill(t *testing.T, w *os.File) {
	t.Helper()
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	rc.Control(func(fd uintptr) {
		for {
			if _, err := syscall.Write(int(fd), buf); err != nil {
				return // EAGAIN: full
			}
		}
	})
}

// A read with data pending makes one attempt, which succeeds: the task is
// never parked.
func TestFDReadPendingDoesNotPark(t *testing.T) {
	r, w := osPipe(t)
	if _, err := w.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	var f FD
	defer f.Release()
	if !f.InitFile(r, false, func() string { return "pipe read" }) {
		t.Fatal("InitFile of a pipe = false")
	}
	fdRun(t, func(ctx context.Context, start func(string, func(context.Context) error)) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		buf := make([]byte, 16)
		f.buf = buf
		attempts := 0
		err, cancelled := f.Wait(ctx, func(fd uintptr) bool {
			attempts++
			if w := core.TaskOf(ctx).Waiting(); w != nil {
				t.Errorf("the task waits on %q during an attempt", w.What)
			}
			return f.readAttempt(fd)
		})
		if err != nil || cancelled || f.err != nil || string(buf[:f.n]) != "ping" || attempts != 1 {
			t.Errorf("Wait = %v, cancelled %v; read %q, %v in %d attempts; want ping in 1 attempt", err, cancelled, buf[:f.n], f.err, attempts)
		}
		f.buf = nil
		// And through Read.
		w.Write([]byte("pong"))
		if n, err, cancelled := f.ReadFile(ctx, r, buf); n != 4 || err != nil || cancelled {
			t.Errorf("ReadFile = %d, %v, cancelled %v; want 4, nil, false", n, err, cancelled)
		}
		if f.info.Load() != nil {
			t.Error("reads that never waited named a wait")
		}
	})
}

// A read with nothing pending parks its task (it counts as blocked, and
// names its wait) until data comes; its task then runs. Cancelling the
// context of a parked read interrupts it, and its task runs again too.
func TestFDReadParksUntilReadyOrCancelled(t *testing.T) {
	r, w := osPipe(t)
	var f FD
	defer f.Release()
	f.InitFile(r, false, func() string { return "pipe read" })
	fdRun(t, func(ctx context.Context, start func(string, func(context.Context) error)) {
		type result struct {
			n         int
			err       error
			cancelled bool
			after     *core.WaitInfo
		}
		read := func(ctx context.Context, res chan<- result) {
			buf := make([]byte, 16)
			n, err, cancelled := f.ReadFile(ctx, r, buf)
			res <- result{n, err, cancelled, core.TaskOf(ctx).Waiting()}
		}

		got := make(chan result, 1)
		start("reader", func(ctx context.Context) error {
			read(ctx, got)
			return nil
		})
		waitBlocked(t, ctx)
		reader := child(t, ctx, "reader")
		wantWaiting(t, reader, "pipe read")
		if ready := reader.Waiting().Ready; ready == nil || ready() {
			t.Error("the parked read's wait does not report that the pipe is not ready")
		}
		w.Write([]byte("data"))
		// Ready now: WaitAllTasksBlocked waits for the reader to finish.
		waitBlocked(t, ctx)
		select {
		case res := <-got:
			if res.n != 4 || res.err != nil || res.cancelled || res.after != nil {
				t.Errorf("the parked read = %d, %v, cancelled %v, then waiting on %v; want 4, nil, false, nothing", res.n, res.err, res.cancelled, res.after)
			}
		default:
			t.Error("WaitAllTasksBlocked returned before the served read did")
		}

		got = make(chan result, 1)
		cancels := make(chan context.CancelFunc, 1)
		start("cancelled", func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			cancels <- cancel
			read(ctx, got)
			return nil
		})
		waitBlocked(t, ctx)
		wantWaiting(t, child(t, ctx, "cancelled"), "pipe read")
		(<-cancels)()
		res := <-got
		if !res.cancelled || !IsTimeout(res.err) || res.n != 0 || res.after != nil {
			t.Errorf("the cancelled read = %d, %v, cancelled %v, then waiting on %v; want 0, a timeout, true, nothing", res.n, res.err, res.cancelled, res.after)
		}
		// The deadline was cleared: the next read works.
		w.Write([]byte("more"))
		if n, err, cancelled := f.ReadFile(ctx, r, make([]byte, 16)); n != 4 || err != nil || cancelled {
			t.Errorf("ReadFile after the cancelled one = %d, %v, cancelled %v", n, err, cancelled)
		}
	})
}

// A write to a full pipe parks its task until the reader makes room, then
// writes.
func TestFDWriteFullPipeParks(t *testing.T) {
	r, w := osPipe(t)
	fill(t, w)
	var f FD
	defer f.Release()
	f.InitFile(w, true, func() string { return "pipe write" })
	fdRun(t, func(ctx context.Context, start func(string, func(context.Context) error)) {
		type result struct {
			n   int
			err error
		}
		got := make(chan result, 1)
		start("writer", func(ctx context.Context) error {
			n, err, _ := f.WriteFile(ctx, w, []byte("tail"))
			got <- result{n, err}
			return nil
		})
		waitBlocked(t, ctx)
		wantWaiting(t, child(t, ctx, "writer"), "pipe write")
		// Drain the pipe: the writer becomes ready and writes.
		buf := make([]byte, 1<<20)
		total := 0
		for {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if n >= 4 && string(buf[n-4:n]) == "tail" {
				break
			}
			if n < len(buf) {
				// The pipe is empty: the writer has room now; the
				// next read waits for its data.
				waitBlocked(t, ctx)
			}
		}
		if res := <-got; res.n != 4 || res.err != nil {
			t.Errorf("the parked write = %d, %v; want 4, nil", res.n, res.err)
		}
	})
}
