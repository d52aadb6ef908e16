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
type Task struct {
	id       uint64
	parentID atomic.Uint64
	name     string
	pc       uintptr
	run      *Run

	ctx      taskCtx // context of a StartSoon child
	ownScope *Scope  // scope of a Start child

	state   atomic.Uint32
	waiting atomic.Pointer[WaitInfo]
	scope   atomic.Pointer[Scope] // innermost scope entered by the task

	group      *Group // the group the task is a child of
	prev, next *Task  // siblings in group.children

	mu     sync.Mutex
	groups *Group // groups hosted by the task (head of a list)
}

// WaitInfo says what a parked task waits on.
type WaitInfo struct {
	What  string    // e.g. "Sleep", "Lock.Acquire"
	Obj   any       // the primitive, if any
	Until time.Time // when the wait ends by itself, if it does
}

func newTask(run *Run, parent *Task, name string, pc uintptr) *Task {
	t := &Task{id: lastTaskID.Add(1), name: name, pc: pc, run: run}
	if parent != nil {
		t.parentID.Store(parent.id)
	}
	return t
}

// ID returns the task's unique ID.
func (t *Task) ID() uint64 { return t.id }

// ParentID returns the ID of the task that started this one (0 for a root).
func (t *Task) ParentID() uint64 { return t.parentID.Load() }

// SetParentID changes the parent (a started task that moved to its group).
func (t *Task) SetParentID(id uint64) { t.parentID.Store(id) }

// Run returns the Run the task belongs to.
func (t *Task) Run() *Run { return t.run }

// Name returns the task's name: the one given, or its function's name.
func (t *Task) Name() string {
	if t.name != "" {
		return t.name
	}
	if t.pc != 0 {
		if f := runtime.FuncForPC(t.pc); f != nil {
			return strings.TrimSuffix(f.Name(), "-fm")
		}
	}
	return "task"
}

// CurrentScope returns the innermost scope the task is in.
func (t *Task) CurrentScope() *Scope { return t.scope.Load() }

// HasPendingCancellation reports whether the task's innermost scope is
// cancelled, so that its next blocking call will fail.
func (t *Task) HasPendingCancellation() bool {
	s := t.scope.Load()
	return s != nil && s.inner != nil && s.inner.Err() != nil
}

// Waiting returns what the task is parked on, or nil when it runs.
func (t *Task) Waiting() *WaitInfo { return t.waiting.Load() }

// Park records that the task blocks in an anyio wait. Every Park is followed
// by Unpark once the task runs again. A nil task (foreign context) is fine.
func (t *Task) Park(w *WaitInfo) {
	if t == nil {
		return
	}
	t.waiting.Store(w)
	t.state.Store(taskParked)
	t.run.blocked()
}

// Unpark records that the parked task runs again.
func (t *Task) Unpark() {
	if t == nil {
		return
	}
	t.waiting.Store(nil)
	if t.state.Swap(taskRunning) == taskParked {
		t.run.running.Add(1)
	}
}

// Wake is called by another task that hands the parked task what it waits for,
// before the hand-off becomes visible: the task counts as running from here,
// so WaitAllTasksBlocked never sees a moment when it is neither.
func (t *Task) Wake() {
	if t == nil {
		return
	}
	if t.state.CompareAndSwap(taskParked, taskWoken) {
		t.run.running.Add(1)
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
}

// NewRun makes a Run whose root task runs fn's goroutine, and the root
// context over parent.
func NewRun(parent context.Context, name string, pc uintptr) (*Run, context.Context) {
	r := &Run{}
	r.root = newTask(r, nil, name, pc)
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
	r := t.run
	for {
		if err := ctx.Err(); err != nil {
			return CancelErr(ctx)
		}
		b := r.joinWAB()
		t.Park(wabInfo)
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
		// again if one did. Callers released together count as running.
		runtime.Gosched()
		if r.running.Load() <= b.n {
			return nil
		}
	}
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
