package main

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio"
)

// lookup pretends to resolve a host name: it waits on the network for a
// moment and returns an address.
func lookup(host string, delay time.Duration, addr string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := anyio.Sleep(ctx, delay); err != nil {
			return "", err
		}
		return host + "=" + addr, nil
	}
}

// gatherLookups runs three lookups at once with Gather: the results come
// back in the order of the arguments, whichever lookup answered first.
func gatherLookups(ctx context.Context) error {
	addrs, err := anyio.Gather(ctx,
		lookup("db.internal", 30*time.Millisecond, "10.0.0.5"),
		lookup("cache.internal", 10*time.Millisecond, "10.0.0.7"),
		lookup("api.internal", 20*time.Millisecond, "10.0.0.9"),
	)
	if err != nil {
		return err
	}
	say("Gather: %s", strings.Join(addrs, ", "))
	say("(in the order of the arguments, though cache.internal answered first)")
	return nil
}

// firstReplies asks three mirrors at once and handles each reply as it
// arrives, with AsCompleted; a timeout around it gives up on the mirror that
// never answers, and leaving AsCompleted cancels it.
func firstReplies(ctx context.Context) error {
	mirror := func(name string, delay time.Duration) func(ctx context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := anyio.Sleep(ctx, delay); err != nil {
				say("%s: gave up (%v)", name, err)
				return "", err
			}
			return fmt.Sprintf("%s answered after %v", name, delay), nil
		}
	}
	fns := []func(ctx context.Context) (string, error){
		mirror("mirror-eu", 20*time.Millisecond),
		mirror("mirror-us", 10*time.Millisecond),
		mirror("mirror-mars", time.Hour),
	}
	replies := 0
	scope := anyio.MoveOnAfter(300 * time.Millisecond)
	err := scope.Run(ctx, func(ctx context.Context) error {
		return anyio.AsCompleted(ctx, fns, func(ctx context.Context, done iter.Seq[*anyio.TaskHandle[string]]) error {
			for h := range done {
				msg, err := h.Result() // a yielded handle is final: no waiting
				if err != nil {
					return err
				}
				replies++
				say("reply %d: %s", replies, msg)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	say("timeout: %v, after %d replies", scope.CancelledCaught(), replies)
	return nil
}

// site is a small web for the crawler: each page links to others.
var site = map[string][]string{
	"/":             {"/docs", "/blog", "/about"},
	"/docs":         {"/docs/tasks", "/docs/streams", "/"},
	"/blog":         {"/blog/2024", "/blog/2025"},
	"/about":        {"/"},
	"/docs/tasks":   {"/docs"},
	"/docs/streams": {"/docs", "/docs/tls"},
	"/docs/tls":     {},
	"/blog/2024":    {"/blog"},
	"/blog/2025":    {"/blog"},
}

// crawl walks the site breadth first. Each level's pages are fetched with
// AMap, at most two at a time (Limit); the links come back in the order of
// the pages, so the crawl is the same on every run.
func crawl(ctx context.Context) error {
	var active, peak atomic.Int32
	fetch := func(ctx context.Context, page string) ([]string, error) {
		n := active.Add(1)
		defer active.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if err := anyio.Sleep(ctx, 2*time.Millisecond); err != nil { // the request
			return nil, err
		}
		return site[page], nil
	}
	seen := map[string]bool{"/": true}
	level := []string{"/"}
	for depth := 0; len(level) > 0; depth++ {
		say("depth %d: %s", depth, strings.Join(level, " "))
		links, err := anyio.AMap(ctx, fetch, slices.Values(level), anyio.Limit(2))
		if err != nil {
			return err
		}
		var next []string
		for _, ls := range links {
			for _, l := range ls {
				if !seen[l] {
					seen[l] = true
					next = append(next, l)
				}
			}
		}
		level = next
	}
	say("crawled %d pages; never more than 2 fetches at once: %v", len(seen), peak.Load() <= 2)
	return nil
}
