package functools_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/functools"
)

func ExampleNewLRUCache() {
	ctx := context.Background()
	lookups := 0
	square := func(ctx context.Context, n int) (int, error) {
		lookups++ // one computation per key at a time: no data race here
		return n * n, nil
	}
	cache := functools.NewLRUCache(square, functools.MaxSize(2), functools.TTL(time.Hour))
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for range 3 {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := cache.Get(ctx, 3)
				return err
			})
		}
		return nil
	})
	v, _ := cache.Get(ctx, 3)
	info := cache.CacheInfo()
	fmt.Println(v, err, lookups, info.Hits, info.Misses, info.CurrSize)
	// Output: 9 <nil> 1 3 1 1
}

func ExampleReduce() {
	ctx := context.Background()
	total, err := functools.Reduce(ctx, func(ctx context.Context, acc int, s string) (int, error) {
		return acc + len(s), nil
	}, slices.Values([]string{"any", "io"}), 0)
	fmt.Println(total, err)
	// Output: 5 <nil>
}
