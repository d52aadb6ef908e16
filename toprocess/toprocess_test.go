package toprocess_test

import (
	"context"
	"errors"
	"os"
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
