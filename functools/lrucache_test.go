package functools_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/functools"
	"github.com/anyio-go/anyio/lowlevel"
)

// identity is a cached function that returns its key and counts its calls.
type identity struct{ calls atomic.Int64 }

func (f *identity) fn(ctx context.Context, x int) (int, error) {
	f.calls.Add(1)
	return x, lowlevel.Checkpoint(ctx)
}

// wantInfo fails the test if the cache's statistics are not want.
func wantInfo[K comparable, V any](t *testing.T, what string, c *functools.LRUCache[K, V], want functools.CacheInfo) {
	t.Helper()
	if got := c.CacheInfo(); got != want {
		t.Errorf("%s: CacheInfo() = %+v, want %+v", what, got, want)
	}
}

// get calls c.Get and fails the test unless it returns want.
func get[K comparable, V comparable](t *testing.T, ctx context.Context, c *functools.LRUCache[K, V], key K, want V) {
	t.Helper()
	if v, err := c.Get(ctx, key); v != want || err != nil {
		t.Errorf("Get(%v) = %v, %v; want %v, nil", key, v, err, want)
	}
}

// Ports AnyIO's TestCache.test_wrap_async_callable: functools.cache is an
// unbounded LRU cache.
func TestLRUCacheUnbounded(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f identity
		c := functools.NewLRUCache(f.fn, functools.MaxSize(functools.Unbounded))
		get(t, ctx, c, 1, 1)
		get(t, ctx, c, 1, 1)
		wantInfo(t, "after two Gets", c, functools.CacheInfo{Hits: 1, Misses: 1, MaxSize: functools.Unbounded, CurrSize: 1})
		for i := range 1000 {
			get(t, ctx, c, i, i)
		}
		if got := c.CacheInfo().CurrSize; got != 1000 {
			t.Errorf("CurrSize = %d, want 1000: an unbounded cache never evicts", got)
		}
		return nil
	})
}

// Ports AnyIO's test_no_caching (maxsize=0): every Get computes.
func TestLRUCacheNoCaching(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f identity
		c := functools.NewLRUCache(f.fn, functools.MaxSize(0))
		get(t, ctx, c, 1, 1)
		get(t, ctx, c, 2, 2)
		get(t, ctx, c, 1, 1)
		wantInfo(t, "MaxSize(0)", c, functools.CacheInfo{Misses: 3})
		if n := f.calls.Load(); n != 3 {
			t.Errorf("the function ran %d times, want 3", n)
		}
		return nil
	})
}

// Ports AnyIO's test_cache_clear.
func TestLRUCacheClear(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f identity
		c := functools.NewLRUCache(f.fn)
		get(t, ctx, c, 1, 1)
		for range 2 {
			get(t, ctx, c, 1, 1)
			get(t, ctx, c, 2, 2)
		}
		wantInfo(t, "before CacheClear", c, functools.CacheInfo{Hits: 3, Misses: 2, MaxSize: 128, CurrSize: 2})
		c.CacheClear()
		wantInfo(t, "after CacheClear", c, functools.CacheInfo{MaxSize: 128})
		get(t, ctx, c, 1, 1)
		if n := f.calls.Load(); n != 3 {
			t.Errorf("the function ran %d times, want 3: CacheClear forgets the values", n)
		}
		return nil
	})
}

// Ports AnyIO's test_lru_eviction.
func TestLRUCacheEviction(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f identity
		c := functools.NewLRUCache(f.fn, functools.MaxSize(3))
		for i := range 3 {
			get(t, ctx, c, i, i)
		}
		wantInfo(t, "saturated", c, functools.CacheInfo{Misses: 3, MaxSize: 3, CurrSize: 3})
		get(t, ctx, c, 3, 3) // evicts 0
		wantInfo(t, "after Get(3)", c, functools.CacheInfo{Misses: 4, MaxSize: 3, CurrSize: 3})
		get(t, ctx, c, 0, 0) // a miss; evicts 1
		wantInfo(t, "after Get(0)", c, functools.CacheInfo{Misses: 5, MaxSize: 3, CurrSize: 3})
		for _, i := range []int{0, 2, 3} {
			get(t, ctx, c, i, i)
		}
		wantInfo(t, "after Gets of 0, 2, 3", c, functools.CacheInfo{Hits: 3, Misses: 5, MaxSize: 3, CurrSize: 3})
		return nil
	})
}

