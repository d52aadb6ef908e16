package tothread_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/tothread"
)

func trivial(context.Context) (int, error) { return 1, nil }

// BenchmarkRunSync is a RunSync of a trivial function against its
// yardstick: a new goroutine running it and a channel bringing the result
// back.
func BenchmarkRunSync(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		_ = anyio.Run(context.Background(), func(ctx context.Context) error {
			for b.Loop() {
				if _, err := tothread.RunSync(ctx, trivial); err != nil {
					b.Fatal(err)
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		ctx := context.Background()
		res := make(chan int, 1)
		for b.Loop() {
			go func() {
				v, _ := trivial(ctx)
				res <- v
			}()
			<-res
		}
	})
}

// BenchmarkRunSyncLocked is a RunSync with LockOSThread of a trivial
// function against its yardstick: a hand-written worker goroutine locked to
// its OS thread, fed through a channel.
func BenchmarkRunSyncLocked(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		_ = anyio.Run(context.Background(), func(ctx context.Context) error {
			for b.Loop() {
				if _, err := tothread.RunSync(ctx, trivial, tothread.LockOSThread()); err != nil {
					b.Fatal(err)
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		ctx := context.Background()
		jobs := make(chan func(context.Context) (int, error))
		res := make(chan int)
		go func() {
			runtime.LockOSThread()
			for f := range jobs {
				v, _ := f(ctx)
				res <- v
			}
		}()
		for b.Loop() {
			jobs <- trivial
			<-res
		}
		close(jobs)
	})
}
