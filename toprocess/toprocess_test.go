package toprocess_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/toprocess"
)

// Port of AnyIO's test_run_sync_in_process_pool: the function runs in
// another process, and the same one serves consecutive calls.
func TestRunSyncInProcessPool(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		if pid == os.Getpid() {
			t.Error("the function ran in the parent process")
		}
		for range 3 {
			if again, err := getpid.RunSync(ctx, struct{}{}); again != pid || err != nil {
				t.Errorf("a consecutive call ran in process %d (%v), want %d", again, err, pid)
			}
		}
		if idle, live := toprocess.PoolStats(ctx); idle != 1 || live != 1 {
			t.Errorf("PoolStats = %d idle, %d live; want 1, 1", idle, live)
		}
		return nil
	})
}

// Ports of AnyIO's test_partial (values cross both ways) and
// test_exception (the function's error comes back).
func TestRunSyncValuesAndErrors(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := sortDesc.RunSync(ctx, []string{"a", "c", "b"})
		if !slices.Equal(got, []string{"c", "b", "a"}) || err != nil {
			t.Errorf("sortDesc = %q, %v; want [c b a], nil", got, err)
		}
		p, err := mirror.RunSync(ctx, &point{1, 2})
		if p == nil || *p != (point{2, 1}) || err != nil {
			t.Errorf("mirror(&{1 2}) = %v, %v; want &{2 1}", p, err)
		}
		// encoding/gob keeps no nil pointers: nil arrives as a pointer
		// to a zero value.
		if p, err := mirror.RunSync(ctx, nil); p == nil || *p != (point{}) || err != nil {
			t.Errorf("mirror(nil) = %v, %v; want &{0 0}, nil", p, err)
		}
		_, err = atoi.RunSync(ctx, "a")
		var fe *toprocess.FuncError
		if !errors.As(err, &fe) || fe.Func != "toprocess_test.atoi" || !strings.Contains(fe.Message, "invalid syntax") {
			t.Errorf("atoi(\"a\") = %v, want a *FuncError with strconv's message", err)
		}
		if v, err := atoi.RunSync(ctx, "42"); v != 42 || err != nil {
			t.Errorf("atoi(\"42\") after an error = %d, %v; want 42, nil", v, err)
		}
		if ok, err := hasTask.RunSync(ctx, 0); !ok || err != nil {
			t.Errorf("the function's context is no live anyio task's: %v, %v", ok, err)
		}
		return nil
	})
}

// Port of AnyIO's test_print: output of the function does not disturb the
// calls.
func TestRunSyncPrint(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		for _, s := range []string{"hello", "world"} {
			if _, err := printLine.RunSync(ctx, "toprocess test output: "+s); err != nil {
				return err
			}
		}
		if again, err := getpid.RunSync(ctx, struct{}{}); again != pid || err != nil {
			t.Errorf("after printing: process %d (%v), want %d", again, err, pid)
		}
		return nil
	})
}

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

// Port of AnyIO's test_cancel_before: a cancelled caller starts no worker.
func TestCancelBefore(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		scope.Cancel()
		var err error
		scope.Run(ctx, func(ctx context.Context) error {
			_, err = getpid.RunSync(ctx, struct{}{})
			return err
		})
		if !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("RunSync in a cancelled scope = %v, want a cancellation error", err)
		}
		if _, live := toprocess.PoolStats(ctx); live != 0 {
			t.Errorf("live workers = %d, want 0", live)
		}
		return nil
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

