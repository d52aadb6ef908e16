package functools_test

// Benchmarks of the LRU cache, paired with a sync.Map load: the cheapest
// concurrent map read in Go, and what a cache hit is measured against.

import (
	"context"
	"sync"
	"testing"

	"github.com/anyio-go/anyio/functools"
)

const (
	benchKeys    = 64 // keys cached, read in turn
	benchReaders = 8  // goroutines of BenchmarkLRUCacheParallel
)

func benchCache(b *testing.B) (*functools.LRUCache[int, int], *sync.Map) {
	b.Helper()
	c := functools.NewLRUCache(func(_ context.Context, k int) (int, error) { return k, nil })
	var m sync.Map
	for k := range benchKeys {
		if _, err := c.Get(context.Background(), k); err != nil {
			b.Fatal(err)
		}
		m.Store(k, k)
	}
	return c, &m
}

// BenchmarkLRUCacheHit reads cached values from one goroutine: Get of a hit
// against sync.Map.Load.
func BenchmarkLRUCacheHit(b *testing.B) {
	c, m := benchCache(b)
	ctx := context.Background()
	b.Run("anyio", func(b *testing.B) {
		k := 0
		for b.Loop() {
			if _, err := c.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
			k = (k + 1) % benchKeys
		}
	})
	b.Run("raw", func(b *testing.B) {
		k := 0
		for b.Loop() {
			if _, ok := m.Load(k); !ok {
				b.Fatal("sync.Map.Load: missing key")
			}
			k = (k + 1) % benchKeys
		}
	})
}

// BenchmarkLRUCacheParallel reads cached values from benchReaders goroutines
// at once (b.N reads in all): Get of a hit against sync.Map.Load.
func BenchmarkLRUCacheParallel(b *testing.B) {
	c, m := benchCache(b)
	ctx := context.Background()
	b.Run("anyio", func(b *testing.B) {
		readInParallel(b, func(k int) bool {
			_, err := c.Get(ctx, k)
			return err == nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		readInParallel(b, func(k int) bool {
			_, ok := m.Load(k)
			return ok
		})
	})
}

// readInParallel shares b.N calls of read among benchReaders goroutines.
func readInParallel(b *testing.B, read func(k int) bool) {
	b.Helper()
	var wg sync.WaitGroup
	var failed sync.Once
	b.ResetTimer()
	for g := range benchReaders {
		n := b.N / benchReaders
		if g < b.N%benchReaders {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := g
			for range n {
				if !read(k) {
					failed.Do(func() { b.Error("a read of a cached key failed") })
					return
				}
				k = (k + 1) % benchKeys
			}
		}()
	}
	wg.Wait()
}
