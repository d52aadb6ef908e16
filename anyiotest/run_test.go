package anyiotest_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

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
