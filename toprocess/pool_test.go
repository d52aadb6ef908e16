package toprocess_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/toprocess"
)

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
					// Long enough that no call ends before the
					// snapshot below, even when starting the
					// workers is slow on a loaded machine.
					pids[i], err = sleep.RunSync(ctx, time.Second)
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
