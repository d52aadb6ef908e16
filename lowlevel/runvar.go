package lowlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// RunVar is a variable whose value is scoped to one anyio.Run (AnyIO's
// RunVar): two Runs, even concurrent ones, see separate values.
type RunVar[T any] struct {
	name   string
	def    T
	hasDef bool
}

// RunVarToken records the value a RunVar had before Set, for Reset.
type RunVarToken struct {
	v     any
	run   *core.Run
	old   any
	had   bool
	state *tokenState
}

type tokenState struct{ used bool }

// NewRunVar returns a run variable; def, if given, is its value in every Run
// until Set.
func NewRunVar[T any](name string, def ...T) *RunVar[T] {
	if len(def) > 1 {
		panic("anyio: NewRunVar takes at most one default value")
	}
	v := &RunVar[T]{name: name}
	if len(def) == 1 {
		v.def, v.hasDef = def[0], true
	}
	return v
}

// Name returns the variable's name.
func (v *RunVar[T]) Name() string { return v.name }

// Get returns the variable's value in the Run of ctx, or its default. It
// returns an error matching anyio.ErrLookup when the variable is unset and
// has no default, or when ctx belongs to no Run.
func (v *RunVar[T]) Get(ctx context.Context) (T, error) {
	r := core.RunOf(ctx)
	if r == nil {
		var zero T
		return zero, fmt.Errorf("%w: RunVar %q read outside of an anyio.Run", anyio.ErrLookup, v.name)
	}
	if val, ok := r.Var(v); ok {
		return val.(T), nil
	}
	if v.hasDef {
		return v.def, nil
	}
	var zero T
	return zero, fmt.Errorf("%w: RunVar %q has no value", anyio.ErrLookup, v.name)
}

// Set sets the variable's value in the Run of ctx and returns a token that
// Reset takes to restore the previous value. Set panics outside a Run.
func (v *RunVar[T]) Set(ctx context.Context, val T) RunVarToken {
	r := core.RunOf(ctx)
	if r == nil {
		panic(fmt.Sprintf("anyio: RunVar %q set outside of an anyio.Run; set it from a task's context", v.name))
	}
	old, had := r.SetVar(v, val)
	return RunVarToken{v: v, run: r, old: old, had: had, state: &tokenState{}}
}

// ErrTokenUsed is returned by Reset for a token that was already used.
var ErrTokenUsed = errors.New("anyio: this RunVar token has already been used")

// ErrTokenMismatch is returned by Reset for a token of another variable or
// another Run.
var ErrTokenMismatch = errors.New("anyio: this token does not belong to this RunVar in this Run")

// Reset restores the value the variable had before the Set that returned tok
// (unset, if it had none). A token can be used once.
func (v *RunVar[T]) Reset(ctx context.Context, tok RunVarToken) error {
	if tok.v != any(v) || tok.run == nil || tok.run != core.RunOf(ctx) {
		return ErrTokenMismatch
	}
	if tok.state.used {
		return ErrTokenUsed
	}
	tok.state.used = true
	if tok.had {
		tok.run.SetVar(v, tok.old)
	} else {
		tok.run.DeleteVar(v)
	}
	return nil
}
