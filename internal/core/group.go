package core

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

func errNoRun(op string) error {
	return fmt.Errorf("anyio: %s needs the context of an anyio task (one inside Run or WithTaskGroup)", op)
}

var joinInfo = &WaitInfo{What: "task group join"}
var startInfo = &WaitInfo{What: "TaskGroup.Start"}

// Group is the machinery of a task group: its scope, host task, children,
// and the failures collected in order of occurrence.
type Group struct {
	Scope *Scope // set by the owner before Enter
	host  *Task

	mu        sync.Mutex
	active    bool
	n         int   // children still running
	children  *Task // head of the list of running children
	joinCh    chan struct{}
	errs      []error
	panics    []*PanicError
	cancelled bool // a child's cancellation error cancelled the group

	prev, next *Group // siblings in host.groups
}

// Enter opens the group under ctx (whose task hosts it) and returns the
// context for the body.
func (g *Group) Enter(ctx context.Context, host *Task) context.Context {
	g.host = host
	g.active = true
	c := g.Scope.EnterTask(ctx, host, true)
	host.mu.Lock()
	g.next = host.groups
	if host.groups != nil {
		host.groups.prev = g
	}
	host.groups = g
	host.mu.Unlock()
	return c
}

// Host returns the task running the group's body.
func (g *Group) Host() *Task { return g.host }

func (g *Group) checkActive(op string) {
	if !g.active {
		g.mu.Unlock()
		panic("anyio: " + op + " called on a task group that is no longer active: its WithTaskGroup has returned; start tasks from the body or from the group's tasks while it runs")
	}
}

func (g *Group) addChildLocked(t *Task) {
	t.group = g
	t.next = g.children
	if g.children != nil {
		g.children.prev = t
	}
	g.children = t
	g.n++
}

func (g *Group) removeChildLocked(t *Task) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		g.children = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	}
	t.prev, t.next = nil, nil
	g.n--
}

// StartSoon starts fn as a child task.
func (g *Group) StartSoon(fn func(context.Context) error, name string, pc uintptr) {
	g.mu.Lock()
	g.checkActive("StartSoon")
	t := newTask(g.host.run, g.host, name, pc)
	t.ctx = taskCtx{scopeCtx: &g.Scope.ctx, t: t}
	t.scope.Store(g.Scope)
	g.addChildLocked(t)
	g.mu.Unlock()
	t.run.taskStarted()
	go g.runChild(t, fn)
}

func (g *Group) runChild(t *Task, fn func(context.Context) error) {
	var err error
	returned := false
	defer func() {
		if !returned {
			g.childFailed(t, recoverFailure(t, recover()))
			return
		}
		g.childDone(t, err)
	}()
	err = fn(&t.ctx)
	returned = true
}

// recoverFailure turns a recovered value into a *PanicError, or a nil value
// (runtime.Goexit is running) into a *GoexitError.
func recoverFailure(t *Task, r any) error {
	if r == nil {
		return &GoexitError{Task: t.Name()}
	}
	if pe, ok := r.(*PanicError); ok {
		return pe
	}
	return &PanicError{Value: r, Stack: debug.Stack(), Task: t.Name()}
}

// childDone records the result of a child that returned.
func (g *Group) childDone(t *Task, err error) {
	switch {
	case err == nil:
		g.finishChild(t, nil, false)
	case IsCancellation(err):
		g.finishChild(t, nil, true)
	default:
		g.finishChild(t, err, false)
	}
}

// childFailed records a child that panicked or called runtime.Goexit.
func (g *Group) childFailed(t *Task, failure error) {
	g.finishChild(t, failure, false)
}

func (g *Group) finishChild(t *Task, err error, cancelled bool) {
	cancel := ""
	g.mu.Lock()
	if pe, ok := err.(*PanicError); ok {
		g.panics = append(g.panics, pe)
		cancel = "task " + t.Name() + " panicked"
	} else if err != nil {
		g.errs = append(g.errs, err)
		cancel = "task " + t.Name() + " failed"
	} else if cancelled && !g.cancelled {
		g.cancelled = true
		cancel = "task " + t.Name() + " was cancelled"
	}
	g.removeChildLocked(t)
	var wake chan struct{}
	if g.n == 0 && g.joinCh != nil {
		wake = g.joinCh
		g.active = false
	}
	g.mu.Unlock()
	if cancel != "" && !g.Scope.Cancelled() {
		g.Scope.Cancel(cancel)
	}
	if wake != nil {
		g.host.Wake()
		close(wake)
	}
	if t.ownScope != nil {
		t.ownScope.Exit(nil)
	}
	t.run.taskExited()
}

