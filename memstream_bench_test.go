package anyio_test

// Benchmarks of memory object streams, each paired with its yardstick: the
// sub-benchmark "anyio" moves b.N items through a memory object stream
// between tasks of a Run, "raw" moves them through a Go channel of the same
// capacity between goroutines.

import (
	"context"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
)

// benchMemoryStream moves b.N items from senders tasks to receivers tasks
// through a memory object stream with the given buffer.
func benchMemoryStream(b *testing.B, buffer, senders, receivers int) {
	b.ReportAllocs()
	// anyio.Run directly, as the other benchmarks do (see inRun).
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[int](buffer)
		b.ResetTimer()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for k := range senders {
				s := send.Clone()
				tg.StartSoon(func(ctx context.Context) error {
					defer s.Close(ctx)
					for i := k; i < b.N; i += senders {
						if err := s.Send(ctx, i); err != nil {
							return err
						}
					}
					return nil
				})
			}
			send.Close(ctx)
			for range receivers {
				r := recv.Clone()
				tg.StartSoon(func(ctx context.Context) error {
					defer r.Close(ctx)
					for {
						if _, err := r.Receive(ctx); err != nil {
							if err == anyio.ErrEndOfStream {
								return nil
							}
							return err
						}
					}
				})
			}
			return recv.Close(ctx)
		})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchChannel is benchMemoryStream's yardstick: a channel of the same
// capacity, closed once every sender is done.
func benchChannel(b *testing.B, buffer, senders, receivers int) {
	b.ReportAllocs()
	ch := make(chan int, buffer)
	b.ResetTimer()
	var sw, rw sync.WaitGroup
	for k := range senders {
		sw.Go(func() {
			for i := k; i < b.N; i += senders {
				ch <- i
			}
		})
	}
	for range receivers {
		rw.Go(func() {
			for range ch {
			}
		})
	}
	sw.Wait()
	close(ch)
	rw.Wait()
}

// BenchmarkMemoryStreamRendezvous: buffer 0, one sender, one receiver,
// against an unbuffered channel.
func BenchmarkMemoryStreamRendezvous(b *testing.B) {
	b.Run("anyio", func(b *testing.B) { benchMemoryStream(b, 0, 1, 1) })
	b.Run("raw", func(b *testing.B) { benchChannel(b, 0, 1, 1) })
}

// BenchmarkMemoryStreamBuffered: buffer 1024, one sender, one receiver,
// against a channel of capacity 1024.
func BenchmarkMemoryStreamBuffered(b *testing.B) {
	b.Run("anyio", func(b *testing.B) { benchMemoryStream(b, 1024, 1, 1) })
	b.Run("raw", func(b *testing.B) { benchChannel(b, 1024, 1, 1) })
}

// BenchmarkMemoryStreamFanInOut: four senders and four receivers on one
// stream with a buffer of 1024, against the same on a channel.
func BenchmarkMemoryStreamFanInOut(b *testing.B) {
	b.Run("anyio", func(b *testing.B) { benchMemoryStream(b, 1024, 4, 4) })
	b.Run("raw", func(b *testing.B) { benchChannel(b, 1024, 4, 4) })
}
