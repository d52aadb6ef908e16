package tothread

import (
	"context"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/runlocal"
)

// DefaultThreadTokens is the number of tokens of the limiter that
// [CurrentDefaultThreadLimiter] makes for each Run (AnyIO's 40).
const DefaultThreadTokens = 40

// defaultLimiter is the limiter of each Run (and the one that contexts of no
// Run share); runPool the pool of locked workers of each Run, whose workers
// stop when the Run ends.
var (
	defaultLimiter = runlocal.New(func() *anyio.CapacityLimiter {
		return anyio.NewCapacityLimiter(DefaultThreadTokens)
	}, nil)
	runPool = runlocal.New(func() *pool { return &pool{} }, (*pool).close)
)

// CurrentDefaultThreadLimiter returns the capacity limiter that bounds the
// workers of [RunSync] calls given no [Limiter] (AnyIO's
// to_thread.current_default_thread_limiter). Each anyio.Run has its own,
// made on first use with [DefaultThreadTokens] tokens; change its total with
// SetTotalTokens. Contexts that belong to no Run share one process-wide
// limiter.
func CurrentDefaultThreadLimiter(ctx context.Context) *anyio.CapacityLimiter {
	return defaultLimiter.Get(ctx)
}
