package functools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// DefaultMaxSize is the number of entries an LRUCache keeps when no MaxSize
// is given (AnyIO's lru_cache default).
const DefaultMaxSize = 128

// Unbounded, given to MaxSize, makes a cache that never evicts (AnyIO's
// maxsize=None, and functools.cache).
const Unbounded = math.MaxInt

// ErrRecursiveGet is returned by LRUCache.Get when the cached function,
// while it computes the value of a key, calls Get for that same key in the
// same task: it would wait for itself forever.
var ErrRecursiveGet = errors.New("anyio/functools: LRUCache.Get: the cached function asked for the key it is computing; it would wait for itself")

// Option configures [NewLRUCache]: [MaxSize], [TTL] or [AlwaysCheckpoint]. A
// nil Option is ignored.
type Option interface{ applyLRU(*lruConfig) }

type lruConfig struct {
	maxSize          int
	ttl              time.Duration
	alwaysCheckpoint bool
}

// MaxSize sets the number of values the cache keeps: once it is full, the
// least recently used value is evicted for a new one. 0 disables caching
// (every Get computes); Unbounded never evicts. The default is
// DefaultMaxSize. NewLRUCache panics if n is negative.
func MaxSize(n int) Option { return maxSizeOption(n) }

type maxSizeOption int

func (o maxSizeOption) applyLRU(c *lruConfig) { c.maxSize = int(o) }

// TTL makes a cached value expire d after it was computed: a Get after that
// computes it again. 0, the default, means that values do not expire.
// NewLRUCache panics if d is negative.
func TTL(d time.Duration) Option { return ttlOption(d) }

type ttlOption time.Duration

func (o ttlOption) applyLRU(c *lruConfig) { c.ttl = time.Duration(o) }

// AlwaysCheckpoint makes every Get check ctx for cancellation first, so that
// Get in a cancelled scope fails also for a cached value (AnyIO's
// always_checkpoint=True). Without it, a cached value is returned whatever
// the state of ctx.
func AlwaysCheckpoint() Option { return alwaysCheckpointOption{} }

type alwaysCheckpointOption struct{}

func (alwaysCheckpointOption) applyLRU(c *lruConfig) { c.alwaysCheckpoint = true }

// CacheInfo is a snapshot of an LRUCache's statistics (AnyIO's
// AsyncCacheInfo).
type CacheInfo struct {
	Hits     int           // Gets answered from the cache, or by a computation another caller ran
	Misses   int           // computations started
	MaxSize  int           // the MaxSize the cache was made with (Unbounded for no bound)
	CurrSize int           // values held now (expired ones included until a Get finds them)
	TTL      time.Duration // the TTL the cache was made with (0 for none)
}

// LRUCache caches the results of a function that blocks and takes a context
// (AnyIO's lru_cache). Get returns the cached value of a key, or computes it
// by calling the function. Its methods are safe for concurrent use.
//
// One computation per key runs at a time: a Get for a key whose value is
// being computed waits for that computation and shares its value, whichever
// task asked first. A computation that fails (an error, a cancellation or a
// panic) caches nothing and does not fail its waiters: one of them computes
// again, and the others wait for that. Computations of different keys run
// concurrently.
type LRUCache[K comparable, V any] struct {
	fn  func(ctx context.Context, key K) (V, error)
	cfg lruConfig

	mu       sync.Mutex
	entries  map[K]*entry[K, V]
	lru      entry[K, V] // sentinel of the ring: lru.next is the most recently used
	inFlight map[K]*computation[V]
	hits     int
	misses   int
	gen      uint64 // counts CacheClear: computations begun before one do not store
}

type entry[K comparable, V any] struct {
	prev, next *entry[K, V]
	key        K
	value      V
	expires    time.Time // zero without a TTL
}

// computation is one call of the cached function, which the callers of its
// key wait for.
type computation[V any] struct {
	done  anyio.Event
	owner *core.Task // the task computing, to catch a Get of its own key
	ok    bool       // written before done is set
	value V
}