// A hit makes a value the most recently used: it is evicted last.
func TestLRUCacheHitRefreshes(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var f identity
		c := functools.NewLRUCache(f.fn, functools.MaxSize(2))
		get(t, ctx, c, 1, 1)
		get(t, ctx, c, 2, 2)
		get(t, ctx, c, 1, 1) // 2 is now the least recently used
		get(t, ctx, c, 3, 3) // evicts 2
		before := f.calls.Load()
		get(t, ctx, c, 1, 1)
		if f.calls.Load() != before {
			t.Errorf("Get(1) computed again; the hit should have kept 1 over 2")
		}
		get(t, ctx, c, 2, 2)
		if f.calls.Load() != before+1 {
			t.Errorf("Get(2) did not compute; 2 should have been evicted")
		}
		return nil
	})
}

// Ports AnyIO's test_concurrent_access, with a counter: callers of one key
// share one computation.
func TestLRUCacheOneComputationPerKey(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const callers = 10
		var calls atomic.Int64
		release := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			calls.Add(1)
			return x * 10, release.Wait(ctx)
		})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range callers {
				tg.StartSoon(func(ctx context.Context) error {
					get(t, ctx, c, 1, 10)
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			release.Set()
			return nil
		})
		if n := calls.Load(); n != 1 {
			t.Errorf("the function ran %d times for %d concurrent callers of one key, want 1", n, callers)
		}
		wantInfo(t, "after the callers", c, functools.CacheInfo{Hits: callers - 1, Misses: 1, MaxSize: 128, CurrSize: 1})
		return err
	})
}

// Ports AnyIO's test_cache_same_function_twice: two caches of one function
// are separate.
func TestLRUCacheSameFunctionTwice(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var counter atomic.Int64
		fn := func(context.Context, struct{}) (int64, error) { return counter.Add(1), nil }
		c1, c2 := functools.NewLRUCache(fn), functools.NewLRUCache(fn)
		get(t, ctx, c1, struct{}{}, 1)
		get(t, ctx, c2, struct{}{}, 2)
		return nil
	})
}

// Keys are compared as Go compares them: in an interface-keyed cache, 1 and
// int64(1) are different keys (AnyIO's typed=True; see test_caching).
func TestLRUCacheTypedKeys(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		c := functools.NewLRUCache(func(_ context.Context, k any) (string, error) { return fmt.Sprintf("%T", k), nil })
		get(t, ctx, c, any(1), "int")
		get(t, ctx, c, any(int64(1)), "int64")
		wantInfo(t, "two key types", c, functools.CacheInfo{Misses: 2, MaxSize: 128, CurrSize: 2})
		return nil
	})
}

// Ports AnyIO's test_lock_granularity: computations of different keys run
// concurrently.
func TestLRUCacheKeysComputeConcurrently(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		event := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, set bool) (struct{}, error) {
			if set {
				event.Set()
				return struct{}{}, nil
			}
			return struct{}{}, event.Wait(ctx)
		})
		return anyio.FailAfter(20*time.Second).Run(ctx, func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := c.Get(ctx, false)
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				_, err := c.Get(ctx, true)
				return err
			})
		})
	})
}

