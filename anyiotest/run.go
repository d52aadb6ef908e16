package anyiotest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// DefaultTimeout is how long [Run] lets a test body run before it fails the
// test, prints what every task waits on and cancels the body.
const DefaultTimeout = 60 * time.Second

// DefaultVirtualTimeout is [DefaultTimeout] for [RunVirtual], in virtual
// time: long, because virtual time costs nothing, and a body may simulate
// hours of timeouts.
const DefaultVirtualTimeout = 24 * time.Hour

// Option configures [Run] and [RunVirtual].
type Option interface{ applyRun(*runConfig) }

type runConfig struct {
	timeout   time.Duration
	leakCheck bool
}

func (c *runConfig) apply(opts []Option) {
	for _, o := range opts {
		if o != nil {
			o.applyRun(c)
		}
	}
}

type optionFunc func(*runConfig)

func (f optionFunc) applyRun(c *runConfig) { f(c) }

// Timeout replaces [DefaultTimeout] (or [DefaultVirtualTimeout]) for one
// test body. A zero or negative d
// means no timeout.
func Timeout(d time.Duration) Option { return optionFunc(func(c *runConfig) { c.timeout = d }) }

// IgnoreLeaks turns off the check for goroutines that outlive the test body.
// A test that calls t.Parallel needs it: the goroutines of the tests running
// beside it would be taken for its own.
func IgnoreLeaks() Option { return optionFunc(func(c *runConfig) { c.leakCheck = false }) }

// Run runs fn as the root task of a fresh [anyio.Run], on the test's own
// goroutine (so that fn may call t.Fatal), and fails the test if:
//
//   - fn returns an error (a cancellation included);
//   - a task panics: the failure shows the panic value and the panicking
//     task's stack, and the test goes on to its cleanups;
//   - fn runs longer than the timeout ([DefaultTimeout], or [Timeout]): the
//     failure lists every task and what it waits on ([anyio.DumpTasks]),
//     then fn's context is cancelled so that it returns;
//   - goroutines that fn started are still running once fn has returned (and
//     keep running for a short grace period), unless [IgnoreLeaks] is given.
func Run(t testing.TB, fn func(ctx context.Context) error, opts ...Option) {
	t.Helper()
	cfg := runConfig{timeout: DefaultTimeout, leakCheck: true}
	cfg.apply(opts)
	run(t, cfg, "Run", fn)
}

// RunVirtual is [Run] inside a testing/synctest bubble: time stands still
// while every goroutine of the bubble is blocked, so sleeps, deadlines and
// the timeout itself take no wall time. fn must not wait on anything outside
// the bubble (a socket, a subprocess), which would stop its clock.
//
// fn runs on the bubble's goroutine, not on t's: report failures with
// t.Error or by returning an error. t.Fatal there stops the bubble with
// runtime.Goexit, which fails the test, but with synctest's own complaint
// about it after the message.
func RunVirtual(t *testing.T, fn func(ctx context.Context) error, opts ...Option) {
	t.Helper()
	cfg := runConfig{timeout: DefaultVirtualTimeout, leakCheck: true}
	cfg.apply(opts)
	synctest.Test(t, func(t *testing.T) {
		t.Helper()
		// Inside a bubble, synctest itself fails a test whose goroutines
		// outlive it, and those of other tests are not in the bubble.
		cfg.leakCheck = false
		run(t, cfg, "RunVirtual", fn)
	})
}

func run(t testing.TB, cfg runConfig, name string, fn func(ctx context.Context) error) {
	t.Helper()
	var leakOpts []goleak.Option
	if cfg.leakCheck {
		leakOpts = append(leakOpts, goleak.IgnoreCurrent())
	}
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu       sync.Mutex
		rootCtx  context.Context
		finished bool
	)
	var timer *time.Timer
	if cfg.timeout > 0 {
		timer = time.AfterFunc(cfg.timeout, func() {
			mu.Lock()
			defer mu.Unlock()
			if finished {
				return
			}
			var dump strings.Builder
			if rootCtx != nil {
				if err := anyio.DumpTasks(rootCtx, &dump); err != nil {
					dump.WriteString("(DumpTasks failed: " + err.Error() + ")")
				}
			}
			t.Errorf("anyiotest.%s: the test body did not finish within %v; cancelling it. Its tasks:\n%s", name, cfg.timeout, dump.String())
			cancel()
		})
	}
	err := runCatching(parent, func(ctx context.Context) error {
		mu.Lock()
		rootCtx = ctx
		mu.Unlock()
		return fn(ctx)
	})
	mu.Lock()
	finished = true
	mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	if pe, ok := err.(*anyio.PanicError); ok {
		t.Errorf("anyiotest.%s: %s", name, pe.Error())
	} else if err != nil {
		t.Errorf("anyiotest.%s: the test body failed: %v", name, err)
	}
	if cfg.leakCheck {
		if lerr := goleak.Find(leakOpts...); lerr != nil {
			t.Errorf("anyiotest.%s: goroutines started by the test body outlived it: %v", name, lerr)
		}
	}
}

// runCatching runs anyio.Run and turns a panic that escapes it into a
// *anyio.PanicError result: a task's, re-raised by its group, or the root
// task's own, with the stack of the panicking goroutine.
func runCatching(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*anyio.PanicError)
			if !ok {
				pe = &anyio.PanicError{Value: r, Stack: core.PanicStack(), Task: "the test body"}
			}
			err = pe
		}
	}()
	return anyio.Run(ctx, fn)
}
