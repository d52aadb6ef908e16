package toprocess_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/toprocess"
)

// notifyWriter is a writer that reports each write.
type notifyWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes chan struct{}
}

func newNotifyWriter() *notifyWriter { return &notifyWriter{writes: make(chan struct{}, 1)} }

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.writes <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits until the writer has received s.
func (w *notifyWriter) waitFor(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		ok := strings.Contains(w.buf.String(), s)
		w.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-w.writes:
		case <-timeout:
			t.Fatalf("the parent's stderr did not receive %q", s)
		}
	}
}

// A worker's stderr reaches the parent's stderr.
func TestWorkerStderr(t *testing.T) {
	sink := newNotifyWriter()
	defer toprocess.SetStderr(sink)()
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := writeStderr.RunSync(ctx, "a line from the worker\n"); err != nil {
			return err
		}
		sink.waitFor(t, "a line from the worker\n")
		return nil
	})
}

// Port of AnyIO's test_stderr_flood: a worker writing much to stdout and
// stderr does not block.
func TestStderrFlood(t *testing.T) {
	sink := newNotifyWriter()
	defer toprocess.SetStderr(sink)()
	// The worker's stdout is the parent's at its start: send it nowhere.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.FailAfter(10*time.Second).Run(ctx, func(ctx context.Context) error {
			got, err := floodStderr.RunSync(ctx, 1<<20)
			if got != "completed" || err != nil {
				t.Errorf("floodStderr = %q, %v; want \"completed\", nil", got, err)
			}
			return nil
		})
	})
}

// Port of AnyIO's test_cancel_during: cancelling a Cancellable call kills
// its worker at once.
func TestCancelDuring(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		var callErr error
		err = anyio.FailAfter(4*time.Second).Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, callErr = sleep.RunSync(ctx, 5*time.Second, toprocess.Cancellable())
					return callErr
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.Cancel()
				return nil
			})
		})
		if err != nil {
			return err
		}
		if !errors.Is(callErr, anyio.ErrCancelled) {
			t.Errorf("the cancelled call = %v, want a cancellation error", callErr)
		}
		if _, live := toprocess.PoolStats(ctx); live != 0 {
			t.Errorf("live workers after the kill = %d, want 0", live)
		}
		again, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		if again == pid {
			t.Error("the killed worker served the next call")
		}
		return nil
	})
}

// Without Cancellable, a cancelled caller waits for the call, then gets its
// result together with the cancellation.
func TestCancelNotCancellable(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		scope := anyio.MoveOnAfter(20 * time.Millisecond)
		var got int
		scope.Run(ctx, func(ctx context.Context) error {
			got, err = sleep.RunSync(ctx, 200*time.Millisecond)
			return err
		})
		if got != pid || !errors.Is(err, anyio.ErrCancelled) || !scope.CancelledCaught() {
			t.Errorf("a call cancelled while it ran = %d, %v (caught: %v); want %d and a cancellation", got, err, scope.CancelledCaught(), pid)
		}
		if again, err := getpid.RunSync(ctx, struct{}{}); again != pid || err != nil {
			t.Errorf("the worker after the call = %d, %v; want %d (kept)", again, err, pid)
		}
		return nil
	})
}

// A worker that crashes, panics, calls os.Exit or is killed gives
// *BrokenWorkerProcessError with the end of its stderr, and a new worker
// serves the next call.
func TestBrokenWorker(t *testing.T) {
	sink := newNotifyWriter()
	defer toprocess.SetStderr(sink)()
	for _, tc := range []struct {
		how        string
		wantCode   int
		wantStderr string
	}{
		{"panic", 2, "panic: boom in the worker"},
		{"exit", 3, "about to exit"},
		{"nil dereference", 2, "nil pointer dereference"},
		{"kill", -9, "about to kill"},
	} {
		t.Run(tc.how, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				pid, err := getpid.RunSync(ctx, struct{}{})
				if err != nil {
					return err
				}
				_, err = crash.RunSync(ctx, tc.how)
				var be *toprocess.BrokenWorkerProcessError
				if !errors.As(err, &be) {
					t.Fatalf("crash(%q) = %v, want *BrokenWorkerProcessError", tc.how, err)
				}
				if be.PID != pid || be.ExitCode != tc.wantCode || be.Func != "toprocess_test.crash" {
					t.Errorf("BrokenWorkerProcessError{PID: %d, ExitCode: %d, Func: %q}; want %d, %d, the function", be.PID, be.ExitCode, be.Func, pid, tc.wantCode)
				}
				if !strings.Contains(string(be.Stderr), tc.wantStderr) || !strings.Contains(err.Error(), tc.wantStderr) {
					t.Errorf("the error lacks %q of the worker's stderr:\n%v", tc.wantStderr, err)
				}
				if again, err := getpid.RunSync(ctx, struct{}{}); err != nil || again == pid {
					t.Errorf("the call after the crash = %d, %v; want a new worker", again, err)
				}
				return nil
			})
		})
	}
}

// A worker killed while idle is not used again.
func TestIdleWorkerKilled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		proc, err := os.FindProcess(pid)
		if err != nil {
			return err
		}
		dead := toprocess.WorkerDead(ctx, pid)
		if err := proc.Kill(); err != nil {
			return err
		}
		<-dead
		if again, err := getpid.RunSync(ctx, struct{}{}); err != nil || again == pid {
			t.Errorf("the call after the kill = %d, %v; want a new worker", again, err)
		}
		return nil
	})
}
