package core

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var lastTaskID atomic.Uint64

// Task states for the blocked-task accounting of WaitAllTasksBlocked.
const (
	taskRunning uint32 = iota
	taskParked
	taskWoken // handed something by another task; counted as running again
)

// Task is an anyio task: the root of a Run or a goroutine started by a task
// group.
//
// A Task is allocated for every StartSoon, so it is kept small (96 bytes):
// what only some tasks need lives in taskExtra, and what the task's group
// knows (the Run, the parent) is read from the group.
type Task struct {
	*scopeCtx // a StartSoon child is its own context (see context.go); nil for other tasks

	id    atomic.Uint64 // assigned on first use (see ID)
	pc    uintptr
	group *Group     // the group the task is a child of; nil for the root of a Run
	next  *Task      // the next in group.children
	x     *taskExtra // nil for an unnamed StartSoon child; set before the task is published

	state   atomic.Uint32
	exited  atomic.Bool // a child that has finished (see Group.exitChild)
	waiting atomic.Pointer[WaitInfo]
	// waitDone holds the Done channel (a <-chan struct{}) of the context
	// the parked task waits on, if it waits on one: once it is closed, the
	// task is about to run although nobody called Wake.
	waitDone atomic.Value
	scope    atomic.Pointer[Scope] // innermost scope entered by the task; nil: the group's (see CurrentScope)

	groups *Group // groups hosted by the task (head of a list); guarded by Run.groupsMu
}

// taskExtra holds what only some tasks have.
type taskExtra struct {
	name     string
	run      *Run            // the root's Run (a child's is its group's)
	base     context.Context // the parent context of a Run's root task
	ownScope *Scope          // scope of a Start child
	parentID atomic.Uint64   // a Start child's parent: the caller, then the group's host
}

// WaitInfo says what a parked task waits on.
type WaitInfo struct {
	What  string    // e.g. "Sleep", "Lock.Acquire"
	Obj   any       // the primitive, if any
	Until time.Time // when the wait ends by itself, if it does
}

// newChild returns a child task of g; the caller links it into g.
func newChild(g *Group, name string, pc uintptr) *Task {
	// Tasks are carved out of small slabs (g.mu is held): one allocation
	// serves several spawns, which is most of what a spawn costs beyond
	// the goroutine itself. A slab lives as long as any of its tasks is
	// referenced, at most taskSlab tasks' worth of memory.
	// Slabs grow from one task to taskSlab, so a small group does not
	// pay for tasks it never starts.
	if len(g.slab) == 0 {
		g.slabSize = min(max(2*g.slabSize, 1), taskSlab)
		g.slab = make([]Task, g.slabSize)
	}
	t := &g.slab[0]
	g.slab = g.slab[1:]
	t.scopeCtx, t.pc, t.group = &g.Scope.ctx, pc, g
	if name != "" {
		t.x = &taskExtra{name: name}
	}
	return t
}

func (t *Task) extra() *taskExtra {
	if t.x == nil {
		t.x = new(taskExtra)
	}
	return t.x
}

// taskSlab is how many tasks newChild allocates at once.
const taskSlab = 8

// ID returns the task's unique ID.
//
// IDs are assigned on first use rather than at spawn, which keeps a
// process-wide counter off the spawn path; they are unique but say nothing
// about the order in which tasks started.
func (t *Task) ID() uint64 {
	if id := t.id.Load(); id != 0 {
		return id
	}
	id := lastTaskID.Add(1)
	if t.id.CompareAndSwap(0, id) {
		return id
	}
	return t.id.Load()
}

// ParentID returns the ID of the task that started this one (0 for a root).
func (t *Task) ParentID() uint64 {
	if t.x != nil {
		if id := t.x.parentID.Load(); id != 0 {
			return id
		}
	}
	if t.group != nil {
		return t.group.host.ID()
	}
	return 0
}

// SetParentID changes the parent (a started task that moved to its group).
// Only a task with its own scope (a Start child) has its parent set.
func (t *Task) SetParentID(id uint64) { t.x.parentID.Store(id) }

