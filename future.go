package anyio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
)

// Future is a result that one task sets and any number of tasks wait for:
// AnyIO's Future. It is set once, with SetResult or SetError, or cancelled
// with Cancel; whatever comes first is final.
//
// The zero value is a pending future, ready to use; NewFuture returns one
// too. A Future must not be copied after first use. Its methods are safe to
// call from any goroutine. SetResult and SetError synchronize before every
// Wait and Result that reports what they set.
type Future[T any] struct {
	mu     sync.Mutex // serializes SetResult, SetError and Cancel
	done   Event
	status atomic.Int32 // a TaskStatusCode; published before done is set
	value  T
	err    error
}

// NewFuture returns a pending future.
func NewFuture[T any]() *Future[T] { return &Future[T]{} }

// SetResult gives the future its value and wakes every task waiting for it.
// It returns ErrFutureAlreadyFinished if the future was already set, or
// ErrFutureCancelled if it was cancelled; the future is unchanged then.
func (f *Future[T]) SetResult(v T) error {
	return f.set(TaskFinished, v, nil)
}

// SetError fails the future with err and wakes every task waiting for it;
// Wait then returns an error matching both ErrFutureFailed and err. It
// returns ErrFutureAlreadyFinished if the future was already set, or
// ErrFutureCancelled if it was cancelled. A nil err is an error: use
// SetResult for success.
func (f *Future[T]) SetError(err error) error {
	if err == nil {
		return errors.New("anyio: Future.SetError(nil): give the error the future failed with, or call SetResult")
	}
	var zero T
	return f.set(TaskFailed, zero, err)
}

func (f *Future[T]) set(status TaskStatusCode, v T, err error) error {
	f.mu.Lock()
	switch TaskStatusCode(f.status.Load()) {
	case TaskFinished, TaskFailed:
		f.mu.Unlock()
		return ErrFutureAlreadyFinished
	case TaskCancelled:
		f.mu.Unlock()
		return ErrFutureCancelled
	}
	f.value, f.err = v, err
	f.status.Store(int32(status))
	f.mu.Unlock()
	f.done.Set()
	return nil
}

// Cancel cancels a pending future: its waiters get ErrFutureCancelled, and
// a later SetResult or SetError fails. Cancel does nothing if the future
// already has a result or an error. It never blocks.
func (f *Future[T]) Cancel() {
	f.mu.Lock()
	if f.status.Load() != int32(TaskPending) {
		f.mu.Unlock()
		return
	}
	f.status.Store(int32(TaskCancelled))
	f.mu.Unlock()
	f.done.Set()
}

// Wait blocks until the future is set or cancelled, and returns its value;
// an error matching ErrFutureFailed and the error given to SetError; or
// ErrFutureCancelled. If ctx is cancelled first, Wait returns a cancellation
// error (matching ErrCancelled, unlike ErrFutureCancelled), and the future
// is unchanged. Cancellation is level-triggered: in a cancelled scope Wait
// fails also for a future that is set; Result reads it there.
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	if f.status.Load() == int32(TaskPending) && ctx.Err() == nil {
		// The Event's zero value would name its waiters "Event.Wait".
		f.done.mu.Lock()
		if f.done.info.Obj == nil {
			f.done.info = core.WaitInfo{What: "Future.Wait", Obj: f}
		}
		f.done.mu.Unlock()
	}
	if err := f.done.Wait(ctx); err != nil {
		var zero T
		return zero, err
	}
	return f.Result()
}

// Result returns the future's outcome without blocking (AnyIO's
// return_value): its value; an error matching ErrFutureFailed and the one
// given to SetError; ErrFutureCancelled; or ErrFutureNotFinished while it is
// pending.
func (f *Future[T]) Result() (T, error) {
	var zero T
	switch TaskStatusCode(f.status.Load()) {
	case TaskFinished:
		return f.value, nil
	case TaskFailed:
		return zero, fmt.Errorf("%w: %w", ErrFutureFailed, f.err)
	case TaskCancelled:
		return zero, ErrFutureCancelled
	}
	return zero, ErrFutureNotFinished
}

// Status returns TaskPending, TaskFinished (SetResult), TaskFailed
// (SetError) or TaskCancelled (Cancel).
func (f *Future[T]) Status() TaskStatusCode { return TaskStatusCode(f.status.Load()) }

// String returns the future's status, e.g. "Future(pending)".
func (f *Future[T]) String() string { return "Future(" + f.Status().String() + ")" }
