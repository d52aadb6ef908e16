package anyio

import (
	"context"
	"fmt"
	"reflect"

	"github.com/anyio-go/anyio/internal/core"
)

// RunOption configures [Run]: [WithBackend]. A nil RunOption is ignored.
type RunOption interface{ applyRun(*runConfig) }

type runConfig struct {
	backend string
}

// WithBackend selects the event loop backend. The only backend is "go"
// (goroutines and the Go scheduler); Run returns an error matching
// ErrBackendNotFound for any other name.
func WithBackend(name string) RunOption { return backendOption(name) }

type backendOption string

func (b backendOption) applyRun(c *runConfig) { c.backend = string(b) }

// GetAllBackends returns the names of the available backends: ["go"].
func GetAllBackends() []string { return []string{"go"} }

// Run runs fn as the root task of a new anyio run and returns its error.
//
// ctx is the parent: its values are visible inside, and its cancellation (for
// instance from signal.NotifyContext) cancels the run; such a cancellation is
// never swallowed, so Run then returns a cancellation error. Run variables
// (lowlevel.RunVar) are scoped to one Run. Run returns an untyped nil when fn
// succeeds.
func Run(ctx context.Context, fn func(ctx context.Context) error, opts ...RunOption) error {
	var cfg runConfig
	for _, o := range opts {
		if o != nil {
			o.applyRun(&cfg)
		}
	}
	if cfg.backend != "" && cfg.backend != "go" {
		return fmt.Errorf("%w: %q (available backends: %q)", ErrBackendNotFound, cfg.backend, GetAllBackends())
	}
	r, rc := core.NewRun(ctx, "", funcPC(fn))
	defer r.Finish()
	if err := fn(rc); err != nil {
		return err
	}
	return nil
}

func funcPC(fn any) uintptr {
	return reflect.ValueOf(fn).Pointer()
}
