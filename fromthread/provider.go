package fromthread

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio"
)

// BlockingPortalProvider shares one [BlockingPortal] among the goroutines
// that need one at the same time (AnyIO's BlockingPortalProvider): the first
// [BlockingPortalProvider.Acquire] starts a portal, later ones get the same
// portal while it is held, and the last release stops it. It is safe for
// concurrent use; make it with [NewBlockingPortalProvider].
type BlockingPortalProvider struct {
	opts []anyio.RunOption

	mu     sync.Mutex
	leases int
	portal *BlockingPortal
}

// NewBlockingPortalProvider returns a provider whose portals run their
// anyio.Run with opts. It starts nothing yet.
func NewBlockingPortalProvider(opts ...anyio.RunOption) *BlockingPortalProvider {
	return &BlockingPortalProvider{opts: opts}
}

// Acquire returns the provider's portal, starting it if nobody holds it,
// and release, which the caller calls once it no longer uses the portal.
// The release that ends the last hold stops the portal and waits until its
// functions have returned. release is idempotent. Acquire returns the error
// of StartBlockingPortal (an unknown backend).
func (pp *BlockingPortalProvider) Acquire() (p *BlockingPortal, release func(), err error) {
	pp.mu.Lock()
	if pp.portal == nil {
		p, err := StartBlockingPortal(pp.opts...)
		if err != nil {
			pp.mu.Unlock()
			return nil, nil, err
		}
		pp.portal = p
	}
	pp.leases++
	p = pp.portal
	pp.mu.Unlock()
	var once sync.Once
	return p, func() { once.Do(func() { pp.release(p) }) }, nil
}

func (pp *BlockingPortalProvider) release(p *BlockingPortal) {
	pp.mu.Lock()
	pp.leases--
	last := pp.leases == 0
	if last {
		pp.portal = nil
	}
	pp.mu.Unlock()
	if last {
		// The Run of a portal fails only by a panic, which Stop re-raises.
		_ = p.Stop(context.Background(), false)
	}
}
