// Package toprocess runs functions in worker processes (AnyIO's
// anyio.to_process), for CPU-bound work that should run beside the
// program's own goroutines without sharing their memory or their fate: a
// function that crashes takes only its worker down.
//
// Go cannot send a closure to another process, so a function that runs in a
// worker is registered by name when the program starts, at package level:
//
//	var square = toprocess.Register("example.square", func(ctx context.Context, n int) (int, error) {
//		return n * n, nil
//	})
//
// and called with [Func.RunSync], which sends the argument to a worker and
// returns the worker's result; both cross with encoding/gob. A worker is this
// same executable started again, so main (and TestMain, in a test binary
// whose tests use toprocess) calls [Init] first:
//
//	func main() {
//		toprocess.Init() // in a worker process, serves calls and exits
//		...
//	}
//
// Workers are reused: an idle worker serves the next call, and exits after
// [MaxIdleTime] without one, or when the anyio.Run that started it ends. The
// number of workers of a Run is bounded by [CurrentDefaultProcessLimiter]
// (the number of CPUs) or the limiter given with [Limiter]. No worker
// outlives its parent: a worker exits as soon as its parent's ends of its
// pipes close, also in the middle of a call, and also when the parent is
// killed.
package toprocess

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// The errors of package toprocess. RunSync also returns
// *BrokenWorkerProcessError and *FuncError.
var (
	// ErrNoInit is returned by RunSync when Init was not called: a worker
	// would run the program's main instead of serving. Call
	// toprocess.Init() as the first line of main (and of TestMain).
	ErrNoInit = errors.New("anyio/toprocess: toprocess.Init was not called: make it the first line of main (and of TestMain in tests), so that a worker process serves calls instead of running the program")

	// ErrNotRegistered is returned by RunSync for a function that a worker
	// would not know: one registered after Init ran (Register at package
	// level), or the zero Func.
	ErrNotRegistered = errors.New("anyio/toprocess: function not registered at program start: call toprocess.Register in a package-level variable declaration, so that worker processes register it too")

	// ErrEncode is matched by the error RunSync returns when encoding/gob
	// cannot encode the argument (a func, a channel, a nil pointer, a
	// struct without exported fields); nothing is started then.
	ErrEncode = errors.New("anyio/toprocess: cannot encode the argument with encoding/gob")

	// ErrDecode is matched by the error RunSync returns when the worker's
	// result cannot be decoded into the result type, or the worker could
	// not decode the argument or encode its result.
	ErrDecode = errors.New("anyio/toprocess: cannot decode a value sent between the parent and its worker with encoding/gob")
)

// FuncError is the error a function returned in its worker process. Only
// its message crosses between the processes: errors.Is and errors.As see
// this type, not the worker's error value.
type FuncError struct {
	Func    string // the function's registered name
	Message string // the Error() of the function's error
}

func (e *FuncError) Error() string {
	return fmt.Sprintf("anyio/toprocess: %s failed in its worker process: %s", e.Func, e.Message)
}

// Option configures [Func.RunSync]. A nil Option is ignored.
type Option interface{ applyRunSync(*config) }

type config struct {
	cancellable bool
	limiter     *anyio.CapacityLimiter
}

type optionFunc func(*config)

func (f optionFunc) applyRunSync(c *config) { f(c) }

// Cancellable lets a cancellation of the caller interrupt the call: the
// worker running it is killed (SIGKILL), and RunSync returns the
// cancellation error at once (AnyIO's cancellable=True). Without it, a
// cancelled caller waits for the call to finish.
func Cancellable() Option { return optionFunc(func(c *config) { c.cancellable = true }) }

// Limiter bounds the workers with l instead of
// [CurrentDefaultProcessLimiter]. A nil l means the default limiter.
func Limiter(l *anyio.CapacityLimiter) Option {
	return optionFunc(func(c *config) { c.limiter = l })
}

// handler runs a registered function on an encoded argument.
type handler func(ctx context.Context, arg []byte) (res []byte, code uint64, err error)

var registry struct {
	sync.Mutex
	m map[string]handler
}

// initCalled is set by Init in a parent process.
var initCalled atomic.Bool

// Func is a function registered with [Register], to be run in worker
// processes with [Func.RunSync].
type Func[A, R any] struct {
	name string
	late bool // registered after Init: workers do not know it
}

// Name returns the name the function was registered with.
func (f *Func[A, R]) Name() string { return f.name }

