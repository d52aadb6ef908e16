package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
	run   *Run

	// n counts the children that have not exited. A child exits without
	// the group's lock: it marks itself exited and decrements n. The list
	// keeps exited children until a sweep (when it grows much longer than
	// n) or until n reaches zero, when it is dropped whole. That keeps the
	// lock off the path of every finishing child, which is what spawning
	// and mass cancellation cost most.
	n         atomic.Int64
	listLen   atomic.Int64 // tasks in g.slabs, exited and unused ones included; written under mu
	joining   atomic.Bool  // the host waits in join; set under mu
	cancelled atomic.Bool  // a child returned a cancellation error (and so cancelled the group)

	mu      sync.Mutex
	active  bool
	own     [groupTasks]Task // the first children (see addChildLocked)
	ownUsed int              // tasks handed out of own
	slabs   *slab            // the later children, newest slab first; some may have exited
	used    int              // tasks handed out of g.slabs (the newest slab)
	nextID  uint64           // the ID of the next child, if idsLeft > 0
	idsLeft uint64
	joinCh  chan struct{}
	errs    []error
	panics  []*PanicError

	// common counts the tasks that returned the cancellation error of the
	// group's scope itself (its cause), and are not in errs yet: when a
	// whole group is cancelled, every task returns that one value, so
	// counting it keeps thousands of finishing tasks off g.mu. They enter
	// errs, in place, before the next error that is appended
	// (flushCommonLocked).
	common atomic.Int64

	prev, next *Group // siblings in host.groups
}

// Enter opens the group under ctx (whose task hosts it) and returns the
// context for the body.
func (g *Group) Enter(ctx context.Context, host *Task) context.Context {
	g.host = host
	g.run = host.Run()
	g.active = true
	g.Scope.kind = scopeGroup
	c := g.Scope.EnterTask(ctx, host, true)
	g.run.groupsMu.Lock()
	hx := host.extra()
	g.next = hx.groups
	if hx.groups != nil {
		hx.groups.prev = g
	}
	hx.groups = g
	g.run.groupsMu.Unlock()
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

// addChildLocked hands out a new child task of g (g.mu is held); the
// caller starts it.
func (g *Group) addChildLocked(name string, pc uintptr, kind uint64) *Task {
	if n := g.n.Load(); n == 0 {
		g.dropListLocked()
	} else if g.listLen.Load() > 2*n+64 {
		g.sweepLocked()
	}
	// Tasks are carved out of slabs: one allocation serves several spawns,
	// which is most of what a spawn costs beyond the goroutine itself, and
	// the slabs are the list of children, so that a spawn links nothing.
	// The first children live in the group itself, so that a small group
	// pays for no slab. A slab lives as long as any of its tasks is
	// referenced: at most taskSlab tasks' worth of memory.
	var t *Task
	if g.ownUsed < groupTasks {
		t = &g.own[g.ownUsed]
		g.ownUsed++
	} else {
		if g.slabs == nil || g.used == taskSlab {
			g.slabs = &slab{next: g.slabs}
			g.used = 0
			g.listLen.Add(taskSlab)
		}
		t = &g.slabs.tasks[g.used]
		g.used++
	}
	t.group, t.pc = g, pc
	t.word.Store(g.nextIDLocked()<<idShift | kind<<kindShift)
	if name != "" {
		t.x.Store(&taskExtra{name: name})
	}
	g.n.Add(1)
	return t
}

const (
	groupTasks = 2 // tasks in the group itself
	taskSlab   = 7 // tasks in a slab: 7 of 40 bytes and a link fill a 288-byte size class
)

// nextIDLocked returns the ID of the next child. A group takes IDs from
// the process-wide counter in blocks of idBlock, so that most spawns touch
// no memory shared with unrelated groups.
func (g *Group) nextIDLocked() uint64 {
	if g.idsLeft == 0 {
		g.nextID = lastTaskID.Add(idBlock) - idBlock + 1
		g.idsLeft = idBlock
	}
	id := g.nextID
	g.nextID++
	g.idsLeft--
	return id
}

const idBlock = 8

// slab is an allocation of child tasks, linked into Group.slabs.
type slab struct {
	next  *slab
	tasks [taskSlab]Task
}

// dropListLocked forgets the slabs once every child in them has exited,
// but the newest while it has tasks to hand out.
func (g *Group) dropListLocked() {
	if s := g.slabs; s != nil && g.used < taskSlab {
		s.next = nil
		g.listLen.Store(taskSlab)
		return
	}
	g.slabs = nil
	g.listLen.Store(0)
}

// sweepLocked forgets the slabs whose children have all exited.
func (g *Group) sweepLocked() {
	var n int64
	link := &g.slabs
	for s := g.slabs; s != nil; s = s.next {
		if (s == g.slabs && g.used < taskSlab) || !s.allExited() {
			*link = s
			link = &s.next
			n += taskSlab
		}
	}
	*link = nil
	g.listLen.Store(n)
}

func (s *slab) allExited() bool {
	for i := range s.tasks {
		if s.tasks[i].state() != taskExited {
			return false
		}
	}
	return true
}

// handedOut calls f for every child task handed out, oldest first, and
// stops early if f returns false; g.mu is held.
func (g *Group) handedOut(f func(t *Task) bool) {
	for i := range g.ownUsed {
		if !f(&g.own[i]) {
			return
		}
	}
	var slabs []*slab
	for s := g.slabs; s != nil; s = s.next {
		slabs = append(slabs, s)
	}
	for i := len(slabs) - 1; i >= 0; i-- {
		n := taskSlab
		if i == 0 {
			n = g.used
		}
		for j := range n {
			if !f(&slabs[i].tasks[j]) {
				return
			}
		}
	}
}

// exitChild records that child t has finished, and wakes the host if it
// waits in join and t was the last child.
//
// It reports whether t was counted as running (see Task.exitTask): the
// caller passes that to Run.exited once it is done with t.
func (g *Group) exitChild(t *Task) (counted bool) {
	counted = t.exitTask()
	n := g.n.Add(-1)
	if n == 0 {
		// joining is set before join reads n: if it is unset here, join
		// will see n == 0 and not wait.
		if !g.joining.Load() {
			return counted // the next spawn drops the list
		}
		var wake chan struct{}
		g.mu.Lock()
		if g.n.Load() == 0 {
			g.dropListLocked()
			if g.joinCh != nil && g.active {
				wake = g.joinCh
				g.active = false
			}
		}
		g.mu.Unlock()
		if wake != nil {
			g.host.Wake()
			close(wake)
		}
		return counted
	}
	// Many children have exited while a few run on and nobody spawns:
	// sweep, so that a long-lived group does not keep its finished
	// children. Not while the scope is cancelled: then all are about to
	// exit, and the last one drops the list.
	if g.listLen.Load() > 8*n+4096 && !g.Scope.isDone() && g.mu.TryLock() {
		g.sweepLocked()
		g.mu.Unlock()
	}
	return counted
}

// StartSoon starts fn as a child task.
func (g *Group) StartSoon(fn func(context.Context) error, name string, pc uintptr) {
	g.mu.Lock()
	g.checkActive("StartSoon")
	t := g.addChildLocked(name, pc, taskSoon)
	g.mu.Unlock()
	g.run.taskStarted(t)
	go runChild(t, fn)
}

func runChild(t *Task, fn func(context.Context) error) {
	g := t.group
	var err error
	returned := false
	defer func() {
		if !returned {
			g.childFailed(t, recoverFailure(t, recover()))
			return
		}
		g.childDone(t, err)
	}()
	err = fn(t)
	returned = true
}

// recoverFailure turns a recovered value into a *PanicError, or a nil value
// (runtime.Goexit is running) into a *GoexitError.
func recoverFailure(t *Task, r any) error {
	if r == nil {
		return NewGoexitError(t.Name())
	}
	if pe := asPanic(r); pe != nil {
		return pe
	}
	return &PanicError{Value: r, Stack: PanicStack(), Task: t.Name()}
}

// PanicStack returns the stack of the calling goroutine, for a deferred
// function that recovered a panic: from the frame that panicked down, without
// the frames of the recovery itself (debug.Stack, the deferred functions and
// the runtime's panic).
func PanicStack() []byte {
	st := debug.Stack()
	nl := bytes.IndexByte(st, '\n')
	if nl < 0 {
		return st
	}
	// The frames above the panicking one end with the runtime's "panic("
	// frame: two lines, the function and its file.
	i := bytes.Index(st, []byte("\npanic("))
	if i < 0 {
		return st
	}
	rest := st[i+1:]
	for range 2 {
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			return st
		}
		rest = rest[j+1:]
	}
	return append(st[:nl+1:nl+1], rest...)
}

// childDone records the result of a child that returned.
func (g *Group) childDone(t *Task, err error) {
	g.finishChild(t, err, err != nil && IsCancellation(err))
}

// childFailed records a child that panicked or called runtime.Goexit.
func (g *Group) childFailed(t *Task, failure error) {
	g.finishChild(t, failure, false)
}

// finishChild records how child t ended: err is its error (a *PanicError
// record for a panic), cancelled whether err is a cancellation.
//
// As in Trio, every error of a child cancels the group's scope, a
// cancellation too, and the group keeps every error, cancellations too, in
// order of occurrence: the scope that caused a cancellation is the one to
// remove it from the error it leaves with (see Scope.Exit), which may be the
// group's own scope or one outside.
func (g *Group) finishChild(t *Task, err error, cancelled bool) {
	cancel := ""
	if pe, ok := err.(*PanicError); ok {
		g.mu.Lock()
		g.panics = append(g.panics, pe)
		g.mu.Unlock()
		cancel = "task " + t.Name() + " panicked"
	} else if err != nil {
		g.addError(err, cancelled)
		if !cancelled {
			cancel = "task " + t.Name() + " failed"
		} else if !g.cancelled.Load() && g.cancelled.CompareAndSwap(false, true) {
			cancel = "task " + t.Name() + " was cancelled"
		}
	}
	// As a Trio nursery does, a failure or a child's cancellation calls
	// the group scope's Cancel even when the scope is cancelled already
	// (from outside): CancelCalled then reports it, as AnyIO on Trio does.
	if cancel != "" {
		g.Scope.Cancel(cancel)
	}
	if t.kind() == taskStarted {
		t.x.Load().ownScope.Exit(nil)
	}
	t.releaseWaits()
	g.run.exited(g.exitChild(t))
}

// addError records err, a failure or (cancelled) a cancellation error.
func (g *Group) addError(err error, cancelled bool) {
	if cancelled {
		if ce := g.Scope.cause.Load(); ce != nil && err == ce.pub {
			g.common.Add(1)
			return
		}
	}
	g.mu.Lock()
	g.flushCommonLocked()
	g.errs = append(g.errs, err)
	g.mu.Unlock()
}

// flushCommonLocked appends the cancellations counted in g.common to g.errs.
func (g *Group) flushCommonLocked() {
	n := g.common.Swap(0)
	if n == 0 {
		return
	}
	e := g.Scope.cause.Load().pub
	for range n {
		g.errs = append(g.errs, e)
	}
}

// Finish runs after the body returned bodyErr (or panicked, with bodyPanic):
// it cancels the scope on failure, waits for every child, leaves the scope and
// returns the group's result. A panic of the body or a child is re-raised here
// as *PanicError, after every child has returned.
//
// The result is every error of the body and the children in order of
// occurrence, cancellations included, less what the group's scope swallows
// on exit (see Scope.Exit): an exception group when a failure other than a
// cancellation remains, and a single cancellation error when only
// cancellations do, as AnyIO's task groups raise one Cancelled rather than a
// group of them.
func (g *Group) Finish(bodyErr error, bodyPanic *PanicError) error {
	if bodyPanic != nil {
		g.mu.Lock()
		g.panics = append(g.panics, bodyPanic)
		g.mu.Unlock()
		g.Scope.Cancel("the task group's body panicked")
	} else if bodyErr != nil {
		g.addError(bodyErr, IsCancellation(bodyErr))
		if IsCancellation(bodyErr) {
			g.Scope.Cancel("")
		} else {
			g.Scope.Cancel("the task group's body failed")
		}
	}
	g.join()

	h := g.host
	g.run.groupsMu.Lock()
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		h.x.Load().groups = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	}
	g.run.groupsMu.Unlock()

	g.mu.Lock()
	onlyCancelled := true
	for _, e := range g.errs {
		if !IsCancellation(e) {
			onlyCancelled = false
			break
		}
	}
	if !onlyCancelled {
		g.flushCommonLocked()
	}
	errs, panics := g.errs, g.panics
	if onlyCancelled && g.common.Load() > 0 && len(errs) == 0 {
		errs = []error{g.Scope.cause.Load().pub}
	}
	g.mu.Unlock()

	var result error
	if len(errs) > 0 {
		switch {
		case !onlyCancelled:
			result = NewGroup(errs)
		case IsCancellation(bodyErr):
			result = bodyErr
		default:
			result = CancelErr(g.Scope.Context())
			if result == nil {
				result = errs[0]
			}
		}
	}
	result = g.Scope.Exit(result)
	if len(panics) > 0 {
		first := panics[0]
		for _, p := range panics[1:] {
			first.Others = append(first.Others, p.public().(error))
		}
		for _, e := range errs {
			if !IsCancellation(e) {
				first.Others = append(first.Others, e)
			}
		}
		panic(first.public())
	}
	if result == nil {
		return nil
	}
	return result
}

