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
	taskRunning uint64 = iota
	taskParked
	taskWoken  // handed something by another task; counted as running again
	taskExited // a group child that has finished (see Group.exitChild)
)

// Task.word packs the task's ID, kind, state and the two bits of the
// blocked-task accounting: id<<idShift | visitBit | countedBit | kind<<2 |
// state. The ID and kind are set before the task is published and never
// change; the state changes with every park.
const (
	stateMask  = 3
	kindShift  = 2
	countedBit = 1 << 4 // the task is counted in Run.running
	// visitBit is flipped by a watcher's visit of a parked task: a wake-up
	// of the task that read its word before the visit then fails its
	// compare-and-swap, and reads Run.watch again (see Run).
	visitBit = 1 << 5
	idShift  = 6
)

// Task is an anyio task: the root of a Run or a goroutine started by a task
// group.
//
// A Task is allocated for every StartSoon, and its size is most of what a
// spawn allocates beyond the goroutine itself (and so most of the garbage
// collection a spawn causes), so it is kept to 40 bytes: the ID, kind and
// state share one word, and what only some tasks need lives apart, made on
// first use: the record of a wait in taskWait, the rest (a name, entered
// scopes, hosted groups) in taskExtra. The ID stays in the task itself: a
// Lock compares it on every acquire and release.
type Task struct {
	group *Group // the group the task is a child of; nil for the root of a Run
	x     atomic.Pointer[taskExtra]
	wait  atomic.Pointer[taskWait] // made on the first park
	pc    uintptr
	word  atomic.Uint64 // ID, kind and state (see idShift)
}

// Task kinds.
const (
	taskSoon    uint64 = iota // a StartSoon child: its own context (see context.go)
	taskStarted               // a Start child: its context is its own scope's
	taskRoot                  // the root of a Run
)

// kind returns the task's kind.
func (t *Task) kind() uint64 { return t.word.Load() >> kindShift & 3 }

// state returns the task's state.
func (t *Task) state() uint64 { return t.word.Load() & stateMask }

// taskExtra holds what only some tasks have.
type taskExtra struct {
	name     string
	run      *Run                  // the root's Run (a child's is its group's)
	base     context.Context       // the parent context of a Run's root task
	ownScope *Scope                // scope of a Start child
	parentID atomic.Uint64         // a Start child's parent: the caller, then the group's host
	scope    atomic.Pointer[Scope] // innermost scope entered by the task; nil: the group's (see CurrentScope)
	groups   *Group                // groups hosted by the task (head of a list); guarded by Run.groupsMu
}

// taskWait is what a task that parks records of its wait.
type taskWait struct {
	info atomic.Pointer[WaitInfo] // what the task is parked on; nil while it runs
	// done holds the Done channel (a <-chan struct{}) of the context the
	// parked task waits on, if it waits on one: once it is closed, the task
	// is about to run although nobody called Wake.
	done atomic.Value
	regs atomic.Pointer[waitRegs] // made on the first wait in a queue (see BeginWait)
}

// waitRecord returns the task's taskWait, making it on first use.
func (t *Task) waitRecord() *taskWait {
	if w := t.wait.Load(); w != nil {
		return w
	}
	w := new(taskWait)
	if t.wait.CompareAndSwap(nil, w) {
		return w
	}
	return t.wait.Load() // made meanwhile by a goroutine sharing the task
}

// WaitInfo says what a parked task waits on.
type WaitInfo struct {
	What  string    // e.g. "Sleep", "Lock.Acquire"
	Obj   any       // the primitive, if any
	Until time.Time // when the wait ends by itself, if it does

	// Ready, for a wait on a descriptor's readiness, reports whether the
	// descriptor is ready: the runtime is about to wake the task, and
	// WaitAllTasksBlocked waits for it as for a task whose wait's context
	// is done. It is called from other goroutines while the task is
	// parked, or a moment after: a stale true only makes
	// WaitAllTasksBlocked look again.
	Ready func() bool
}

// extra returns the task's taskExtra, making it on first use. Any goroutine
// may call it.
func (t *Task) extra() *taskExtra {
	if x := t.x.Load(); x != nil {
		return x
	}
	x := new(taskExtra)
	if t.x.CompareAndSwap(nil, x) {
		return x
	}
	return t.x.Load()
}

// ID returns the task's unique ID.
//
// IDs are handed to groups in blocks (see Group.nextIDLocked), which keeps a
// process-wide counter off the path of most spawns: they are unique, and
// increase in the order in which a group starts its tasks, but say nothing
// about the order of tasks of different groups.
func (t *Task) ID() uint64 { return t.word.Load() >> idShift }