// NewLRUCache returns a cache of fn's results. It panics if fn is nil, or if
// MaxSize or TTL is negative.
func NewLRUCache[K comparable, V any](fn func(ctx context.Context, key K) (V, error), opts ...Option) *LRUCache[K, V] {
	if fn == nil {
		panic("anyio/functools: NewLRUCache(nil): give the function whose results to cache")
	}
	cfg := lruConfig{maxSize: DefaultMaxSize}
	for _, o := range opts {
		if o != nil {
			o.applyLRU(&cfg)
		}
	}
	if cfg.maxSize < 0 {
		panic(fmt.Sprintf("anyio/functools: NewLRUCache: MaxSize(%d): the size must be >= 0 (0 disables caching, Unbounded never evicts)", cfg.maxSize))
	}
	if cfg.ttl < 0 {
		panic(fmt.Sprintf("anyio/functools: NewLRUCache: TTL(%v): the time to live must be >= 0 (0 means values do not expire)", cfg.ttl))
	}
	c := &LRUCache[K, V]{fn: fn, cfg: cfg, entries: make(map[K]*entry[K, V]), inFlight: make(map[K]*computation[V])}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// Get returns the value of key: the cached one, or the one a running
// computation of key returns, or one it computes by calling the cached
// function with ctx and key. A computed value is cached only if the function
// returned a nil error.
//
// Get blocks while it computes, or while it waits for another caller's
// computation of key. If ctx is cancelled during that wait, Get returns a
// cancellation error and the computation runs on for the others. An error
// of the function is returned to the caller whose call returned it alone;
// the waiters try again. A panic of the function is not recovered. Get
// returns ErrRecursiveGet when the function asks for the key it computes.
func (c *LRUCache[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	if c.cfg.alwaysCheckpoint && ctx.Err() != nil {
		return zero, core.CancelErr(ctx)
	}
	if c.cfg.maxSize == 0 {
		c.mu.Lock()
		c.misses++
		c.mu.Unlock()
		return c.fn(ctx, key)
	}
	for {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok {
			if c.cfg.ttl == 0 || time.Now().Before(e.expires) {
				c.hits++
				if c.lru.next != e {
					e.unlink()
					c.pushFrontLocked(e)
				}
				v := e.value
				c.mu.Unlock()
				return v, nil
			}
			e.unlink()
			delete(c.entries, key)
		}
		if f := c.inFlight[key]; f != nil {
			c.mu.Unlock()
			if f.owner != nil && f.owner == core.TaskOf(ctx) {
				return zero, ErrRecursiveGet
			}
			if err := f.done.Wait(ctx); err != nil {
				return zero, err
			}
			if f.ok {
				c.mu.Lock()
				c.hits++
				c.mu.Unlock()
				return f.value, nil
			}
			continue // it failed: compute, or wait for who does
		}
		f := &computation[V]{owner: core.TaskOf(ctx)}
		c.inFlight[key] = f
		c.misses++
		gen := c.gen
		c.mu.Unlock()
		return c.compute(ctx, key, f, gen)
	}
}

// compute calls the function for key, caches a value it returns, and hands
// the outcome to the waiters of f, also when the function panics.
func (c *LRUCache[K, V]) compute(ctx context.Context, key K, f *computation[V], gen uint64) (v V, err error) {
	ok := false
	defer func() {
		c.mu.Lock()
		delete(c.inFlight, key)
		if ok && gen == c.gen {
			c.storeLocked(key, v)
		}
		c.mu.Unlock()
		f.ok, f.value = ok, v
		f.done.Set()
	}()
	v, err = c.fn(ctx, key)
	ok = err == nil
	return v, err
}

func (c *LRUCache[K, V]) storeLocked(key K, v V) {
	if len(c.entries) >= c.cfg.maxSize {
		oldest := c.lru.prev
		oldest.unlink()
		delete(c.entries, oldest.key)
	}
	e := &entry[K, V]{key: key, value: v}
	if c.cfg.ttl > 0 {
		e.expires = time.Now().Add(c.cfg.ttl)
	}
	c.entries[key] = e
	c.pushFrontLocked(e)
}

func (c *LRUCache[K, V]) pushFrontLocked(e *entry[K, V]) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

func (e *entry[K, V]) unlink() {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

// CacheInfo returns the cache's statistics.
func (c *LRUCache[K, V]) CacheInfo() CacheInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheInfo{Hits: c.hits, Misses: c.misses, MaxSize: c.cfg.maxSize, CurrSize: len(c.entries), TTL: c.cfg.ttl}
}

// CacheClear empties the cache and resets its statistics. A computation
// running meanwhile still gives its value to its waiters, but does not cache
// it.
func (c *LRUCache[K, V]) CacheClear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	c.hits, c.misses = 0, 0
	c.gen++
}