func (g *Group) join() {
	g.mu.Lock()
	g.joining.Store(true)
	if g.n.Load() == 0 {
		g.active = false
		g.dropListLocked()
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

// Children returns the group's running children, in the order they started.
func (g *Group) Children() []*Task {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ts []*Task
	g.handedOut(func(t *Task) bool {
		if t.state() != taskExited {
			ts = append(ts, t)
		}
		return true
	})
	return ts
}

// Groups returns the groups the task hosts, innermost first.
func (t *Task) Groups() []*Group {
	r := t.Run()
	r.groupsMu.Lock()
	defer r.groupsMu.Unlock()
	var gs []*Group
	x := t.x.Load()
	if x == nil {
		return nil
	}
	for g := x.groups; g != nil; g = g.next {
		gs = append(gs, g)
	}
	return gs
}

// ErrNeverStarted is what Start returns when the child returned without
// calling Started and without an error.
var ErrNeverStarted = errors.New("anyio: child task returned without calling TaskStatus.Started")

// StartState is the hand-off between a Start caller and its child.
type StartState struct {
	mu       sync.Mutex
	g        *Group
	t        *Task
	caller   *Task
	started  bool // Started was called
	moved    bool // Started moved the child into the group
	finished bool // the child returned while it belonged to the caller
	value    any
	done     chan struct{}
	err      error
}

// Start starts fn as a child that belongs to the caller's scope until it
// calls Started, and returns the value it passed to Started. An error (or
// panic) of the child before Started is the caller's, not the group's.
//
// If the caller is cancelled when the child calls Started, the child is not
// moved (Trio's rule): it stays under the caller, which waits for it to
// return and gets its result (the value given to Started if it returns nil);
// the group and its other tasks never see it.
func (g *Group) Start(ctx context.Context, fn func(ctx context.Context, st *StartState) error, name string, pc uintptr) (any, error) {
	caller := TaskOf(ctx)
	g.mu.Lock()
	g.checkActive("Start")
	parent := caller
	if parent == nil {
		parent = g.host
	}
	t := g.addChildLocked(name, pc, taskStarted)
	x := t.extra()
	x.ownScope = &Scope{kind: scopeTask}
	x.parentID.Store(parent.ID())
	st := &StartState{g: g, t: t, caller: caller, done: make(chan struct{})}
	g.mu.Unlock()
	child := x.ownScope.EnterTask(ctx, t, true)
	g.run.taskStarted(t)
	go g.runStartChild(t, st, fn, child)

	caller.Park(startInfo)
	<-st.done
	caller.Unpark()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.moved {
		return st.value, nil
	}
	if pe, ok := st.err.(*PanicError); ok {
		panic(pe.public())
	}
	if st.err != nil {
		return nil, st.err
	}
	return st.value, nil
}

func (g *Group) runStartChild(t *Task, st *StartState, fn func(context.Context, *StartState) error, ctx context.Context) {
	var err error
	returned := false
	defer func() {
		if !returned {
			err = recoverFailure(t, recover())
		}
		st.mu.Lock()
		moved := st.moved
		if !moved {
			st.finished = true
			if !st.started && err == nil {
				err = ErrNeverStarted
			}
			st.err = err
		}
		st.mu.Unlock()
		if moved {
			if returned {
				g.childDone(t, err)
			} else {
				g.childFailed(t, err)
			}
			return
		}
		// Not moved: the result is the caller's; the group only forgets
		// the child.
		t.x.Load().ownScope.Exit(nil)
		t.releaseWaits()
		counted := g.exitChild(t)
		st.caller.Wake()
		close(st.done)
		g.run.exited(counted)
	}()
	err = fn(ctx, st)
	returned = true
}

// Started hands v to the Start caller and moves the child into its group,
// unless the caller is cancelled (see Start). It panics if called twice.
func (st *StartState) Started(v any) {
	st.mu.Lock()
	if st.started {
		st.mu.Unlock()
		panic("anyio: TaskStatus.Started called more than once; a started task signals readiness exactly once")
	}
	st.started = true
	st.value = v
	st.mu.Unlock()
	if !st.t.x.Load().ownScope.MoveTo(st.g.Scope.Context()) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return
	}
	st.moved = true
	st.t.SetParentID(st.g.host.ID())
	st.caller.Wake()
	close(st.done)
}
