package anyiotest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// fakeTB records the failures that Run reports instead of failing the test.
type fakeTB struct {
	testing.TB // the real test, for the methods not overridden
	mu         sync.Mutex
	errs       []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errs) > 0
}

func (f *fakeTB) failures() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.errs...)
}

// wantOneFailure checks that f recorded exactly one failure, containing
// every string of want.
func wantOneFailure(t *testing.T, f *fakeTB, want ...string) {
	t.Helper()
	errs := f.failures()
	if len(errs) != 1 {
		t.Fatalf("failures reported: got %d %q, want 1", len(errs), errs)
	}
	for _, w := range want {
		if !strings.Contains(errs[0], w) {
			t.Errorf("failure %q lacks %q", errs[0], w)
		}
	}
}

func TestRunGivesAnAnyioTask(t *testing.T) {
	var id uint64
	anyiotest.Run(t, func(ctx context.Context) error {
		id = anyio.GetCurrentTask(ctx).ID
		return nil
	})
	if id == 0 {
		t.Fatal("GetCurrentTask inside anyiotest.Run: got ID 0, want the root task's ID")
	}
}

func TestRunPassingBodyReportsNothing(t *testing.T) {
	f := &fakeTB{TB: t}
	anyiotest.Run(f, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.Sleep(ctx, 0) })
			return nil
		})
	})
	if errs := f.failures(); len(errs) != 0 {
		t.Errorf("Run of a passing body reported %q, want nothing", errs)
	}
}

func TestRunReportsTheBodysError(t *testing.T) {
	f := &fakeTB{TB: t}
	anyiotest.Run(f, func(ctx context.Context) error { return errors.New("the body broke") })
	wantOneFailure(t, f, "anyiotest.Run", "the body broke")
}

func panicsInATask(ctx context.Context) error { panic("task went wrong") }

func TestRunReportsATaskPanicWithItsStack(t *testing.T) {
	f := &fakeTB{TB: t}
	anyiotest.Run(f, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(panicsInATask, anyio.TaskName("panicker"))
			return nil
		})
	})
	wantOneFailure(t, f, `panic in task "panicker"`, "task went wrong", "anyiotest_test.panicsInATask(", "run_test.go:")
}

func TestRunReportsARootPanic(t *testing.T) {
	f := &fakeTB{TB: t}
	anyiotest.Run(f, func(ctx context.Context) error { panic("root went wrong") })
	wantOneFailure(t, f, "root went wrong", "TestRunReportsARootPanic")
}

func TestRunTimeoutDumpsTheTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		start := time.Now()
		anyiotest.Run(f, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(anyio.SleepForever, anyio.TaskName("stuck-sleeper"))
				return nil
			})
		}, anyiotest.Timeout(time.Minute))
		// The leak check after the body may retry a few virtual
		// microseconds while the task goroutines finish exiting.
		if took := time.Since(start); took < time.Minute || took > time.Minute+time.Second {
			t.Errorf("Run with Timeout(1m) returned after %v of virtual time, want 1m (and the leak check's retries)", took)
		}
		// The timeout, and then the cancellation it caused.
		errs := f.failures()
		if len(errs) != 2 {
			t.Fatalf("failures: got %q, want the timeout and the body's cancellation", errs)
		}
		for _, w := range []string{"did not finish within 1m0s", "stuck-sleeper", "SleepForever"} {
			if !strings.Contains(errs[0], w) {
				t.Errorf("timeout failure %q lacks %q", errs[0], w)
			}
		}
		if !strings.Contains(errs[1], "cancelled") {
			t.Errorf("second failure %q: want the body's cancellation", errs[1])
		}
	})
}

func TestRunReportsLeakedGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		release := make(chan struct{})
		anyiotest.Run(f, func(ctx context.Context) error {
			go func() { <-release }()
			return nil
		})
		close(release)
		wantOneFailure(t, f, "outlived it", "TestRunReportsLeakedGoroutines")
	})
}

func TestRunIgnoreLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		release := make(chan struct{})
		anyiotest.Run(f, func(ctx context.Context) error {
			go func() { <-release }()
			return nil
		}, anyiotest.IgnoreLeaks(), nil)
		close(release)
		if errs := f.failures(); len(errs) != 0 {
			t.Errorf("Run with IgnoreLeaks reported %q, want nothing", errs)
		}
	})
}

func TestRunVirtualSleepsInVirtualTime(t *testing.T) {
	var slept time.Duration
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		start := time.Now()
		if err := anyio.Sleep(ctx, time.Hour); err != nil {
			return err
		}
		slept = time.Since(start)
		return nil
	})
	if slept != time.Hour {
		t.Fatalf("Sleep(1h) in RunVirtual: virtual clock advanced %v, want exactly 1h", slept)
	}
}