// Run returns the Run the task belongs to.
func (t *Task) Run() *Run {
	if t.group != nil {
		return t.group.run
	}
	return t.x.run
}

// Name returns the task's name: the one given, or its function's name.
func (t *Task) Name() string {
	if t.x != nil && t.x.name != "" {
		return t.x.name
	}
	if t.pc != 0 {
		if f := runtime.FuncForPC(t.pc); f != nil {
			return strings.TrimSuffix(f.Name(), "-fm")
		}
	}
	return "task"
}

// CurrentScope returns the innermost scope the task is in.
func (t *Task) CurrentScope() *Scope {
	if s := t.scope.Load(); s != nil {
		return s
	}
	if t.scopeCtx != nil {
		return t.scopeCtx.s // a StartSoon child not inside a scope of its own
	}
	return nil
}

// HasPendingCancellation reports whether the task's innermost scope is
// cancelled, so that its next blocking call will fail.
func (t *Task) HasPendingCancellation() bool {
	if s := t.CurrentScope(); s != nil {
		return s.ctx.Context != nil && s.ctx.Context.Err() != nil
	}
	return t.x != nil && t.x.base != nil && t.x.base.Err() != nil
}

// Waiting returns what the task is parked on, or nil when it runs.
func (t *Task) Waiting() *WaitInfo { return t.waiting.Load() }

// Park records that the task blocks in an anyio wait that no context ends
// (a task group join). Every Park is followed by Unpark once the task runs
// again. A nil task (foreign context) is fine.
func (t *Task) Park(w *WaitInfo) {
	if t == nil {
		return
	}
	t.waiting.Store(w)
	t.state.Store(taskParked)
	t.Run().blocked()
}

// ParkCtx is Park for a wait that also ends when ctx is done. Once ctx is
// done the task is about to run, and WaitAllTasksBlocked no longer counts it
// as blocked, although nobody called Wake.
func (t *Task) ParkCtx(ctx context.Context, w *WaitInfo) {
	if t == nil {
		return
	}
	t.waitDone.Store(ctx.Done())
	t.Park(w)
}

var noDone <-chan struct{}

// wokenByContext reports whether the task waits (or waited until a moment
// ago) in a wait whose context is done: it is about to run, or already
// counts as running. Unpark clears the context only after the task counts as
// running again, so that there is no moment when it is neither.
func (t *Task) wokenByContext() bool {
	d, _ := t.waitDone.Load().(<-chan struct{})
	if d == nil {
		return false
	}
	select {
	case <-d:
		return true
	default:
		return false
	}
}

// Unpark records that the parked task runs again.
func (t *Task) Unpark() {
	if t == nil {
		return
	}
	t.waiting.Store(nil)
	// Count the task as running before it stops being parked, so that
	// WaitAllTasksBlocked never sees a moment when it is neither; a Wake
	// that came in between has counted it too, so one count is undone.
	if t.state.Load() != taskParked {
		t.state.Store(taskRunning) // woken: Wake counted it
	} else {
		t.Run().running.Add(1)
		if !t.state.CompareAndSwap(taskParked, taskRunning) {
			t.Run().blocked()
			t.state.Store(taskRunning)
		}
	}
	// Only now that the task counts as running: until then, its done wait
	// context is what tells WaitAllTasksBlocked that it is about to run.
	if d, _ := t.waitDone.Load().(<-chan struct{}); d != nil {
		t.waitDone.Store(noDone)
	}
}

// Wake is called by another task that hands the parked task what it waits for,
// before the hand-off becomes visible: the task counts as running from here,
// so WaitAllTasksBlocked never sees a moment when it is neither.
func (t *Task) Wake() {
	if t == nil {
		return
	}
	// As in Unpark: count first, then leave the parked state; undo the
	// count if the task was no longer parked (unparked, or woken by another
	// waker meanwhile).
	if t.state.Load() != taskParked {
		return
	}
	t.Run().running.Add(1)
	if !t.state.CompareAndSwap(taskParked, taskWoken) {
		t.Run().blocked()
	}
}

