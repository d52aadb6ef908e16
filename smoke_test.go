package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return anyio.SleepForever(ctx) })
		tg.StartSoon(func(ctx context.Context) error { return boom })
		return nil
	})
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) || len(eg.Errors) != 1 || !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	s := anyio.MoveOnAfter(10 * time.Millisecond)
	err = s.Run(ctx, func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
	if err != nil || !s.CancelledCaught() {
		t.Fatalf("moveon %v %v", err, s.CancelledCaught())
	}
	err = anyio.FailAfter(10*time.Millisecond).Run(ctx, func(ctx context.Context) error { return anyio.Sleep(ctx, time.Hour) })
	if !errors.Is(err, anyio.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("failafter %v", err)
	}
	err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		v, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
			st.Started(42)
			return anyio.SleepForever(ctx)
		})
		if v != 42 || err != nil {
			return fmt.Errorf("start %v %v", v, err)
		}
		var sb = new(stringsBuilder)
		anyio.DumpTasks(ctx, sb)
		t.Log("\n" + sb.String())
		t.Log(anyio.GetRunningTasks(ctx))
		tg.CancelScope().Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// outside cancellation
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = anyio.WithTaskGroup(cctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error { return anyio.SleepForever(ctx) })
		return nil
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, anyio.ErrCancelled) {
		t.Fatalf("outside: %v", err)
	}
	func() {
		defer func() {
			r := recover()
			pe, ok := r.(*anyio.PanicError)
			if !ok || pe.Value != "oops" {
				t.Fatalf("panic: %v", r)
			}
		}()
		anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return anyio.SleepForever(ctx) })
			tg.StartSoon(func(ctx context.Context) error { panic("oops") })
			return nil
		})
	}()
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := 0; i < 3; i++ {
				tg.StartSoon(func(ctx context.Context) error { return anyio.SleepForever(ctx) })
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }
