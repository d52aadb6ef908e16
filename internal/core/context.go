package core

import (
	"context"
	"time"
)

type ctxKey int

const (
	scopeKey ctxKey = iota + 1
	taskKey
)

// scopeCtx is the context a cancel scope gives its body. It wraps a standard
// cancelCtx (so context.Cause works and standard children attach to it with no
// goroutine) and adds the scope, its task and the effective deadline.
type scopeCtx struct {
	context.Context // the standard cancelCtx of the scope
	s               *Scope
}

func (c *scopeCtx) Value(key any) any {
	switch key {
	case scopeKey:
		return c.s
	case taskKey:
		if c.s.task == nil {
			return nil
		}
		return c.s.task
	}
	return c.Context.Value(key)
}

func (c *scopeCtx) Deadline() (time.Time, bool) { return c.s.effectiveDeadline() }

func (c *scopeCtx) String() string { return "anyio.CancelScope.Context" }

// A child task started with StartSoon is its own context: the group's scope
// context with the child's identity. That saves an allocation in every spawn;
// other tasks (the root of a Run, a Start child) are never used as a context.

// Deadline returns the effective deadline of the group's scope.
func (t *Task) Deadline() (time.Time, bool) { return t.group.Scope.effectiveDeadline() }

// Done returns the Done channel of the group's scope.
func (t *Task) Done() <-chan struct{} { return t.group.Scope.ctx.Context.Done() }

// Err returns the error of the group's scope context.
func (t *Task) Err() error { return t.group.Scope.ctx.Context.Err() }

// Value returns the task for taskKey, and otherwise what the group's scope
// context holds.
func (t *Task) Value(key any) any {
	if key == taskKey {
		return t
	}
	return t.group.Scope.ctx.Value(key)
}

func (t *Task) String() string { return "anyio.Task(" + t.Name() + ").Context" }

// rootCtx carries the root task of a Run over the caller's context.
type rootCtx struct {
	context.Context
	t *Task
}

func (c *rootCtx) Value(key any) any {
	if key == taskKey {
		return c.t
	}
	return c.Context.Value(key)
}

func (c *rootCtx) String() string { return "anyio.Run.Context" }

// detached is a scope's view of its parent for values only: it is never done
// and has no deadline. Cancellation reaches the scope through its own links.
type detached struct{ parent context.Context }

func (detached) Deadline() (time.Time, bool) { return time.Time{}, false }
func (detached) Done() <-chan struct{}       { return nil }
func (detached) Err() error                  { return nil }
func (d *detached) Value(key any) any        { return d.parent.Value(key) }
func (*detached) String() string             { return "anyio.detached" }

// ScopeOf returns the innermost anyio scope of ctx, or nil.
func ScopeOf(ctx context.Context) *Scope {
	switch c := ctx.(type) {
	case *scopeCtx:
		return c.s
	case *Task:
		return c.group.Scope
	}
	s, _ := ctx.Value(scopeKey).(*Scope)
	return s
}

// TaskOf returns the anyio task of ctx, or nil for a foreign context.
func TaskOf(ctx context.Context) *Task {
	switch c := ctx.(type) {
	case *Task:
		return c
	case *scopeCtx:
		return c.s.task
	case *rootCtx:
		return c.t
	}
	t, _ := ctx.Value(taskKey).(*Task)
	return t
}

// RunOf returns the Run that ctx belongs to, or nil.
func RunOf(ctx context.Context) *Run {
	if t := TaskOf(ctx); t != nil {
		return t.Run()
	}
	return nil
}

// directScope returns the anyio scope whose cancellation ctx shares, if ctx is
// one of ours (or a value-only wrapper of one), so that a child scope can link
// to it without context.AfterFunc.
func directScope(ctx context.Context) *Scope {
	switch c := ctx.(type) {
	case *scopeCtx:
		return c.s
	case *Task:
		return c.group.Scope
	}
	s := ScopeOf(ctx)
	if s != nil && s.ctx.Context != nil && ctx.Done() == s.ctx.Context.Done() {
		return s
	}
	return nil
}
