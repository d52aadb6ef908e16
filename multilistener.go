package anyio

import (
	"context"
	"errors"
	"sync"
)

// MultiListener combines several listeners into one that serves connections
// from all of them at once (AnyIO's MultiListener). What CreateTCPListener
// returns for several interfaces is one.
type MultiListener[T any] struct {
	mu        sync.Mutex
	listeners []Listener[T]
}

var _ Listener[int] = (*MultiListener[int])(nil)

// NewMultiListener returns a listener over listeners. A *MultiListener among
// them is flattened: its listeners move into the new one, and it is left
// empty.
func NewMultiListener[T any](listeners ...Listener[T]) *MultiListener[T] {
	m := &MultiListener[T]{}
	for _, l := range listeners {
		if inner, ok := l.(*MultiListener[T]); ok {
			inner.mu.Lock()
			m.listeners = append(m.listeners, inner.listeners...)
			inner.listeners = nil
			inner.mu.Unlock()
			continue
		}
		m.listeners = append(m.listeners, l)
	}
	return m
}

// Listeners returns the listeners that m serves, in order.
func (m *MultiListener[T]) Listeners() []Listener[T] {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Listener[T](nil), m.listeners...)
}

// Serve runs the Serve method of every listener concurrently, each in a task
// of its own, with the same handler and task group (nil: each listener makes
// an ad-hoc group). It blocks until all of them have returned: when ctx is
// cancelled, or when one fails, which cancels the others. It returns their
// errors as a task group does. A listener that runs out of descriptors
// backs off in its own Serve (see [SocketListener]) while the others go on
// serving.
func (m *MultiListener[T]) Serve(ctx context.Context, handler func(ctx context.Context, stream T) error, tg *TaskGroup) error {
	listeners := m.Listeners()
	return WithTaskGroup(ctx, func(ctx context.Context, own *TaskGroup) error {
		for _, l := range listeners {
			own.StartSoon(func(ctx context.Context) error {
				return l.Serve(ctx, handler, tg)
			}, TaskName("MultiListener.Serve"))
		}
		return nil
	})
}

// Close closes every listener, in order, and returns their errors joined. It
// is idempotent as far as the listeners' Close is.
func (m *MultiListener[T]) Close(ctx context.Context) error {
	var errs []error
	for _, l := range m.Listeners() {
		if err := l.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ExtraAttributes returns the attributes of every listener; for an attribute
// that several have, the later listener's wins.
func (m *MultiListener[T]) ExtraAttributes() map[any]func() any {
	ls := m.Listeners()
	maps := make([]map[any]func() any, len(ls))
	for i, l := range ls {
		maps[i] = l.ExtraAttributes()
	}
	return MergeAttributes(maps...)
}