// Run is one anyio.Run: the root task, its run variables and the blocked-task
// accounting.
type Run struct {
	root    *Task
	running atomic.Int64 // tasks that are not parked

	mu   sync.Mutex
	vars map[any]any
	wab  *wabBatch // callers of WaitAllTasksBlocked waiting now
	wabN atomic.Int32

	groupsMu sync.Mutex // guards Task.groups and Group.prev/next of the run's tasks
}

// NewRun makes a Run whose root task runs fn's goroutine, and the root
// context over parent.
func NewRun(parent context.Context, name string, pc uintptr) (*Run, context.Context) {
	r := &Run{}
	r.root = &Task{pc: pc, x: &taskExtra{name: name, run: r, base: parent}}
	r.running.Store(1)
	return r, &rootCtx{Context: parent, t: r.root}
}

// Root returns the root task.
func (r *Run) Root() *Task { return r.root }

// Finish records that the root task returned.
func (r *Run) Finish() { r.taskExited() }

func (r *Run) taskStarted() { r.running.Add(1) }

func (r *Run) taskExited() {
	if r.running.Add(-1) == 0 && r.wabN.Load() > 0 {
		r.releaseWAB()
	}
}

func (r *Run) blocked() {
	if r.running.Add(-1) == 0 && r.wabN.Load() > 0 {
		r.releaseWAB()
	}
}

func (r *Run) releaseWAB() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running.Load() != 0 || r.wab == nil {
		return
	}
	close(r.wab.done)
	r.wab = nil
	r.wabN.Store(0)
}

// wabBatch is the callers of WaitAllTasksBlocked released together.
type wabBatch struct {
	done chan struct{}
	n    int64
}

func (r *Run) joinWAB() *wabBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wab == nil {
		r.wab = &wabBatch{done: make(chan struct{})}
	}
	r.wab.n++
	r.wabN.Add(1)
	return r.wab
}

func (r *Run) leaveWAB(b *wabBatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wab == b {
		b.n--
		r.wabN.Add(-1)
		if b.n == 0 {
			r.wab = nil
		}
	}
}

var wabInfo = &WaitInfo{What: "WaitAllTasksBlocked"}

// WaitAllTasksBlocked blocks the task of ctx until every task of its Run is
// parked in an anyio wait, with no hand-off pending.
func WaitAllTasksBlocked(ctx context.Context) error {
	t := TaskOf(ctx)
	if t == nil {
		return errNoRun("WaitAllTasksBlocked")
	}
	r := t.Run()
	for {
		if err := ctx.Err(); err != nil {
			return CancelErr(ctx)
		}
		b := r.joinWAB()
		t.ParkCtx(ctx, wabInfo)
		select {
		case <-b.done:
			t.Unpark()
		case <-ctx.Done():
			r.leaveWAB(b)
			t.Unpark()
			return CancelErr(ctx)
		}
		// A task whose wake-up came from a timer or a cancellation counts
		// itself as running only once it runs: let such tasks run, and wait
		// again if one did. Callers released together count as running. A
		// task parked in a wait whose context is done is about to run: wait
		// for it too.
		runtime.Gosched()
		if !r.wokenByContext(t) && r.running.Load() <= b.n {
			return nil
		}
	}
}

// wokenByContext reports whether a task of the run other than self is parked
// in a wait whose context is done.
func (r *Run) wokenByContext(self *Task) bool {
	var walk func(t *Task) bool
	walk = func(t *Task) bool {
		if t != self && t.wokenByContext() {
			return true
		}
		for _, g := range t.Groups() {
			for _, c := range g.Children() {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	return walk(r.root)
}

// Var returns the value of a run variable and whether it is set.
func (r *Run) Var(key any) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vars[key]
	return v, ok
}

// SetVar sets a run variable and returns the previous value.
func (r *Run) SetVar(key, v any) (old any, had bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.vars == nil {
		r.vars = make(map[any]any)
	}
	old, had = r.vars[key]
	r.vars[key] = v
	return old, had
}

// DeleteVar unsets a run variable.
func (r *Run) DeleteVar(key any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.vars, key)
}
