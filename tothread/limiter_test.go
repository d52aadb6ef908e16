package tothread_test

import (
	"context"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/tothread"
)

// Each Run has its own default limiter of 40 tokens, made once even when
// many tasks ask for it at the same time; contexts of no Run share one.
func TestCurrentDefaultThreadLimiter(t *testing.T) {
	var first *anyio.CapacityLimiter
	anyiotest.Run(t, func(ctx context.Context) error {
		const n = 20
		got := make([]*anyio.CapacityLimiter, n)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range n {
				tg.StartSoon(func(ctx context.Context) error {
					got[i] = tothread.CurrentDefaultThreadLimiter(ctx)
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		first = tothread.CurrentDefaultThreadLimiter(ctx)
		for i, l := range got {
			if l != first {
				t.Fatalf("task %d got another default limiter than the others", i)
			}
		}
		if total := first.TotalTokens(); total != 40 {
			t.Errorf("TotalTokens() = %d, want 40", total)
		}
		return nil
	})
	anyiotest.Run(t, func(ctx context.Context) error {
		if tothread.CurrentDefaultThreadLimiter(ctx) == first {
			t.Error("two Runs share a default limiter")
		}
		return nil
	})
	a := tothread.CurrentDefaultThreadLimiter(context.Background())
	b := tothread.CurrentDefaultThreadLimiter(context.TODO())
	if a != b || a == first {
		t.Error("contexts of no Run do not share one default limiter of their own")
	}
}

// RunSync without Limiter borrows from the default limiter.
func TestRunSyncUsesDefaultLimiter(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		limiter := tothread.CurrentDefaultThreadLimiter(ctx)
		if err := limiter.SetTotalTokens(1); err != nil {
			return err
		}
		release := make(chan struct{})
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 2 {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := tothread.RunSync(ctx, func(context.Context) (int, error) { <-release; return 0, nil })
					return err
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			st := limiter.Statistics()
			if st.BorrowedTokens != 1 || st.TasksWaiting != 1 {
				t.Errorf("default limiter: %d borrowed, %d waiting; want 1, 1", st.BorrowedTokens, st.TasksWaiting)
			}
			if len(st.Borrowers) == 1 {
				if s, ok := st.Borrowers[0].(interface{ String() string }); !ok || s.String() == "" {
					t.Errorf("the borrower %v does not name its task", st.Borrowers[0])
				}
			}
			close(release)
			return nil
		})
	})
}