// Port of AnyIO's test_exec_while_pruning: an idle worker exits once its
// idle time is up; the others stay.
func TestIdleWorkersExit(t *testing.T) {
	expired := make(chan int, 4)
	defer toprocess.SetMaxIdleTime(300*time.Millisecond, expired)()
	anyiotest.Run(t, func(ctx context.Context) error {
		pid, err := getpid.RunSync(ctx, struct{}{})
		if err != nil {
			return err
		}
		select {
		case got := <-expired:
			if got != pid {
				t.Errorf("expired worker %d, want %d", got, pid)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the idle worker did not exit")
		}
		if idle, live := toprocess.PoolStats(ctx); idle != 0 || live != 0 {
			t.Errorf("PoolStats after the idle time = %d idle, %d live; want 0, 0", idle, live)
		}
		again, err := getpid.RunSync(ctx, struct{}{})
		if err != nil || again == pid {
			t.Errorf("the call after the expiry = %d, %v; want a new worker", again, err)
		}
		return nil
	})
}

// Calls are bounded by the default limiter, one per Run, of runtime.NumCPU
// tokens; concurrent calls run in as many workers.
func TestDefaultProcessLimiter(t *testing.T) {
	var first *anyio.CapacityLimiter
	anyiotest.Run(t, func(ctx context.Context) error {
		first = toprocess.CurrentDefaultProcessLimiter(ctx)
		if n := first.TotalTokens(); n != runtime.NumCPU() {
			t.Errorf("TotalTokens = %d, want runtime.NumCPU() = %d", n, runtime.NumCPU())
		}
		if err := first.SetTotalTokens(2); err != nil {
			return err
		}
		pids := make([]int, 4)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range pids {
				tg.StartSoon(func(ctx context.Context) error {
					var err error
					pids[i], err = sleep.RunSync(ctx, 50*time.Millisecond)
					return err
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if st := first.Statistics(); st.BorrowedTokens != 2 || st.TasksWaiting != 2 {
				t.Errorf("limiter while 4 calls run: %d borrowed, %d waiting; want 2, 2", st.BorrowedTokens, st.TasksWaiting)
			}
			return nil
		})
		if err != nil {
			return err
		}
		distinct := map[int]bool{}
		for _, p := range pids {
			distinct[p] = true
		}
		if _, live := toprocess.PoolStats(ctx); len(distinct) != 2 || live != 2 {
			t.Errorf("4 calls under 2 tokens ran in %d processes (%d live), want 2", len(distinct), live)
		}
		return nil
	})
	anyiotest.Run(t, func(ctx context.Context) error {
		if toprocess.CurrentDefaultProcessLimiter(ctx) == first {
			t.Error("two Runs share a default process limiter")
		}
		return nil
	})
}

// lateFunc registers a function after Init has run (once per test binary:
// a name is registered once).
var lateFunc = sync.OnceValue(func() *toprocess.Func[int, int] {
	return toprocess.Register("toprocess_test.late", func(ctx context.Context, n int) (int, error) { return n, nil })
})

// Unusable arguments and functions are errors before anything starts.
func TestErrorsBeforeStart(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := takesFunc.RunSync(ctx, func() {}); !errors.Is(err, toprocess.ErrEncode) || !strings.Contains(err.Error(), "toprocess_test.takesFunc") {
			t.Errorf("RunSync with a func argument = %v, want ErrEncode naming the function", err)
		}
		var zero toprocess.Func[int, int]
		if _, err := zero.RunSync(ctx, 1); !errors.Is(err, toprocess.ErrNotRegistered) {
			t.Errorf("RunSync of the zero Func = %v, want ErrNotRegistered", err)
		}
		if _, err := lateFunc().RunSync(ctx, 1); !errors.Is(err, toprocess.ErrNotRegistered) || !strings.Contains(err.Error(), "after toprocess.Init") {
			t.Errorf("RunSync of a Func registered after Init = %v, want ErrNotRegistered saying why", err)
		}
		if _, live := toprocess.PoolStats(ctx); live != 0 {
			t.Errorf("live workers = %d, want 0", live)
		}
		if b := toprocess.CurrentDefaultProcessLimiter(ctx).BorrowedTokens(); b != 0 {
			t.Errorf("BorrowedTokens = %d, want 0", b)
		}
		return nil
	})
}

// Register refuses an empty or a duplicate name.
func TestRegisterMisuse(t *testing.T) {
	for _, name := range []string{"", "toprocess_test.getpid"} {
		func() {
			defer func() {
				if r, ok := recover().(string); !ok || !strings.HasPrefix(r, "anyio/toprocess: ") {
					t.Errorf("Register(%q) panicked with %v, want an anyio/toprocess message", name, r)
				}
			}()
			toprocess.Register(name, func(ctx context.Context, n int) (int, error) { return n, nil })
		}()
	}
}

// The workers of a Run end with it; a context of no Run uses a pool of its
// own.
func TestForeignContext(t *testing.T) {
	defer toprocess.CloseForeignPool()
	pid, err := getpid.RunSync(context.Background(), struct{}{})
	if err != nil || pid == os.Getpid() {
		t.Fatalf("RunSync with a plain context = %d, %v", pid, err)
	}
	if again, err := getpid.RunSync(context.TODO(), struct{}{}); again != pid || err != nil {
		t.Errorf("a second call with a plain context = %d, %v; want %d", again, err, pid)
	}
}

// A task waiting for its worker counts as blocked, and DumpTasks says so.
func TestRunSyncCountsAsBlocked(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := sleep.RunSync(ctx, 300*time.Millisecond)
				return err
			}, anyio.TaskName("waits-for-process"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var b strings.Builder
			if err := anyio.DumpTasks(ctx, &b); err != nil {
				return err
			}
			if !strings.Contains(b.String(), `"waits-for-process" waiting on toprocess.RunSync`) {
				t.Errorf("DumpTasks does not show the task waiting on toprocess.RunSync:\n%s", b.String())
			}
			return nil
		})
	})
}
