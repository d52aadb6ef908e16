package fromthread_test

import (
	"context"
	"testing"

	"github.com/anyio-go/anyio/fromthread"
)

func trivial(context.Context) (int, error) { return 1, nil }

// BenchmarkPortalCall is a BlockingPortal.Call of a trivial function from
// a goroutine outside the portal, against its yardstick: a server goroutine
// that runs each request in a new goroutine (as the portal runs each in a
// task) and sends the result back.
func BenchmarkPortalCall(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		p, err := fromthread.StartBlockingPortal()
		if err != nil {
			b.Fatal(err)
		}
		defer p.Stop(context.Background(), false)
		for b.Loop() {
			if _, err := fromthread.Call(p, trivial); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		type request struct {
			fn  func(context.Context) (int, error)
			res chan int
		}
		reqs := make(chan request)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for r := range reqs {
				go func() {
					v, _ := r.fn(ctx)
					r.res <- v
				}()
			}
		}()
		defer close(reqs)
		for b.Loop() {
			r := request{fn: trivial, res: make(chan int, 1)}
			reqs <- r
			<-r.res
		}
	})
}
