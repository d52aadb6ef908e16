package tothread

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/lowlevel"
)

// DefaultThreadTokens is the number of tokens of the limiter that
// [CurrentDefaultThreadLimiter] makes for each Run (AnyIO's 40).
const DefaultThreadTokens = 40

var (
	defaultLimiter = lowlevel.NewRunVar[*anyio.CapacityLimiter]("tothread.current_default_thread_limiter")
	// makeMu makes the first lookup of a Run's limiter and pool atomic.
	makeMu sync.Mutex
	// foreign holds what calls with a context of no Run share.
	foreign struct {
		sync.Mutex
		limiter *anyio.CapacityLimiter
		pool    *pool
	}
)

// CurrentDefaultThreadLimiter returns the capacity limiter that bounds the
// workers of [RunSync] calls given no [Limiter] (AnyIO's
// to_thread.current_default_thread_limiter). Each anyio.Run has its own,
// made on first use with [DefaultThreadTokens] tokens; change its total with
// SetTotalTokens. Contexts that belong to no Run share one process-wide
// limiter.
func CurrentDefaultThreadLimiter(ctx context.Context) *anyio.CapacityLimiter {
	if l, err := defaultLimiter.Get(ctx); err == nil {
		return l
	}
	if core.RunOf(ctx) == nil {
		foreign.Lock()
		defer foreign.Unlock()
		if foreign.limiter == nil {
			foreign.limiter = anyio.NewCapacityLimiter(DefaultThreadTokens)
		}
		return foreign.limiter
	}
	makeMu.Lock()
	defer makeMu.Unlock()
	if l, err := defaultLimiter.Get(ctx); err == nil {
		return l
	}
	l := anyio.NewCapacityLimiter(DefaultThreadTokens)
	defaultLimiter.Set(ctx, l)
	return l
}
