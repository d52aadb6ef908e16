package anyio

import (
	"context"

	"github.com/anyio-go/anyio/internal/core"
)

// TaskGroup runs child tasks and never lets one outlive it: AnyIO's task group
// (Trio's nursery). A TaskGroup exists only inside the body of WithTaskGroup.
type TaskGroup struct {
	scope CancelScope
	g     core.Group
}

// TaskOption configures a task started in a task group ([TaskGroup.StartSoon],
// [Start], [CreateTask]): [TaskName]. A nil TaskOption is ignored.
type TaskOption interface{ applyTask(*taskConfig) }

type taskConfig struct{ name string }

// TaskName names a task; the name appears in TaskInfo, DumpTasks and panic
// messages. By default a task is named after its function.
func TaskName(name string) TaskOption { return taskNameOption(name) }

type taskNameOption string

func (n taskNameOption) applyTask(c *taskConfig) { c.name = string(n) }

func taskName(opts []TaskOption) string {
	if len(opts) == 0 {
		return ""
	}
	var c taskConfig
	for _, o := range opts {
		if o != nil {
			o.applyTask(&c)
		}
	}
	return c.name
}

// WithTaskGroup runs body with a new task group and returns once body and
// every task started in the group have returned, on every path: success,
// error, panic, cancellation.
//
// The first failure (a child's error or panic, or body's error) cancels the
// group's scope, so that the other tasks stop at their next blocking call.
// WithTaskGroup then returns the errors of body and the children in order of
// occurrence, minus the cancellations that the group's own scope swallows
// (those it caused; see CancelScope.Run), as an *ExceptionGroup (untyped nil
// when there are none). Cancellations that came from a scope outside the
// group stay in it next to the failures, for that scope to remove. When
// only cancellations remain, it returns one cancellation error instead of a
// group (a group whose tasks all returned nil reports nothing).
// A panic in a child or in body is re-raised here as *PanicError once every
// child has returned.
//
// If ctx is not the context of an anyio task, WithTaskGroup opens a Run for
// the group (so that a plain context, e.g. from net/http, works as a parent).
// Children started with StartSoon see ctx's values.
func WithTaskGroup(ctx context.Context, body func(ctx context.Context, tg *TaskGroup) error) error {
	host := core.TaskOf(ctx)
	if host == nil {
		// A foreign context: open an implicit Run whose root hosts the group.
		r, rc := core.NewRun(ctx, "", funcPC(body))
		defer r.Finish()
		ctx, host = rc, r.Root()
	}
	tg := &TaskGroup{}
	tg.g.Scope = &tg.scope.s
	c := tg.g.Enter(ctx, host)
	done := false
	defer func() {
		if !done {
			r := recover()
			if r == nil {
				tg.g.Finish(&GoexitError{Task: host.Name()}, nil)
				return
			}
			pe, ok := r.(*PanicError)
			if !ok {
				pe = &PanicError{Value: r, Stack: core.PanicStack(), Task: host.Name()}
			}
			tg.g.Finish(nil, (*core.PanicError)(pe))
		}
	}()
	err := body(c, tg)
	done = true
	return tg.g.Finish(err, nil)
}

// StartSoon starts fn as a child task of the group. The child's context is
// the group's scope context (with the values of the ctx given to
// WithTaskGroup) and carries the child's own task identity. A task started
// into a group that is already cancelled still starts, and sees the
// cancellation at its first blocking call.
//
// StartSoon panics if the group is no longer active (its WithTaskGroup has
// returned). Children may start more children while the group runs.
func (tg *TaskGroup) StartSoon(fn func(ctx context.Context) error, opts ...TaskOption) {
	tg.g.StartSoon(fn, taskName(opts), funcPC(fn))
}

// Cancel cancels the group's scope, and so the body and every child (AnyIO
// 4.14's TaskGroup.cancel): a shortcut for tg.CancelScope().Cancel().
func (tg *TaskGroup) Cancel() { tg.scope.Cancel() }

// CancelWithReason cancels the group like Cancel; reason appears in the
// cancellation error that the group's tasks see (AnyIO's
// TaskGroup.cancel(reason)). Only the first reason given is kept.
func (tg *TaskGroup) CancelWithReason(reason string) { tg.scope.CancelWithReason(reason) }

// CancelScope returns the group's cancel scope: cancelling it cancels the
// body and every child.
func (tg *TaskGroup) CancelScope() *CancelScope {
	return &tg.scope
}

// TaskStatus is given to a task started with Start; the task calls Started
// once it is ready.
type TaskStatus[T any] struct {
	st *core.StartState
}

// Started signals that the task is ready and hands v to the Start caller.
// From then on the task belongs to the group's scope (not the caller's), and
// its errors go to the group. Started panics if called twice.
func (s *TaskStatus[T]) Started(v T) { s.st.Started(v) }

// Start starts fn as a child task of tg and waits until it calls
// status.Started(v); it then returns v.
//
// Until Started, the child belongs to the caller's scope: cancelling the
// caller cancels it, its parent is the caller's task, and an error or panic
// before Started goes to the caller, not to the group. A child that returns
// nil without calling Started gives ErrNeverStarted. The child sees the
// values of ctx.
//
// If the caller is already cancelled when the child calls Started, the child
// is not moved into the group (Trio's rule): Start waits for it to return
// and gives its result, typically its cancellation error (or v, if it
// returns nil), and the group and its other tasks are untouched.
func Start[T any](ctx context.Context, tg *TaskGroup, fn func(ctx context.Context, status *TaskStatus[T]) error, opts ...TaskOption) (T, error) {
	v, err := tg.g.Start(ctx, func(c context.Context, st *core.StartState) error {
		return fn(c, &TaskStatus[T]{st: st})
	}, taskName(opts), funcPC(fn))
	if err != nil {
		var zero T
		return zero, err
	}
	t, _ := v.(T)
	return t, nil
}