// ParentID returns the ID of the task that started this one (0 for a root).
func (t *Task) ParentID() uint64 {
	if x := t.x.Load(); x != nil {
		if id := x.parentID.Load(); id != 0 {
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
func (t *Task) SetParentID(id uint64) { t.extra().parentID.Store(id) }

// Run returns the Run the task belongs to.
func (t *Task) Run() *Run {
	if t.group != nil {
		return t.group.run
	}
	return t.x.Load().run
}

// Name returns the task's name: the one given, or its function's name.
func (t *Task) Name() string {
	if x := t.x.Load(); x != nil && x.name != "" {
		return x.name
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
	x := t.x.Load()
	if x != nil {
		if s := x.scope.Load(); s != nil {
			return s
		}
	}
	switch t.kind() {
	case taskSoon:
		return t.group.Scope // a StartSoon child not inside a scope of its own
	case taskStarted:
		return x.ownScope
	}
	return nil
}

// enteredScope records s as the task's innermost scope and returns the one
// before it.
func (t *Task) enteredScope(s *Scope) *Scope { return t.extra().scope.Swap(s) }

// leftScope restores prev as the innermost scope if s still is.
func (t *Task) leftScope(s, prev *Scope) {
	if x := t.x.Load(); x != nil {
		x.scope.CompareAndSwap(s, prev)
	}
}

// HasPendingCancellation reports whether the task's innermost scope is
// cancelled, so that its next blocking call will fail.
func (t *Task) HasPendingCancellation() bool {
	if s := t.CurrentScope(); s != nil {
		return s.ctx.Context != nil && s.ctx.Context.Err() != nil
	}
	x := t.x.Load()
	return x != nil && x.base != nil && x.base.Err() != nil
}

// Waiting returns what the task is parked on, or nil when it runs.
func (t *Task) Waiting() *WaitInfo {
	if w := t.wait.Load(); w != nil {
		return w.info.Load()
	}
	return nil
}

// Park records that the task blocks in an anyio wait that no context ends
// (a task group join). Every Park is followed by Unpark once the task runs
// again. A nil task (foreign context) is fine.
func (t *Task) Park(w *WaitInfo) {
	if t == nil {
		return
	}
	t.waitRecord().info.Store(w)
	for {
		v := t.word.Load()
		if v&stateMask == taskWoken {
			// Woken before it parked (see Wake): what it waits for is
			// there, and it goes on counting as running.
			return
		}
		if t.word.CompareAndSwap(v, v&^(stateMask|countedBit)|taskParked) {
			if v&countedBit != 0 {
				t.Run().uncount()
			}
			return
		}
	}
}

// ParkCtx is Park for a wait that also ends when ctx is done. Once ctx is
// done the task is about to run, and WaitAllTasksBlocked no longer counts it
// as blocked, although nobody called Wake.
func (t *Task) ParkCtx(ctx context.Context, w *WaitInfo) {
	if t == nil {
		return
	}
	t.ParkDone(ctx.Done(), w)
}

// ParkDone is ParkCtx for a caller that has the context's Done channel
// already.
func (t *Task) ParkDone(done <-chan struct{}, w *WaitInfo) {
	if t == nil {
		return
	}
	t.waitRecord().done.Store(done)
	t.Park(w)
}

// ParkIO is ParkDone for a wait on a descriptor's readiness, which another
// goroutine sharing the task (a net.Conn made by AsConn, used by a server's
// goroutines) may do at the same time: it parks the task only if it
// counts as running, and reports whether it did. Only a true result is
// followed by Unpark. A nil task returns false.
func (t *Task) ParkIO(done <-chan struct{}, w *WaitInfo) bool {
	if t == nil {
		return false
	}
	for {
		v := t.word.Load()
		if v&stateMask != taskRunning {
			return false // parked by a goroutine sharing it, or woken
		}
		if t.word.CompareAndSwap(v, v&^(stateMask|countedBit)|taskParked) {
			wr := t.waitRecord()
			wr.info.Store(w)
			wr.done.Store(done)
			// Uncounted only once the wait is recorded: a watcher whose
			// count this ends sees the wait's Done channel.
			if v&countedBit != 0 {
				t.Run().uncount()
			}
			return true
		}
	}
}

var noDone <-chan struct{}

// wokenByContext reports whether the task waits (or waited until a moment
// ago) in a wait whose context is done: it is about to run, or already
// counts as running. Unpark clears the context only after the task counts as
// running again, so that there is no moment when it is neither. So does a
// task parked on a descriptor that is ready (WaitInfo.Ready): the runtime
// wakes it once its poller sees the readiness, which may be later than the
// system call that made the descriptor ready (a peer's send).
func (t *Task) wokenByContext() bool {
	w := t.wait.Load()
	if w == nil {
		return false
	}
	if info := w.info.Load(); info != nil && info.Ready != nil && info.Ready() {
		return true
	}
	d, _ := w.done.Load().(<-chan struct{})
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
	w := t.wait.Load()
	info := w.info.Load()
	r := t.Run()
	// While a watcher counts, count the task as running before it stops
	// being parked, so that WaitAllTasksBlocked never sees a moment when
	// it is neither; a Wake that came in between has counted it already,
	// so one count is undone. watch is read after the word: see Run.
	added := false
	for {
		v := t.word.Load()
		nv := v &^ stateMask
		if v&countedBit == 0 && r.watch.Load() {
			if !added {
				r.running.Add(1)
				added = true
			}
			nv |= countedBit
			added = !t.word.CompareAndSwap(v, nv)
			if !added {
				break
			}
			continue
		}
		if t.word.CompareAndSwap(v, nv) {
			break
		}
	}
	if added {
		r.uncount()
	}
	// Only now that the task counts as running: until then, its done wait
	// context, or its wait's Ready, is what tells WaitAllTasksBlocked that
	// it is about to run. (A ParkIO of a goroutine sharing the task may
	// have recorded its own wait meanwhile: that one stays.)
	w.info.CompareAndSwap(info, nil)
	if d, _ := w.done.Load().(<-chan struct{}); d != nil {
		w.done.Store(noDone)
	}
}

// Wake is called by another task that hands the parked task what it waits for,
// before the hand-off becomes visible: the task counts as running from here,
// so WaitAllTasksBlocked never sees a moment when it is neither. A task that
// has not parked yet (it is on its way into the wait that the hand-off ends)
// is marked woken too: its Park then leaves it counted as running, and its
// Unpark (or ClearWake, if it took the hand-off without parking) clears
// the mark.
func (t *Task) Wake() {
	if t == nil {
		return
	}
	// As in Unpark: count first (while a watcher counts), then leave the
	// parked state; undo the count if the task was woken or exited
	// meanwhile.
	if st := t.state(); st == taskWoken || st == taskExited {
		return
	}
	r := t.Run()
	added := false
	for {
		v := t.word.Load()
		if st := v & stateMask; st == taskWoken || st == taskExited {
			break
		}
		nv := v&^stateMask | taskWoken
		if v&countedBit == 0 && r.watch.Load() {
			if !added {
				r.running.Add(1)
				added = true
			}
			if t.word.CompareAndSwap(v, nv|countedBit) {
				return
			}
			continue
		}
		if t.word.CompareAndSwap(v, nv) {
			break
		}
	}
	if added {
		r.uncount()
	}
}

// ClearWake ends the mark of a Wake that came before the task parked, when
// the task took the hand-off without parking at all.
func (t *Task) ClearWake() {
	if t == nil {
		return
	}
	for {
		v := t.word.Load()
		if v&stateMask != taskWoken || t.word.CompareAndSwap(v, v&^stateMask) {
			return
		}
	}
}

// count is a watcher's visit of t, whatever t does meanwhile: a task that
// runs (or was woken) is counted as running; a parked one gets its visitBit
// flipped, so that it counts itself when it runs again (see Run); an exited
// one is left alone.
func (r *Run) count(t *Task) {
	added := false
	for {
		v := t.word.Load()
		st := v & stateMask
		if st == taskExited || v&countedBit != 0 {
			break
		}
		if st == taskParked {
			if t.word.CompareAndSwap(v, v^visitBit) {
				break
			}
			continue
		}
		if !added {
			r.running.Add(1)
			added = true
		}
		if t.word.CompareAndSwap(v, v|countedBit) {
			return
		}
	}
	if added {
		r.uncount()
	}
}

// exitTask marks t exited and reports whether it was counted as running:
// the caller then calls r.exited once nothing it does after the exit (such
// as waking the group's host) may run unseen.
func (t *Task) exitTask() bool {
	for {
		v := t.word.Load()
		if t.word.CompareAndSwap(v, v&^(stateMask|countedBit)|taskExited) {
			return v&countedBit != 0
		}
	}
}

// Run is one anyio.Run: the root task, its run variables and the blocked-task
// accounting.
//
// The accounting is done only while a caller of WaitAllTasksBlocked watches:
// otherwise a park or a wake-up touches only the task's own word, not a
// counter that every task of the Run shares (a contended cache line on every
// wait). running counts the tasks whose countedBit is set: a task sets it
// (after adding one to running) when it starts or runs again while watch is
// set, and clears it (then subtracts one) when it parks or exits. A watcher
// that arrives sets watch, then visits every task (count): it counts the
// running ones and flips the visitBit of the parked ones. A task that runs
// again reads its word, then watch, then swaps its word: if the visit came
// after that swap, the visit counts the task; if it came before the read of
// the word, the read of watch sees it set; if in between, the swap fails
// and the task reads both again. So none is missed, and once the visit is
// over, running is exact until the last watcher leaves.
type Run struct {
	root    *Task
	running atomic.Int64 // tasks with countedBit set
	watch   atomic.Bool  // a caller of WaitAllTasksBlocked watches: tasks that run count themselves

	mu       sync.Mutex
	vars     map[any]any
	wab      *wabBatch // callers of WaitAllTasksBlocked waiting now
	wabN     atomic.Int32
	watchers int        // callers of WaitAllTasksBlocked; guarded by mu
	counted  bool       // every task was visited since watch was set; guarded by mu
	countMu  sync.Mutex // one visit of the tasks at a time

	groupsMu sync.Mutex // guards taskExtra.groups and Group.prev/next of the run's tasks

	finished bool     // the root task has returned; guarded by mu
	atFinish []func() // see AtFinish; guarded by mu
}

// NewRun makes a Run whose root task runs fn's goroutine, and the root
// context over parent.
func NewRun(parent context.Context, name string, pc uintptr) (*Run, context.Context) {
	r := &Run{}
	r.root = &Task{pc: pc}
	r.root.word.Store(lastTaskID.Add(1)<<idShift | taskRoot<<kindShift)
	r.root.x.Store(&taskExtra{name: name, run: r, base: parent})
	return r, &rootCtx{Context: parent, t: r.root}
}

// Root returns the root task.
func (r *Run) Root() *Task { return r.root }

// Finish records that the root task returned, and runs the AtFinish
// functions.
func (r *Run) Finish() {
	r.mu.Lock()
	fs := r.atFinish
	r.atFinish, r.finished = nil, true
	r.mu.Unlock()
	for _, f := range fs {
		f()
	}
	r.root.releaseWaits()
	r.exited(r.root.exitTask())
}

// AtFinish registers f to run once the root task has returned, on its
// goroutine, in the order of registration: where machinery kept per Run (the
// worker pools of tothread and toprocess) is shut down. It returns false, and
// does not keep f, if the Run has finished already.
func (r *Run) AtFinish(f func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return false
	}
	r.atFinish = append(r.atFinish, f)
	return true
}

// taskStarted counts t, a new task published in its group's list, if a
// watcher counts.
func (r *Run) taskStarted(t *Task) {
	if r.watch.Load() {
		r.count(t)
	}
}

// exited ends the count of an exited task that was counted (see exitTask).
func (r *Run) exited(counted bool) {
	if counted {
		r.uncount()
	}
}

// uncount subtracts a task from running, and releases the waiting callers
// of WaitAllTasksBlocked if that was the last.
func (r *Run) uncount() {
	if r.running.Add(-1) == 0 && r.wabN.Load() > 0 {
		r.releaseWAB()
	}
}

// watchBegin and watchEnd bracket a call of WaitAllTasksBlocked.
func (r *Run) watchBegin() {
	r.mu.Lock()
	r.watchers++
	if r.watchers == 1 {
		r.watch.Store(true)
	}
	r.mu.Unlock()
	r.countMu.Lock()
	defer r.countMu.Unlock()
	r.mu.Lock()
	done := r.counted
	r.mu.Unlock()
	if done {
		return
	}
	// Tasks started from here on count themselves (taskStarted); those
	// that run again count themselves too (watch is set).
	var visit func(t *Task)
	visit = func(t *Task) {
		r.count(t)
		for _, g := range t.Groups() {
			for _, c := range g.Children() {
				visit(c)
			}
		}
	}
	visit(r.root)
	r.mu.Lock()
	r.counted = true
	r.mu.Unlock()
}

func (r *Run) watchEnd() {
	r.mu.Lock()
	r.watchers--
	if r.watchers == 0 {
		r.watch.Store(false)
		r.counted = false
	}
	r.mu.Unlock()
}

func (r *Run) releaseWAB() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.counted || r.running.Load() != 0 || r.wab == nil {
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
	r.watchBegin()
	defer r.watchEnd()
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
		// task parked in a wait whose context is done, or on a descriptor
		// that is ready, is about to run: wait for it too.
		runtime.Gosched()
		if !r.wokenByContext(t) && r.running.Load() <= b.n {
			return nil
		}
	}
}

// wokenByContext reports whether a task of the run other than self is parked
// in a wait whose context is done, or on a descriptor that is ready.
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