// Ports AnyIO's test_always_checkpoint: with it, a hit in a cancelled scope
// fails; without it, the cached value is returned.
func TestLRUCacheAlwaysCheckpoint(t *testing.T) {
	tests := []struct {
		name    string
		opts    []functools.Option
		wantErr bool
	}{
		{"AlwaysCheckpoint", []functools.Option{functools.AlwaysCheckpoint()}, true},
		{"default", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				c := functools.NewLRUCache(func(_ context.Context, x int) (int, error) { return x, nil }, tt.opts...)
				get(t, ctx, c, 1, 1)
				scope := anyio.NewCancelScope()
				scope.Cancel()
				return scope.Run(ctx, func(ctx context.Context) error {
					v, err := c.Get(ctx, 1)
					if tt.wantErr && !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("Get in a cancelled scope = %v, %v; want a cancellation error", v, err)
					}
					if !tt.wantErr && (v != 1 || err != nil) {
						t.Errorf("Get in a cancelled scope = %v, %v; want the cached 1, nil", v, err)
					}
					return err
				})
			})
		})
	}
}

// Ports AnyIO's test_ttl_cache_hit and test_ttl_expiration_evicts, in
// virtual time.
func TestLRUCacheTTL(t *testing.T) {
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var called atomic.Bool
		c := functools.NewLRUCache(func(context.Context, struct{}) (bool, error) {
			return called.Swap(true), nil
		}, functools.TTL(time.Second))
		get(t, ctx, c, struct{}{}, false)
		get(t, ctx, c, struct{}{}, false) // a hit
		wantInfo(t, "before expiry", c, functools.CacheInfo{Hits: 1, Misses: 1, MaxSize: 128, CurrSize: 1, TTL: time.Second})
		if err := anyio.Sleep(ctx, 999*time.Millisecond); err != nil {
			return err
		}
		get(t, ctx, c, struct{}{}, false) // still a hit
		if err := anyio.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		get(t, ctx, c, struct{}{}, true) // expired: a miss
		wantInfo(t, "after expiry", c, functools.CacheInfo{Hits: 2, Misses: 2, MaxSize: 128, CurrSize: 1, TTL: time.Second})
		return nil
	})
}

// Ports AnyIO's test_ttl_contested_lock (with and without
// AlwaysCheckpoint): 100 concurrent callers, one computation.
func TestLRUCacheTTLContested(t *testing.T) {
	for _, opts := range [][]functools.Option{nil, {functools.AlwaysCheckpoint()}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				var calls atomic.Int64
				sleeper := functools.NewLRUCache(func(ctx context.Context, d time.Duration) (struct{}, error) {
					calls.Add(1)
					return struct{}{}, anyio.Sleep(ctx, d)
				}, append(opts, functools.TTL(time.Second))...)
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					for range 100 {
						tg.StartSoon(func(ctx context.Context) error {
							_, err := sleeper.Get(ctx, 100*time.Millisecond)
							return err
						})
					}
					return nil
				})
				if n := calls.Load(); n != 1 {
					t.Errorf("the function ran %d times, want 1", n)
				}
				return err
			})
		})
	}
}

// Ports AnyIO's test_ttl_sequential: values are reused within their TTL, so
// 100 calls take one computation's time.
func TestLRUCacheTTLSequential(t *testing.T) {
	for _, opts := range [][]functools.Option{nil, {functools.AlwaysCheckpoint()}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				sleeper := functools.NewLRUCache(func(ctx context.Context, d time.Duration) (struct{}, error) {
					return struct{}{}, anyio.Sleep(ctx, d)
				}, append(opts, functools.TTL(time.Second))...)
				scope := anyio.MoveOnAfter(time.Second)
				err := scope.Run(ctx, func(ctx context.Context) error {
					for range 100 {
						if _, err := sleeper.Get(ctx, 100*time.Millisecond); err != nil {
							return err
						}
					}
					return nil
				})
				if scope.CancelledCaught() {
					t.Errorf("100 Gets did not finish within the TTL; the cached value was not reused")
				}
				return err
			})
		})
	}
}

