package anyio_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// WaitAllTasksBlocked counts running tasks only while a caller watches: a
// caller that arrives counts the tasks that run and marks the parked ones,
// while they keep parking and waking each other. Every round here has
// workers hand a Lock around (parks, hand-offs, wake-ups) while a watcher
// arrives in the middle of it and leaves again; when WaitAllTasksBlocked
// returns, every worker must be parked at the round's gate, none still
// between two waits. A second watcher joins in every other round.
func TestStressWaitAllTasksBlockedWatch(t *testing.T) {
	const workers = 12
	rounds := stressRounds(300)
	anyiotest.Run(t, func(ctx context.Context) error {
		var l anyio.Lock
		var active atomic.Int64 // workers not at the gate yet
		for round := range rounds {
			gate := anyio.NewEvent()
			active.Store(workers)
			check := func(ctx context.Context, who string) error {
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				if n := active.Load(); n != 0 {
					t.Errorf("round %d: WaitAllTasksBlocked of the %s returned while %d workers ran", round, who, n)
				}
				return nil
			}
			err := withGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				for i := range workers {
					tg.StartSoon(func(ctx context.Context) error {
						for k := range 20 + i + round%7 {
							if err := l.Acquire(ctx); err != nil {
								return err
							}
							if k%3 == 0 {
								runtime.Gosched()
							}
							if err := l.Release(ctx); err != nil {
								return err
							}
						}
						active.Add(-1)
						return gate.Wait(ctx)
					})
				}
				if round%2 == 1 {
					tg.StartSoon(func(ctx context.Context) error { return check(ctx, "second watcher") })
				}
				for range round % 5 {
					runtime.Gosched() // arrive at different moments of the churn
				}
				if err := check(ctx, "watcher"); err != nil {
					return err
				}
				gate.Set()
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
