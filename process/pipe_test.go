//go:build linux

package process_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
	"github.com/anyio-go/anyio/streams/stapled"
)

// The pipes of a child pass the byte stream conformance suite: two children
// copy their input to their output, and each side of the pair writes to one
// and reads from the other.
func TestPipesConformance(t *testing.T) {
	anyiotest.TestByteStream(t, func(t *testing.T) (a, b anyio.ByteStream) {
		ctx := context.Background()
		var cats [2]*process.Process
		for i := range cats {
			p, err := process.Open(ctx, catArgv, process.Stderr(process.DevNull))
			if err != nil {
				t.Fatal(err)
			}
			cats[i] = p
			t.Cleanup(func() {
				// The suite closed the streams, so the cats end; a
				// check that failed early may have left them running.
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if err := p.Close(ctx); err != nil {
					t.Errorf("Close of a cat: %v", err)
				}
			})
		}
		a = stapled.NewByteStream(cats[0].Stdin(), cats[1].Stdout())
		b = stapled.NewByteStream(cats[1].Stdin(), cats[0].Stdout())
		return a, b
	})
}
