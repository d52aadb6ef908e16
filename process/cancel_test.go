//go:build linux

package process_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
)

// sidePipe is a pipe whose write end a child gets as descriptor 3, to tell
// the test that it is ready (or the pid of its own child) while its standard
// streams belong to Run.
func sidePipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// readSide reads one line from the side pipe in a task of tg, then closes
// the parent's copy of the write end (so that nothing is left open) and
// calls then.
func readSide(ctx context.Context, tg *anyio.TaskGroup, r, w *os.File, then func(line string)) {
	tg.StartSoon(func(ctx context.Context) error {
		buf := make([]byte, 64)
		// The child writes its line at once; the deadline is a safety net.
		r.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := r.Read(buf)
		if err != nil {
			return err
		}
		then(strings.TrimSpace(string(buf[:n])))
		return nil
	})
}

// Cancelling Run kills the child, reaps it and returns promptly, leaving no
// child and no descriptor behind.
func TestRunCancelled(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []process.Option
	}{
		{"pipes", nil},
		{"input", []process.Option{process.Input([]byte("never read"))}},
		{"new session", []process.Option{process.StartNewSession()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			r, w := sidePipe(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				var runErr error
				var elapsed time.Duration
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						opts := append([]process.Option{process.ExtraFiles(w)}, tc.opts...)
						_, runErr = process.Run(ctx, process.Shell("echo ready >&3; exec sleep 3600"), opts...)
						return nil
					})
					readSide(ctx, tg, r, w, func(string) {
						start := time.Now()
						defer func() { elapsed = time.Since(start) }()
						tg.CancelScope().Cancel()
					})
					return nil
				})
				if err != nil {
					return err
				}
				if !errors.Is(runErr, anyio.ErrCancelled) || !errors.Is(runErr, context.Canceled) {
					t.Errorf("cancelled Run = %v, want a cancellation error", runErr)
				}
				if elapsed > 10*time.Second {
					t.Errorf("cancelled Run took %v to return", elapsed)
				}
				return nil
			})
		})
	}
}

// A grandchild that keeps the output pipe open does not hang Run past its
// cancellation. Without a session of its own the grandchild survives (it
// is not Run's child); with StartNewSession, the cancellation kills the
// whole group, grandchild included.
func TestRunCancelledGrandchildHoldsPipe(t *testing.T) {
	for _, tc := range []struct {
		name       string
		childEnds  string // what the child does after spawning: exit or sleep
		newSession bool
	}{
		{"child exited", "exit", false},
		{"child exited, new session", "exit", true},
		{"child runs, new session", "sleep", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			r, w := sidePipe(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				opts := []process.Option{process.ExtraFiles(w)}
				if tc.newSession {
					opts = append(opts, process.StartNewSession())
				}
				var grandchild int
				var runErr error
				start := time.Now()
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						_, runErr = process.Run(ctx, helper("spawn", "fd3", tc.childEnds, "sleep"), opts...)
						return nil
					})
					readSide(ctx, tg, r, w, func(line string) {
						grandchild, _ = atoi(line)
						start = time.Now()
						if tc.childEnds == "exit" {
							// Run now waits for the end of its output.
							anyio.Sleep(ctx, 100*time.Millisecond)
						}
						tg.CancelScope().Cancel()
					})
					return nil
				})
				if err != nil {
					return err
				}
				if !errors.Is(runErr, anyio.ErrCancelled) {
					t.Errorf("cancelled Run = %v, want a cancellation error", runErr)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("cancelled Run took %v to return", d)
				}
				if grandchild == 0 {
					t.Fatal("no grandchild pid")
				}
				if tc.newSession && tc.childEnds == "sleep" {
					if !processGone(grandchild) {
						t.Errorf("the grandchild %d outlived the cancellation of a Run with StartNewSession", grandchild)
					}
					return nil
				}
				// An orphan that Run cannot kill: its child was reaped, so
				// the group's ID may name another group by now.
				syscall.Kill(grandchild, syscall.SIGKILL)
				if !processGone(grandchild) {
					t.Errorf("grandchild %d does not end after SIGKILL", grandchild)
				}
				return nil
			})
		})
	}
}

// Cancelling Wait of a child with a session of its own kills the whole
// process group.
func TestWaitCancelledKillsGroup(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, helper("spawn", "stdout", "sleep", "sleep"), process.StartNewSession(), process.Stdin(process.DevNull), process.Stderr(process.DevNull))
		line := readLine(t, ctx, p.Stdout())
		grandchild, err := atoi(line)
		if err != nil {
			t.Fatalf("grandchild pid %q: %v", line, err)
		}
		anyio.MoveOnAfter(10*time.Millisecond).Run(ctx, func(ctx context.Context) error {
			_, err := p.Wait(ctx) // the child sleeps: the deadline cancels
			return err
		})
		if code, ok := p.ReturnCode(); !ok || code != -9 {
			t.Errorf("ReturnCode after a cancelled Wait = %d, %v; want -9, true", code, ok)
		}
		if !processGone(grandchild) {
			t.Errorf("grandchild %d survived the cancelled Wait of a child with its own session", grandchild)
		}
		return p.Close(ctx)
	})
}

// Many runs leave nothing behind.
func TestRunNoLeaks(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		for range 20 {
			if _, err := process.Run(ctx, []string{"/bin/sh", "-c", "echo out; echo err >&2"}); err != nil {
				return err
			}
			p, err := process.Open(ctx, []string{"/bin/sh", "-c", "exit 0"})
			if err != nil {
				return err
			}
			if err := p.Close(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Plain contexts work: a deadline of a context.WithTimeout kills the child,
// and the error matches context.DeadlineExceeded.
func TestPlainContext(t *testing.T) {
	leakCheck(t)
	res, err := process.Run(context.Background(), process.Shell("echo plain"))
	if err != nil || string(res.Stdout) != "plain\n" {
		t.Fatalf("Run with context.Background() = %+v, %v", res, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = process.Run(ctx, sleepArgv)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("Run past its context's deadline = %v, want an error matching context.DeadlineExceeded and anyio.ErrCancelled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run past its deadline took %v", d)
	}
	p, err := process.Open(context.Background(), sleepArgv)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := p.Wait(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past its context's deadline = %v, want context.DeadlineExceeded", err)
	}
	if code, ok := p.ReturnCode(); !ok || code != -9 {
		t.Errorf("ReturnCode after the deadline = %d, %v; want -9, true", code, ok)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Errorf("Close = %v", err)
	}
}
