// Package runlocal keeps one value per anyio Run, made on first use: the
// default limiters and worker pools of tothread and toprocess.
package runlocal

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
)

// Value is one T per anyio Run, made by its make function the first time a
// context of that Run asks for it, and one more, shared by every context
// that belongs to no Run. The methods are safe for concurrent use.
type Value[T any] struct {
	make   func() T
	finish func(T) // called once the Run's root task has returned; may be nil

	mu         sync.Mutex // makes the first Get of each Run atomic
	foreign    T
	hasForeign bool
}

// New returns a Value whose values are made by make. finish, if not nil, is
// called with a Run's value once the Run's root task has returned (or at
// once, if the Run has finished already when the value is made); the value
// shared by contexts of no Run is never finished.
func New[T any](make func() T, finish func(T)) *Value[T] {
	return &Value[T]{make: make, finish: finish}
}

// Get returns the value of ctx's Run, or the value shared by contexts of no
// Run.
func (v *Value[T]) Get(ctx context.Context) T {
	r := core.RunOf(ctx)
	if r == nil {
		v.mu.Lock()
		defer v.mu.Unlock()
		if !v.hasForeign {
			v.foreign, v.hasForeign = v.make(), true
		}
		return v.foreign
	}
	if x, ok := r.Var(v); ok {
		return x.(T)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if x, ok := r.Var(v); ok {
		return x.(T)
	}
	x := v.make()
	if v.finish != nil && !r.AtFinish(func() { v.finish(x) }) {
		v.finish(x)
	}
	r.SetVar(v, x)
	return x
}

// TakeForeign forgets the value shared by contexts of no Run and returns it,
// if it was made: the next Get of such a context makes a new one. It is how
// a test stops what that value holds.
func (v *Value[T]) TakeForeign() (x T, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok = v.foreign, v.hasForeign
	var zero T
	v.foreign, v.hasForeign = zero, false
	return x, ok
}
