// Package functools holds anyio's counterparts of Python's functools for
// functions that block and take a context (AnyIO's anyio.functools): an LRU
// cache that runs one computation per key at a time, and Reduce over an
// iter.Seq.
//
// A cache in front of a slow lookup:
//
//	users := functools.NewLRUCache(fetchUser, functools.MaxSize(1000), functools.TTL(time.Minute))
//	u, err := users.Get(ctx, id) // concurrent callers of one id share one fetchUser call
package functools
