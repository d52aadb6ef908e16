package anyio_test

// Benchmarks of the concurrency helpers (Gather, AMap), each paired with the
// errgroup code a Go programmer writes for the same job.

import (
	"context"
	"slices"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/anyio-go/anyio"
)

const (
	gatherFuncs = 1_000   // functions per op of BenchmarkGather
	amapItems   = 100_000 // items per op of BenchmarkAMapLimit
	amapLimit   = 10
)

func trivial(context.Context) (int, error) { return 1, nil }

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

// BenchmarkGather gathers the results of gatherFuncs trivial functions:
// anyio.Gather against an errgroup filling a results slice.
func BenchmarkGather(b *testing.B) {
	fns := make([]func(context.Context) (int, error), gatherFuncs)
	for i := range fns {
		fns[i] = trivial
	}
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			for b.Loop() {
				res, err := anyio.Gather(ctx, fns...)
				if err != nil {
					return err
				}
				if len(res) != gatherFuncs {
					b.Fatalf("Gather: got %d results, want %d", len(res), gatherFuncs)
				}
			}
			return nil
		})
		reportPerTask(b, gatherFuncs)
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			g, ctx := errgroup.WithContext(context.Background())
			res := make([]int, len(fns))
			for i, fn := range fns {
				g.Go(func() error {
					v, err := fn(ctx)
					if err != nil {
						return err
					}
					res[i] = v
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		reportPerTask(b, gatherFuncs)
	})
}

// BenchmarkAMapLimit maps a trivial function over amapItems items, at most
// amapLimit at a time: anyio.AMap with Limit against an errgroup with
// SetLimit filling a results slice.
func BenchmarkAMapLimit(b *testing.B) {
	items := make([]int, amapItems)
	for i := range items {
		items[i] = i
	}
	b.Run("anyio", func(b *testing.B) {
		inRun(b, func(ctx context.Context) error {
			for b.Loop() {
				res, err := anyio.AMap(ctx, double, slices.Values(items), anyio.Limit(amapLimit))
				if err != nil {
					return err
				}
				if len(res) != amapItems {
					b.Fatalf("AMap: got %d results, want %d", len(res), amapItems)
				}
			}
			return nil
		})
		reportPerTask(b, amapItems)
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			g, ctx := errgroup.WithContext(context.Background())
			g.SetLimit(amapLimit)
			res := make([]int, len(items))
			for i, x := range items {
				g.Go(func() error {
					v, err := double(ctx, x)
					if err != nil {
						return err
					}
					res[i] = v
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		reportPerTask(b, amapItems)
	})
}
