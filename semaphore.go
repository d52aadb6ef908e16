package anyio

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Semaphore is a counting semaphore: AnyIO's Semaphore. Acquire takes one
// unit of its value, waiting while the value is zero, and Release gives one
// back. Unlike a Lock, a Semaphore has no owner: any task may release it.
//
// Waiters are served in the order in which they arrived: Release hands its
// unit straight to the first waiter, so the unit is reserved for that waiter
// and a concurrent TryAcquire cannot take it. A Release synchronizes before
// the Acquire or TryAcquire that takes the unit it gave back.
//
// The zero value is a semaphore of value 0 with no maximum. A Semaphore must
// not be copied after first use.
type Semaphore struct {
	mu     sync.Mutex
	value  int
	max    int
	hasMax bool
	q      wait.Queue[struct{}] // waiters exist only while value is 0
	info   core.WaitInfo
}

// SemaphoreOption configures [NewSemaphore]: [MaxValue], [FastAcquire]. A
// nil SemaphoreOption is ignored.
type SemaphoreOption interface{ applySemaphore(*semaphoreConfig) }

type semaphoreConfig struct {
	max    int
	hasMax bool
}

// MaxValue sets the largest value the semaphore may reach: a Release that
// would take the value past n returns an error.
func MaxValue(n int) SemaphoreOption { return maxValue(n) }

type maxValue int

func (m maxValue) applySemaphore(c *semaphoreConfig) { c.max, c.hasMax = int(m), true }

// NewSemaphore returns a semaphore with the value initial. It panics if
// initial is negative or larger than the MaxValue given. FastAcquire is
// accepted and changes nothing (see FastAcquire).
func NewSemaphore(initial int, opts ...SemaphoreOption) *Semaphore {
	if initial < 0 {
		panic(fmt.Sprintf("anyio: NewSemaphore(%d): the initial value must be >= 0", initial))
	}
	var cfg semaphoreConfig
	for _, o := range opts {
		if o != nil {
			o.applySemaphore(&cfg)
		}
	}
	s := &Semaphore{value: initial, max: cfg.max, hasMax: cfg.hasMax}
	if s.hasMax && initial > s.max {
		panic(fmt.Sprintf("anyio: NewSemaphore(%d, MaxValue(%d)): the initial value must not exceed the maximum value", initial, s.max))
	}
	return s
}

// Acquire takes one unit, blocking while the value is zero, until a unit is
// handed to it or ctx is cancelled; then it returns a cancellation error and
// has taken nothing. Cancellation is level-triggered: in a cancelled scope
// Acquire fails even when a unit is free.
//
// Waiters are served first-come, first-served. A unit handed to a waiter at
// the very moment its ctx is cancelled goes on to the next waiter (or back to
// the semaphore): units are never lost, and a task whose Acquire failed holds
// none.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if ctx.Err() != nil {
		s.mu.Unlock()
		return core.CancelErr(ctx)
	}
	if s.value > 0 {
		s.value--
		s.mu.Unlock()
		return nil
	}
	w := wait.New[struct{}](ctx)
	s.q.Push(w)
	if s.info.Obj == nil {
		s.info = core.WaitInfo{What: "Semaphore.Acquire", Obj: s}
	}
	s.mu.Unlock()
	if w.Await(&s.mu, &s.q, &s.info) {
		if ctx.Err() == nil {
			w.Free()
			return nil
		}
		// Handed a unit as ctx was cancelled: pass it on.
		s.mu.Lock()
	} else if !w.Handed {
		s.mu.Unlock()
		w.Free()
		return core.CancelErr(ctx)
	}
	next := s.releaseLocked()
	s.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	w.Free()
	return core.CancelErr(ctx)
}

// TryAcquire takes one unit if one is free, without blocking, and returns
// ErrWouldBlock otherwise. A unit already handed to a waiting task is not
// free.
func (s *Semaphore) TryAcquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value == 0 {
		return ErrWouldBlock
	}
	s.value--
	return nil
}

// Release gives one unit back: to the first waiter if there is one, else to
// the semaphore's value. It never blocks. It returns an error, and changes
// nothing, if the value would exceed the maximum set with MaxValue.
func (s *Semaphore) Release() error {
	s.mu.Lock()
	if s.hasMax && s.value >= s.max {
		s.mu.Unlock()
		return fmt.Errorf("%w: the value would exceed the maximum value %d", ErrSemaphoreFull, s.max)
	}
	if s.value == math.MaxInt {
		s.mu.Unlock()
		return fmt.Errorf("%w: the value would overflow", ErrSemaphoreFull)
	}
	next := s.releaseLocked()
	s.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	return nil
}

// releaseLocked gives a unit to the first live waiter (returned marked, to
// be signalled once s.mu is released) or to the value. s.mu is held.
func (s *Semaphore) releaseLocked() *wait.Waiter[struct{}] {
	if w := s.q.PopReady(); w != nil {
		w.Mark(struct{}{})
		return w
	}
	s.value++
	return nil
}

// Value returns the number of free units.
func (s *Semaphore) Value() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// MaxValue returns the maximum value set with the MaxValue option, and
// whether there is one.
func (s *Semaphore) MaxValue() (int, bool) { return s.max, s.hasMax }

// SemaphoreStatistics is a snapshot of a Semaphore's state.
type SemaphoreStatistics struct {
	TasksWaiting int // tasks blocked in Acquire
}

// Statistics returns a snapshot of the semaphore's state.
func (s *Semaphore) Statistics() SemaphoreStatistics {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SemaphoreStatistics{TasksWaiting: s.q.Live()}
}