// Finish runs after the body returned bodyErr (or panicked, with bodyPanic):
// it cancels the scope on failure, waits for every child, leaves the scope and
// returns the group's result. A panic of the body or a child is re-raised here
// as *PanicError, after every child has returned.
func (g *Group) Finish(bodyErr error, bodyPanic error) error {
	if bodyPanic != nil {
		g.mu.Lock()
		g.panics = append(g.panics, bodyPanic.(*PanicError))
		g.mu.Unlock()
		g.Scope.Cancel("the task group's body panicked")
	} else if bodyErr != nil {
		cancelled := IsCancellation(bodyErr)
		g.mu.Lock()
		if !cancelled {
			g.errs = append(g.errs, bodyErr)
		}
		g.mu.Unlock()
		if cancelled {
			g.Scope.Cancel("")
		} else {
			g.Scope.Cancel("the task group's body failed")
		}
	}
	g.join()

	h := g.host
	h.mu.Lock()
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		h.groups = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	}
	h.mu.Unlock()

	g.mu.Lock()
	errs, panics := g.errs, g.panics
	g.mu.Unlock()

	var result error
	if len(errs) > 0 {
		result = &ExceptionGroup{Errors: errs}
	} else if g.Scope.Cancelled() {
		// Either the group's own cancellation, which Exit swallows, or one
		// from outside, which the caller gets as a single cancellation error.
		if IsCancellation(bodyErr) {
			result = bodyErr
		} else {
			result = CancelErr(g.Scope.Context())
		}
	}
	result = g.Scope.Exit(result)
	if len(panics) > 0 {
		first := panics[0]
		for _, p := range panics[1:] {
			first.Others = append(first.Others, p)
		}
		first.Others = append(first.Others, errs...)
		panic(first)
	}
	if result == nil {
		return nil
	}
	return result
}

func (g *Group) join() {
	g.mu.Lock()
	if g.n == 0 {
		g.active = false
		g.mu.Unlock()
		return
	}
	g.joinCh = make(chan struct{})
	ch := g.joinCh
	g.mu.Unlock()
	g.host.Park(joinInfo)
	<-ch
	g.host.Unpark()
}

// Children returns the group's running children.
func (g *Group) Children() []*Task {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ts []*Task
	for t := g.children; t != nil; t = t.next {
		ts = append(ts, t)
	}
	return ts
}

// Groups returns the groups the task hosts, innermost first.
func (t *Task) Groups() []*Group {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gs []*Group
	for g := t.groups; g != nil; g = g.next {
		gs = append(gs, g)
	}
	return gs
}

// ErrNeverStarted is what Start returns when the child returned without
// calling Started and without an error.
var ErrNeverStarted = errors.New("anyio: child task returned without calling TaskStatus.Started")

// StartState is the hand-off between a Start caller and its child.
type StartState struct {
	mu      sync.Mutex
	g       *Group
	t       *Task
	caller  *Task
	started bool
	value   any
	done    chan struct{}
	err     error
}

// Start starts fn as a child that belongs to the caller's scope until it
// calls Started, and returns the value it passed to Started. An error (or
// panic) of the child before Started is the caller's, not the group's.
func (g *Group) Start(ctx context.Context, fn func(ctx context.Context, st *StartState) error, name string, pc uintptr) (any, error) {
	caller := TaskOf(ctx)
	g.mu.Lock()
	g.checkActive("Start")
	parent := caller
	if parent == nil {
		parent = g.host
	}
	t := newTask(g.host.run, parent, name, pc)
	t.ownScope = new(Scope)
	st := &StartState{g: g, t: t, caller: caller, done: make(chan struct{})}
	g.addChildLocked(t)
	g.mu.Unlock()
	child := t.ownScope.EnterTask(ctx, t, true)
	t.run.taskStarted()
	go g.runStartChild(t, st, fn, child)

	caller.Park(startInfo)
	<-st.done
	caller.Unpark()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.started {
		return st.value, nil
	}
	if pe, ok := st.err.(*PanicError); ok {
		panic(pe)
	}
	return nil, st.err
}

func (g *Group) runStartChild(t *Task, st *StartState, fn func(context.Context, *StartState) error, ctx context.Context) {
	var err error
	returned := false
	defer func() {
		if !returned {
			err = recoverFailure(t, recover())
		}
		st.mu.Lock()
		started := st.started
		if !started {
			if err == nil {
				err = ErrNeverStarted
			}
			st.err = err
		}
		st.mu.Unlock()
		if started {
			if returned {
				g.childDone(t, err)
			} else {
				g.childFailed(t, err)
			}
			return
		}
		// Not started: the result is the caller's; the group only forgets
		// the child.
		g.mu.Lock()
		g.removeChildLocked(t)
		var wake chan struct{}
		if g.n == 0 && g.joinCh != nil {
			wake = g.joinCh
			g.active = false
		}
		g.mu.Unlock()
		t.ownScope.Exit(nil)
		st.caller.Wake()
		close(st.done)
		if wake != nil {
			g.host.Wake()
			close(wake)
		}
		t.run.taskExited()
	}()
	err = fn(ctx, st)
	returned = true
}

// Started moves the child into its group and hands v to the Start caller.
// It panics if called twice.
func (st *StartState) Started(v any) {
	st.mu.Lock()
	if st.started {
		st.mu.Unlock()
		panic("anyio: TaskStatus.Started called more than once; a started task signals readiness exactly once")
	}
	st.started = true
	st.value = v
	st.mu.Unlock()
	st.t.SetParentID(st.g.host.id)
	st.t.ownScope.Reparent(st.g.Scope.Context())
	st.caller.Wake()
	close(st.done)
}
