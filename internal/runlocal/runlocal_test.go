package runlocal_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/internal/runlocal"
)

// One value per Run, made once however many tasks ask at once; finished
// when the Run ends; contexts of no Run share another.
func TestValuePerRun(t *testing.T) {
	var made, finished atomic.Int32
	v := runlocal.New(func() *int { made.Add(1); return new(int) }, func(*int) { finished.Add(1) })
	var first, second *int
	anyiotest.Run(t, func(ctx context.Context) error {
		var mu sync.Mutex
		got := map[*int]bool{}
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 16 {
				tg.StartSoon(func(ctx context.Context) error {
					p := v.Get(ctx)
					mu.Lock()
					got[p] = true
					mu.Unlock()
					return nil
				})
			}
			return nil
		})
		if len(got) != 1 {
			t.Errorf("Get from 16 tasks of one Run: %d values, want 1", len(got))
		}
		first = v.Get(ctx)
		if finished.Load() != 0 {
			t.Error("the value was finished while its Run runs")
		}
		return err
	})
	if finished.Load() != 1 {
		t.Errorf("finish calls after the Run: %d, want 1", finished.Load())
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		second = v.Get(ctx)
		return nil
	})
	if first == second || made.Load() != 2 {
		t.Errorf("two Runs: same value %v, made %d; want two values", first == second, made.Load())
	}
	a, b := v.Get(context.Background()), v.Get(context.TODO())
	if a != b || a == first || a == second {
		t.Error("contexts of no Run: want one shared value of their own")
	}
	if finished.Load() != 2 {
		t.Errorf("finish calls: %d, want 2 (the shared value is never finished)", finished.Load())
	}
}

func TestTakeForeign(t *testing.T) {
	n := 0
	v := runlocal.New(func() int { n++; return n }, nil)
	if _, ok := v.TakeForeign(); ok {
		t.Error("TakeForeign before any Get: ok = true, want false")
	}
	a := v.Get(context.Background())
	if x, ok := v.TakeForeign(); !ok || x != a {
		t.Errorf("TakeForeign: got (%d, %v), want (%d, true)", x, ok, a)
	}
	if b := v.Get(context.Background()); b == a {
		t.Errorf("Get after TakeForeign: got %d again, want a new value", b)
	}
}
