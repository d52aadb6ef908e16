package anyio

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/core"
)

// TaskStatusCode is the state of a task started with CreateTask (AnyIO's
// TaskHandle.Status), or of a Future. A task goes from TaskPending, through
// TaskCancelling if its handle's Cancel was called while it ran, to one of
// the final states TaskFinished, TaskFailed or TaskCancelled; no other
// transition happens. The zero value is TaskPending.
type TaskStatusCode int32

// The states of a task handle or a future.
const (
	// TaskPending: the task runs (or has yet to start); the future has no
	// result yet.
	TaskPending TaskStatusCode = iota
	// TaskCancelling: the handle's Cancel was called, and the task has not
	// returned yet. A Future never reports it.
	TaskCancelling
	// TaskFinished: the task returned a value and a nil error; the future was
	// given a result.
	TaskFinished
	// TaskFailed: the task returned an error other than a cancellation, or
	// panicked; the future was given an error.
	TaskFailed
	// TaskCancelled: the task returned a cancellation error (its handle or
	// its group was cancelled); the future was cancelled.
	TaskCancelled
)

// String returns "pending", "cancelling", "finished", "failed" or
// "cancelled".
func (s TaskStatusCode) String() string {
	switch s {
	case TaskPending:
		return "pending"
	case TaskCancelling:
		return "cancelling"
	case TaskFinished:
		return "finished"
	case TaskFailed:
		return "failed"
	case TaskCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("TaskStatusCode(%d)", int32(s))
}

// TaskHandle is a task started with CreateTask, through which other tasks
// wait for its result or cancel it: AnyIO's TaskHandle. Its methods are safe
// to call from any goroutine, any number of times.
type TaskHandle[T any] struct {
	scope  CancelScope // the task runs in it, so that Cancel stops this task only
	done   Event       // set once the task has returned
	status atomic.Int32
	name   string
	pc     uintptr
	value  T     // written before done is set
	err    error // the task's error (failed) or its cancellation (cancelled)
}

// CreateTask starts fn as a child task of tg, like TaskGroup.StartSoon, and
// returns a handle to its result (AnyIO's TaskGroup.create_task).
//
// fn runs in a cancel scope of its own, inside the group's: the handle's
// Cancel cancels fn alone, and the group does not see that cancellation. An
// error fn returns (other than a cancellation) reaches the group as well,
// as any child's error does: it fails the group, which cancels its other
// tasks, and WithTaskGroup returns it. A panic in fn marks the handle failed
// and is re-raised by the group, as for StartSoon. The task's name is the
// TaskName given, or fn's name.
//
// CreateTask panics, as StartSoon does, if the group is no longer active.
func CreateTask[T any](tg *TaskGroup, fn func(ctx context.Context) (T, error), opts ...TaskOption) *TaskHandle[T] {
	h := newTaskHandle[T](taskName(opts), funcPC(fn))
	tg.g.StartSoon(func(ctx context.Context) error { return h.run(ctx, fn, nil) }, h.name, h.pc)
	return h
}

func newTaskHandle[T any](name string, pc uintptr) *TaskHandle[T] {
	h := &TaskHandle[T]{name: name, pc: pc}
	h.done.info = core.WaitInfo{What: "TaskHandle.Wait", Obj: h}
	return h
}

// run runs fn in the handle's scope, records how it ended, and returns what
// the group is to see: fn's error, minus a cancellation that Cancel caused.
// finished, if not nil, is called once the handle is final (also on a
// panic).
func (h *TaskHandle[T]) run(ctx context.Context, fn func(ctx context.Context) (T, error), finished func()) error {
	var v T
	var fnErr error
	returned := false
	defer func() {
		if returned {
			return
		}
		// fn panicked, or called runtime.Goexit (then recover returns nil,
		// and the Goexit goes on by itself once this function returns).
		r := recover()
		var failure error = &GoexitError{Task: h.Name()}
		if r != nil {
			pe, ok := r.(*PanicError)
			if !ok {
				pe = &PanicError{Value: r, Stack: core.PanicStack(), Task: h.Name()}
			}
			failure = pe
		}
		h.finish(TaskFailed, failure, finished)
		if r != nil {
			panic(failure)
		}
	}()
	err := h.scope.Run(ctx, func(ctx context.Context) error {
		v, fnErr = fn(ctx)
		return fnErr
	})
	returned = true
	switch {
	case fnErr == nil:
		h.value = v
		h.finish(TaskFinished, nil, finished)
	case core.IsCancellation(fnErr):
		h.finish(TaskCancelled, fnErr, finished)
	default:
		h.finish(TaskFailed, fnErr, finished)
	}
	return err
}

func (h *TaskHandle[T]) finish(status TaskStatusCode, err error, finished func()) {
	h.err = err
	h.status.Store(int32(status))
	h.done.Set()
	if finished != nil {
		finished()
	}
}

// Wait blocks until the task has returned, and returns its value; or a
// *TaskFailedError (wrapping the task's error or panic) if it failed; or
// ErrTaskCancelled if it ended in a cancellation. Any number of tasks may
// wait, any number of times, also after the task group has exited.
//
// If ctx is cancelled first, Wait returns a cancellation error (matching
// ErrCancelled, unlike ErrTaskCancelled) and the task runs on. Cancellation
// is level-triggered: in a cancelled scope Wait fails also for a finished
// task; use Result to read a finished task's outcome there. A Wait already
// blocked when the task fails gets the *TaskFailedError, even though the
// failure cancels the group (often the waiter's own scope) at that moment.
func (h *TaskHandle[T]) Wait(ctx context.Context) (T, error) {
	if err := h.done.Wait(ctx); err != nil {
		var zero T
		return zero, err
	}
	return h.Result()
}

// Result returns the task's outcome without blocking (AnyIO's return_value):
// its value; a *TaskFailedError if it failed; ErrTaskCancelled if it ended
// in a cancellation or its Cancel was called (TaskCancelling); or
// ErrTaskNotFinished while it runs.
func (h *TaskHandle[T]) Result() (T, error) {
	var zero T
	switch h.Status() {
	case TaskFinished:
		return h.value, nil
	case TaskFailed:
		return zero, &TaskFailedError{Task: h.Name(), Err: h.err}
	case TaskCancelled, TaskCancelling:
		return zero, ErrTaskCancelled
	}
	return zero, ErrTaskNotFinished
}

// Cancel cancels the task, and only it: its context is cancelled, so that
// its blocking calls fail, and the cancellation is not reported to the group.
// A task that has not started yet starts cancelled. Cancel does nothing once
// the task has returned. It never blocks; Wait for the task to end.
func (h *TaskHandle[T]) Cancel() {
	if h.status.Load() == int32(TaskPending) {
		h.scope.Cancel()
	}
}

// Status returns the task's state. It reports TaskCancelling between a
// Cancel and the task's return; a task that its group (rather than its
// handle) cancelled stays TaskPending until it returns.
func (h *TaskHandle[T]) Status() TaskStatusCode {
	if s := TaskStatusCode(h.status.Load()); s != TaskPending {
		return s
	}
	if h.scope.CancelCalled() {
		return TaskCancelling
	}
	return TaskPending
}

// Name returns the task's name: the TaskName given to CreateTask, or the
// name of its function, as GetCurrentTask reports inside the task.
func (h *TaskHandle[T]) Name() string {
	if h.name != "" {
		return h.name
	}
	return funcName(h.pc)
}

// String returns the task's name and status, e.g.
// "TaskHandle(main.fetch, finished)".
func (h *TaskHandle[T]) String() string {
	return "TaskHandle(" + h.Name() + ", " + h.Status().String() + ")"
}

// funcName is the default name of a task whose function has the entry pc
// (the name core.Task.Name gives it).
func funcName(pc uintptr) string {
	if f := runtime.FuncForPC(pc); f != nil {
		return strings.TrimSuffix(f.Name(), "-fm")
	}
	return "task"
}
