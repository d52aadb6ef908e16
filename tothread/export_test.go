package tothread

import "context"

// PoolStats reports the idle and live LockOSThread workers of ctx's Run.
func PoolStats(ctx context.Context) (idle, live int) { return stats(ctx) }
