package tothread_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/tothread"
)

func gettid(context.Context) (int, error) { return unix.Gettid(), nil }

// Port of AnyIO's test_run_sync_from_thread_pooling for LockOSThread: calls
// in a row on an idle pool run on the same OS thread, which is not the
// caller's; a call runs on one thread throughout.
func TestLockOSThreadAffinity(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		tids := map[int]bool{}
		for range 5 {
			tid, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread())
			if err != nil {
				return err
			}
			tids[tid] = true
		}
		if len(tids) != 1 {
			t.Errorf("5 calls in a row ran on %d OS threads, want 1", len(tids))
		}
		if idle, live := tothread.PoolStats(ctx); idle != 1 || live != 1 {
			t.Errorf("PoolStats = %d idle, %d live; want 1, 1", idle, live)
		}
		// The thread stays the worker's while it yields and sleeps.
		_, err := tothread.RunSync(ctx, func(context.Context) (int, error) {
			tid := unix.Gettid()
			for range 100 {
				runtime.Gosched()
				time.Sleep(10 * time.Microsecond)
				if unix.Gettid() != tid {
					return 0, errors.New("the worker moved to another OS thread")
				}
			}
			return 0, nil
		}, tothread.LockOSThread())
		return err
	})
}

// Concurrent calls get workers of their own, each on its own thread; they
// are reused afterwards, most recently idle first.
func TestLockOSThreadConcurrentWorkers(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const n = 3
		tids := make([]int, n)
		release := make(chan struct{})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range n {
				tg.StartSoon(func(ctx context.Context) error {
					var err error
					tids[i], err = tothread.RunSync(ctx, func(context.Context) (int, error) {
						<-release
						return unix.Gettid(), nil
					}, tothread.LockOSThread())
					return err
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if idle, live := tothread.PoolStats(ctx); idle != 0 || live != n {
				t.Errorf("PoolStats while %d calls run = %d idle, %d live; want 0, %d", n, idle, live, n)
			}
			close(release)
			return nil
		})
		if err != nil {
			return err
		}
		seen := map[int]bool{}
		for _, tid := range tids {
			seen[tid] = true
		}
		if len(seen) != n {
			t.Errorf("%d concurrent locked calls ran on threads %v, want %d different ones", n, tids, n)
		}
		if idle, live := tothread.PoolStats(ctx); idle != n || live != n {
			t.Errorf("PoolStats afterwards = %d idle, %d live; want %d, %d", idle, live, n, n)
		}
		tid, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread())
		if err != nil {
			return err
		}
		if !seen[tid] {
			t.Errorf("a call after the concurrent ones ran on a new thread %d, not one of %v", tid, tids)
		}
		return nil
	})
}

// Idle workers exit after MaxIdleTime (in virtual time).
func TestLockOSThreadIdleWorkersExit(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		if _, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread()); err != nil {
			return err
		}
		if err := anyio.Sleep(ctx, tothread.MaxIdleTime-time.Second); err != nil {
			return err
		}
		if idle, live := tothread.PoolStats(ctx); idle != 1 || live != 1 {
			t.Errorf("PoolStats just before MaxIdleTime = %d idle, %d live; want 1, 1", idle, live)
		}
		// A call resets the idle time.
		if _, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread()); err != nil {
			return err
		}
		if err := anyio.Sleep(ctx, tothread.MaxIdleTime-time.Second); err != nil {
			return err
		}
		if idle, live := tothread.PoolStats(ctx); idle != 1 || live != 1 {
			t.Errorf("PoolStats after a call and almost MaxIdleTime = %d idle, %d live; want 1, 1", idle, live)
		}
		if err := anyio.Sleep(ctx, 2*time.Second); err != nil {
			return err
		}
		if idle, live := tothread.PoolStats(ctx); idle != 0 || live != 0 {
			t.Errorf("PoolStats after MaxIdleTime = %d idle, %d live; want 0, 0", idle, live)
		}
		// The pool starts a new worker.
		if _, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread()); err != nil {
			return err
		}
		if idle, live := tothread.PoolStats(ctx); idle != 1 || live != 1 {
			t.Errorf("PoolStats after a new call = %d idle, %d live; want 1, 1", idle, live)
		}
		return nil
	})
}

// Port of AnyIO's test_run_sync_from_thread_pooling (the end) and
// test_asyncio_run_sync_multiple: the workers of a Run exit when it ends,
// also one still busy when its host was abandoned.
func TestLockOSThreadWorkersEndWithRun(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		if _, err := tothread.RunSync(ctx, gettid, tothread.LockOSThread()); err != nil {
			return err
		}
		scope := anyio.NewCancelScope()
		return scope.Run(ctx, func(ctx context.Context) error {
			_, err := tothread.RunSync(ctx, func(wctx context.Context) (int, error) {
				// The host abandons this worker, which is still busy when
				// the Run ends.
				_, err := fromthread.RunSync(wctx, func() (int, error) { scope.Cancel(); return 0, nil })
				<-release
				return 0, err
			}, tothread.LockOSThread(), tothread.AbandonOnCancel())
			return err
		})
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	close(release)
	if err := goleak.Find(before); err != nil {
		t.Errorf("workers outlived their Run: %v", err)
	}
}

// A function that calls runtime.Goexit ends its worker (and thread) and
// gives the caller *anyio.GoexitError.
func TestRunSyncGoexit(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tothread.Option
	}{
		{"goroutine", nil},
		{"locked", []tothread.Option{tothread.LockOSThread()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				_, err := tothread.RunSync(ctx, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil }, tc.opts...)
				var ge *anyio.GoexitError
				if !errors.As(err, &ge) {
					t.Errorf("RunSync of a function that calls runtime.Goexit = %v, want *anyio.GoexitError", err)
				}
				if _, live := tothread.PoolStats(ctx); live != 0 {
					t.Errorf("live workers after runtime.Goexit = %d, want 0", live)
				}
				return nil
			})
		})
	}
}

func gettidForExample() int { return unix.Gettid() }