// A failed computation is not cached and does not fail the callers waiting
// on it: the next one computes.
func TestLRUCacheFailureNotCached(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		var calls atomic.Int64
		release := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			if calls.Add(1) == 1 {
				if err := release.Wait(ctx); err != nil {
					return 0, err
				}
				return 0, boom
			}
			return x, nil
		})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if _, err := c.Get(ctx, 7); err != boom {
					t.Errorf("the failing computation's caller: Get = %v, want %v", err, boom)
				}
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			for range 3 {
				tg.StartSoon(func(ctx context.Context) error {
					get(t, ctx, c, 7, 7)
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			release.Set()
			return nil
		})
		if n := calls.Load(); n != 2 {
			t.Errorf("the function ran %d times, want 2 (the failure, then one retry for the waiters)", n)
		}
		wantInfo(t, "after the retry", c, functools.CacheInfo{Hits: 2, Misses: 2, MaxSize: 128, CurrSize: 1})
		return err
	})
}

// A computation whose caller is cancelled is not cached; a waiter computes
// in its place.
func TestLRUCacheComputingCallerCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var calls atomic.Int64
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			if calls.Add(1) == 1 {
				return 0, anyio.SleepForever(ctx)
			}
			return x, nil
		})
		scope := anyio.NewCancelScope()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, err := c.Get(ctx, 5)
					if !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("the cancelled computing caller: Get = %v, want a cancellation error", err)
					}
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error {
				get(t, ctx, c, 5, 5)
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if n := calls.Load(); n != 2 {
			t.Errorf("the function ran %d times, want 2", n)
		}
		return err
	})
}

// A waiter that is cancelled leaves; the computation runs on for the
// others and is cached.
func TestLRUCacheWaiterCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var calls atomic.Int64
		release := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			calls.Add(1)
			return x, release.Wait(ctx)
		})
		scope := anyio.NewCancelScope()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				get(t, ctx, c, 9, 9)
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, err := c.Get(ctx, 9)
					if !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("the cancelled waiter: Get = %v, want a cancellation error", err)
					}
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			release.Set()
			return nil
		})
		if n := calls.Load(); n != 1 {
			t.Errorf("the function ran %d times, want 1", n)
		}
		get(t, ctx, c, 9, 9)
		if n := calls.Load(); n != 1 {
			t.Errorf("the value was not cached: the function ran %d times, want 1", n)
		}
		return err
	})
}

// A panic of the function reaches its caller; the waiters compute again.
func TestLRUCachePanic(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var calls atomic.Int64
		release := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			if calls.Add(1) == 1 {
				if err := release.Wait(ctx); err != nil {
					return 0, err
				}
				panic("computation broke")
			}
			return x, nil
		})
		var waiterGot atomic.Int64
		var r any
		func() {
			defer func() { r = recover() }()
			_ = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					_, err := c.Get(ctx, 4) // computes, and panics
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				tg.StartSoon(func(ctx context.Context) error {
					v, err := c.Get(ctx, 4) // waits, then computes again
					waiterGot.Store(int64(v))
					return err
				})
				if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
					return err
				}
				release.Set()
				return nil
			})
		}()
		if pe, ok := r.(*anyio.PanicError); !ok || pe.Value != "computation broke" {
			t.Errorf("the task group panicked with %v, want the function's panic", r)
		}
		if waiterGot.Load() != 4 {
			t.Errorf("the waiter got %d, want 4 from its own computation", waiterGot.Load())
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("the function ran %d times, want 2", n)
		}
		return nil
	})
}

// A computation that CacheClear overtook still serves its waiters but is not
// cached.
func TestLRUCacheClearDuringComputation(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var calls atomic.Int64
		release := anyio.NewEvent()
		c := functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			calls.Add(1)
			return x, release.Wait(ctx)
		})
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for range 2 {
				tg.StartSoon(func(ctx context.Context) error {
					get(t, ctx, c, 3, 3)
					return nil
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			c.CacheClear()
			release.Set()
			return nil
		})
		if n := calls.Load(); n != 1 {
			t.Errorf("the function ran %d times, want 1: the waiter shares the computation", n)
		}
		if got := c.CacheInfo().CurrSize; got != 0 {
			t.Errorf("CurrSize = %d, want 0: a computation begun before CacheClear is not cached", got)
		}
		return err
	})
}

