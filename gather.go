package anyio

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
)

// Gather runs every function of fns as a task of a new task group and returns
// their results in the order of fns, whatever order they finish in (AnyIO's
// gather). It returns once every task has returned.
//
// The first failure cancels the other tasks, and Gather returns the task
// group's error (an *ExceptionGroup of the failures, as WithTaskGroup
// returns) and no results. A cancellation of ctx is returned as a
// cancellation error. If a function returns a cancellation error that no
// cancellation of the group explains, Gather returns ErrTaskCancelled: it has
// no result for that function. Each task is named after its function.
func Gather[T any](ctx context.Context, fns ...func(ctx context.Context) (T, error)) ([]T, error) {
	results := make([]T, len(fns))
	var cancelled atomic.Bool
	err := WithTaskGroup(ctx, func(ctx context.Context, tg *TaskGroup) error {
		for i, fn := range fns {
			slot := &results[i]
			tg.g.StartSoon(func(ctx context.Context) error {
				return store(ctx, fn, slot, &cancelled)
			}, "", funcPC(fn))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cancelled.Load() {
		return nil, ErrTaskCancelled
	}
	return results, nil
}

// store runs fn and writes its value to slot; a cancellation is recorded in
// cancelled, for the caller to tell a missing result from a zero one.
func store[T any](ctx context.Context, fn func(ctx context.Context) (T, error), slot *T, cancelled *atomic.Bool) error {
	v, err := fn(ctx)
	if err != nil {
		if core.IsCancellation(err) {
			cancelled.Store(true)
		}
		return err
	}
	*slot = v
	return nil
}

// storeMapped is store for AMap's fn(ctx, a).
func storeMapped[A, R any](ctx context.Context, fn func(ctx context.Context, a A) (R, error), a A, slot *R, cancelled *atomic.Bool) error {
	v, err := fn(ctx, a)
	if err != nil {
		if core.IsCancellation(err) {
			cancelled.Store(true)
		}
		return err
	}
	*slot = v
	return nil
}

// AMapOption configures [AMap]: [Limit]. A nil AMapOption is ignored.
type AMapOption interface{ applyAMap(*amapConfig) }

type amapConfig struct {
	limit    int
	hasLimit bool
}

// Limit bounds the number of calls of AMap's function that run at once:
// AMap starts the task for the next item only when fewer than n run. n must
// be at least 1.
func Limit(n int) AMapOption { return limitOption(n) }

type limitOption int

func (l limitOption) applyAMap(c *amapConfig) { c.limit, c.hasLimit = int(l), true }

// AMap calls fn for every item of args, each call in a task of its own, and
// returns the results in the order of args (AnyIO's amap). With Limit(n), at
// most n calls run at once, and args is consumed only as fast as calls
// finish; without it, every item gets its task at once. AMap returns once
// every task has returned.
//
// The first failure cancels the other tasks, stops the consumption of args
// and makes AMap return the task group's error (an *ExceptionGroup of the
// failures) and no results. A cancellation of ctx is returned as a
// cancellation error; a cancellation error of fn that no cancellation of the
// group explains gives ErrTaskCancelled. A panic in args (or in fn) cancels
// the tasks, waits for them and is re-raised as a *PanicError. It returns an
// error, and runs nothing, if Limit is less than 1.
func AMap[A, R any](ctx context.Context, fn func(ctx context.Context, a A) (R, error), args iter.Seq[A], opts ...AMapOption) ([]R, error) {
	var cfg amapConfig
	for _, o := range opts {
		if o != nil {
			o.applyAMap(&cfg)
		}
	}
	if cfg.hasLimit && cfg.limit < 1 {
		return nil, fmt.Errorf("anyio: AMap: Limit(%d): the limit must be at least 1", cfg.limit)
	}
	pc := funcPC(fn)
	var results slots[R]
	var cancelled atomic.Bool
	err := WithTaskGroup(ctx, func(ctx context.Context, tg *TaskGroup) error {
		if !cfg.hasLimit {
			for a := range args {
				slot := results.next()
				tg.g.StartSoon(func(ctx context.Context) error {
					return storeMapped(ctx, fn, a, slot, &cancelled)
				}, "", pc)
			}
			return nil
		}
		sem := NewSemaphore(cfg.limit)
		for a := range args {
			if err := sem.Acquire(ctx); err != nil {
				return err // the group is cancelled: it reports why
			}
			slot := results.next()
			tg.g.StartSoon(func(ctx context.Context) error {
				defer sem.Release()
				return storeMapped(ctx, fn, a, slot, &cancelled)
			}, "", pc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cancelled.Load() {
		return nil, ErrTaskCancelled
	}
	return results.collect(), nil
}

// slots hands out, in order, the result slots of a sequence whose length is
// not known in advance. A task writes its result through the pointer it was
// given while later slots are made, so slots are never moved: they live in
// chunks that double in size, copied into one slice at the end.
type slots[R any] struct {
	chunks [][]R
	used   int // slots handed out of the last chunk
	n      int
}

func (s *slots[R]) next() *R {
	k := len(s.chunks)
	if k == 0 || s.used == len(s.chunks[k-1]) {
		size := 16
		if k > 0 {
			size = 2 * len(s.chunks[k-1])
		}
		s.chunks = append(s.chunks, make([]R, size))
		s.used = 0
		k++
	}
	p := &s.chunks[k-1][s.used]
	s.used++
	s.n++
	return p
}

// collect returns the results in order; call it once every task returned.
func (s *slots[R]) collect() []R {
	switch len(s.chunks) {
	case 0:
		return []R{}
	case 1:
		return s.chunks[0][:s.n:s.n]
	}
	out := make([]R, 0, s.n)
	for _, c := range s.chunks {
		out = append(out, c[:min(len(c), s.n-len(out))]...)
	}
	return out
}

// AsCompleted runs every function of fns as a task of a new task group, and
// calls body with a sequence that yields each task's handle as the task
// finishes, in the order they finish (AnyIO's as_completed). A handle that
// done yields is final: its Result does not block. AsCompleted returns once
// body and every task have returned.
//
// When body returns, the tasks still running are cancelled: leaving the loop
// over done early stops the rest. The first failure of a task cancels the
// group, as in WithTaskGroup, and ends the sequence; AsCompleted then returns
// the group's error (an *ExceptionGroup of the failures, body's error
// among them), or nil. AsCompleted returns ErrNoFunctions, and runs nothing,
// for an empty fns.
//
// done waits for the next handle with body's ctx: to bound the wait, run
// AsCompleted in a scope with a deadline (MoveOnAfter). Once ctx is
// cancelled, done yields nothing more. done may be ranged over again (it
// goes on with the handles not yet yielded) and from several goroutines
// (each handle is yielded once). Each task is named after its function.
func AsCompleted[T any](ctx context.Context, fns []func(ctx context.Context) (T, error), body func(ctx context.Context, done iter.Seq[*TaskHandle[T]]) error) error {
	if len(fns) == 0 {
		return ErrNoFunctions
	}
	send, recv := NewMemoryObjectStream[*TaskHandle[T]](len(fns))
	var left atomic.Int64
	left.Store(int64(len(fns)))
	return WithTaskGroup(ctx, func(ctx context.Context, tg *TaskGroup) error {
		for _, fn := range fns {
			h := newTaskHandle[T]("", funcPC(fn))
			tg.g.StartSoon(func(ctx context.Context) error {
				return h.run(ctx, fn, func() {
					_ = send.TrySend(h) // the buffer has room for every handle
					if left.Add(-1) == 0 {
						_ = send.Close(ctx)
					}
				})
			}, "", h.pc)
		}
		defer tg.Cancel()
		return body(ctx, func(yield func(*TaskHandle[T]) bool) {
			for {
				h, err := recv.Receive(ctx)
				if err != nil || !yield(h) {
					return
				}
			}
		})
	})
}