// Register registers fn under name for worker processes and returns it
// ready to call with [Func.RunSync]. Call it at package level (in a var
// declaration or an init function), so that it runs in the worker, which
// is this executable started again, before [Init] serves: a Func registered
// later fails with ErrNotRegistered. The name must be unique in the
// program; a package-qualified name ("mypkg.resize") keeps it so.
//
// fn runs in the worker inside an anyio.Run of its own, one call at a time;
// its context is not cancelled by the caller (Cancellable kills the worker
// instead). Its error reaches the caller as a *FuncError; a panic, or an
// os.Exit, breaks the worker (*BrokenWorkerProcessError).
//
// Register panics if name is empty or registered already.
func Register[A, R any](name string, fn func(ctx context.Context, arg A) (R, error)) *Func[A, R] {
	if name == "" {
		panic("anyio/toprocess: Register needs a non-empty name")
	}
	if len(name) > maxName {
		panic(fmt.Sprintf("anyio/toprocess: Register: the name %.40q... is longer than %d bytes", name, maxName))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("anyio/toprocess: Register: the name %q is registered already; give each function its own name", name))
	}
	if registry.m == nil {
		registry.m = map[string]handler{}
	}
	registry.m[name] = func(ctx context.Context, arg []byte) ([]byte, uint64, error) {
		var a A
		if err := gob.NewDecoder(bytes.NewReader(arg)).Decode(&a); err != nil {
			return nil, codeDecodeArg, err
		}
		r, err := fn(ctx, a)
		if err != nil {
			return nil, codeFunc, err
		}
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(&r); err != nil {
			return nil, codeEncodeRes, err
		}
		return b.Bytes(), 0, nil
	}
	return &Func[A, R]{name: name, late: initCalled.Load()}
}

// lookup returns the handler registered under name.
func lookup(name string) (handler, bool) {
	registry.Lock()
	defer registry.Unlock()
	h, ok := registry.m[name]
	return h, ok
}

// RunSync runs the function in a worker process with arg and returns its
// result (AnyIO's to_process.run_sync). arg and the result cross as
// encoding/gob values.
//
// Before anything starts, RunSync returns an error if ctx is cancelled,
// if Init was not called (ErrNoInit), if the function is unknown to workers
// (ErrNotRegistered), or if gob cannot encode arg (ErrEncode). It then
// borrows a limiter token ([Limiter], or [CurrentDefaultProcessLimiter]),
// waiting for one if need be, and runs the call on an idle worker of ctx's
// Run (the most recently used), or on a new one. The calling task counts as
// blocked while it waits, and anyio.DumpTasks shows it waiting on
// toprocess.RunSync.
//
// The function's error comes back as *FuncError. A worker that dies during
// the call (a crash, a panic, os.Exit, a kill) gives
// *BrokenWorkerProcessError, with the end of what it wrote to stderr.
//
// Cancellation: with [Cancellable], a cancellation of ctx kills the worker
// and RunSync returns the cancellation error at once. Without it, RunSync
// waits for the call, then returns the function's result together with the
// cancellation error (or the call's own error, if it failed).
//
// A worker process is outside any testing/synctest bubble: RunSync does not
// work in one (anyiotest.RunVirtual), whose clock stops while a goroutine
// waits on a pipe.
func (f *Func[A, R]) RunSync(ctx context.Context, arg A, opts ...Option) (R, error) {
	var zero R
	if ctx.Err() != nil {
		return zero, core.CancelErr(ctx)
	}
	if !initCalled.Load() {
		return zero, ErrNoInit
	}
	if f == nil || f.late || f.name == "" {
		return zero, f.notRegistered()
	}
	if _, ok := lookup(f.name); !ok {
		return zero, f.notRegistered()
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&arg); err != nil {
		return zero, fmt.Errorf("%w: the argument of %s: %w", ErrEncode, f.name, err)
	}
	if b.Len() > maxFrame-maxName-16 {
		return zero, fmt.Errorf("%w: the argument of %s takes %d bytes, more than the limit of %d", ErrEncode, f.name, b.Len(), maxFrame-maxName-16)
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.applyRunSync(&cfg)
		}
	}
	res, err := call(ctx, f.name, b.Bytes(), cfg)
	if res == nil {
		return zero, err
	}
	var r R
	if derr := gob.NewDecoder(bytes.NewReader(res)).Decode(&r); derr != nil {
		return zero, fmt.Errorf("%w: the result of %s: %w", ErrDecode, f.name, derr)
	}
	return r, err
}

func (f *Func[A, R]) notRegistered() error {
	switch {
	case f == nil || f.name == "":
		return fmt.Errorf("%w (a Func not made by Register)", ErrNotRegistered)
	case f.late:
		return fmt.Errorf("%w: %q was registered after toprocess.Init ran", ErrNotRegistered, f.name)
	}
	return fmt.Errorf("%w: %q", ErrNotRegistered, f.name)
}

// call runs a call on a worker and returns the encoded result (nil if the
// call failed) and the error: the call's, or a cancellation that came while
// the call ran to its end.
func call(ctx context.Context, name string, arg []byte, cfg config) ([]byte, error) {
	lim := cfg.limiter
	if lim == nil {
		lim = CurrentDefaultProcessLimiter(ctx)
	}
	b := &borrower{host: core.TaskOf(ctx)}
	if err := lim.AcquireOnBehalfOf(ctx, b); err != nil {
		return nil, err
	}
	defer func() { _ = lim.ReleaseOnBehalfOf(b) }()
	p := poolOf(ctx)
	w, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	res, err := w.call(ctx, name, arg, cfg.cancellable)
	p.put(w)
	return res, err
}

// borrower borrows the limiter token of one call.
type borrower struct{ host *core.Task }

// String names the task that waits for the worker.
func (b *borrower) String() string {
	if b.host == nil {
		return "toprocess.RunSync call"
	}
	return "toprocess.RunSync call of " + b.host.Name()
}