// The function asking for the key it computes gets ErrRecursiveGet rather
// than waiting for itself.
func TestLRUCacheRecursiveGet(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var c *functools.LRUCache[int, int]
		c = functools.NewLRUCache(func(ctx context.Context, x int) (int, error) {
			if x == 0 {
				return 0, nil
			}
			if _, err := c.Get(ctx, x-1); err != nil { // another key: fine
				return 0, err
			}
			return c.Get(ctx, x)
		})
		if _, err := c.Get(ctx, 2); !errors.Is(err, functools.ErrRecursiveGet) {
			t.Errorf("Get of a function that asks for its own key = %v, want ErrRecursiveGet", err)
		}
		return nil
	})
}

func TestNewLRUCacheMisuse(t *testing.T) {
	fn := func(context.Context, int) (int, error) { return 0, nil }
	tests := []struct {
		name string
		make func()
		want string
	}{
		{"nil function", func() { functools.NewLRUCache[int, int](nil) }, "NewLRUCache(nil)"},
		{"negative MaxSize", func() { functools.NewLRUCache(fn, functools.MaxSize(-1)) }, "MaxSize(-1)"},
		{"negative TTL", func() { functools.NewLRUCache(fn, functools.TTL(-time.Second)) }, "TTL(-1s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "anyio/functools: ") || !strings.Contains(s, tt.want) {
					t.Errorf("NewLRUCache panicked with %v, want an anyio/functools message about %s", r, tt.want)
				}
			}()
			tt.make()
		})
	}
}

// Many tasks asking for a few keys of a small cache: never two computations
// of one key at once, and every Get returns its key's value.
func TestLRUCacheStress(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		const keys, tasks, gets = 8, 16, 200
		var running [keys]atomic.Int32
		var computations atomic.Int64
		c := functools.NewLRUCache(func(ctx context.Context, k int) (int, error) {
			if n := running[k].Add(1); n != 1 {
				t.Errorf("%d computations of key %d at once, want 1", n, k)
			}
			defer running[k].Add(-1)
			computations.Add(1)
			if err := lowlevel.Checkpoint(ctx); err != nil {
				return 0, err
			}
			if k == 0 && computations.Load()%3 == 0 {
				return 0, errors.New("flaky") // failures are not cached
			}
			return k * k, nil
		}, functools.MaxSize(keys/2))
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for g := range tasks {
				tg.StartSoon(func(ctx context.Context) error {
					for i := range gets {
						k := (g*7 + i*i) % keys
						v, err := c.Get(ctx, k)
						if err == nil && v != k*k {
							t.Errorf("Get(%d) = %d, want %d", k, v, k*k)
						}
					}
					return nil
				})
			}
			return nil
		})
		info := c.CacheInfo()
		if info.Hits+info.Misses != tasks*gets {
			t.Errorf("hits %d + misses %d = %d, want one per Get (%d)", info.Hits, info.Misses, info.Hits+info.Misses, tasks*gets)
		}
		if info.CurrSize > keys/2 {
			t.Errorf("CurrSize = %d, above MaxSize %d", info.CurrSize, keys/2)
		}
		return err
	})
}

// A nil Option is ignored.
func TestNewLRUCacheNilOption(t *testing.T) {
	c := functools.NewLRUCache(func(_ context.Context, x int) (int, error) { return x, nil }, nil, functools.MaxSize(5))
	if got := c.CacheInfo().MaxSize; got != 5 {
		t.Errorf("CacheInfo().MaxSize = %d, want 5", got)
	}
}
