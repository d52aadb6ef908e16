package anyio

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Unlimited is the total of a CapacityLimiter without a limit (AnyIO's
// math.inf).
const Unlimited = math.MaxInt

// CapacityLimiter lends a limited number of tokens to borrowers: AnyIO's
// CapacityLimiter. Unlike a Semaphore, it knows who holds each token: a
// borrower is the task of ctx (Acquire) or any comparable value
// (AcquireOnBehalfOf), and holds at most one token at a time.
//
// Waiters are served in the order in which they arrived: a token that is
// released, or added by SetTotalTokens, is handed straight to the first
// waiter, so it is reserved for that waiter and a concurrent TryAcquire
// cannot take it. A Release synchronizes before the Acquire or TryAcquire
// that borrows the token it gave back.
//
// A task borrows for itself with Acquire and Release, which need the context
// of an anyio task:
//
//	if err := limiter.Acquire(ctx); err != nil {
//		return err // cancelled: no token borrowed
//	}
//	defer limiter.Release(ctx)
//
// Code with any context can borrow on behalf of a value of its choosing with
// AcquireOnBehalfOf and ReleaseOnBehalfOf.
//
// The zero value is a limiter with no tokens. A CapacityLimiter must not be
// copied after first use.
type CapacityLimiter struct {
	mu       sync.Mutex
	total    int
	borrowed int
	// borrowers holds every borrower holding a token (with the order in
	// which it got it, counting from 1), and every value (not a task)
	// waiting for one (0).
	borrowers borrowerSet
	seq       uint64
	q         wait.Queue[struct{}] // Data: the borrower
	info      core.WaitInfo
}

// borrowerSet maps borrowers to what CapacityLimiter.borrowers says. While
// they are few (the common case) they sit in a small slice, searched in
// order, tasks by pointer; once there are more, in a map, until it empties
// again. (A map that keeps going from empty to one entry and back costs a
// fresh random hash seed every time it empties.)
type borrowerSet struct {
	small []borrowEntry
	m     map[any]uint64
	inMap bool
}

// borrowEntry is one borrower: a task, or else a value.
type borrowEntry struct {
	task *core.Task
	val  any
	seq  uint64
}

const smallBorrowers = 16

func (s *borrowerSet) index(b any) int {
	if t, ok := b.(*core.Task); ok {
		for i := range s.small {
			if s.small[i].task == t {
				return i
			}
		}
		return -1
	}
	for i := range s.small {
		if s.small[i].task == nil && s.small[i].val == b {
			return i
		}
	}
	return -1
}

func (s *borrowerSet) get(b any) (uint64, bool) {
	if s.inMap {
		v, ok := s.m[b]
		return v, ok
	}
	if i := s.index(b); i >= 0 {
		return s.small[i].seq, true
	}
	return 0, false
}

func (s *borrowerSet) set(b any, seq uint64) {
	if s.inMap {
		s.m[b] = seq
		return
	}
	if i := s.index(b); i >= 0 {
		s.small[i].seq = seq
		return
	}
	if len(s.small) < smallBorrowers {
		e := borrowEntry{seq: seq}
		if t, ok := b.(*core.Task); ok {
			e.task = t
		} else {
			e.val = b
		}
		s.small = append(s.small, e)
		return
	}
	if s.m == nil {
		s.m = make(map[any]uint64, 2*smallBorrowers)
	}
	for _, e := range s.small {
		s.m[e.borrower()] = e.seq
	}
	clear(s.small)
	s.small = s.small[:0]
	s.m[b] = seq
	s.inMap = true
}

func (s *borrowerSet) delete(b any) {
	if s.inMap {
		delete(s.m, b)
		s.inMap = len(s.m) > 0
		return
	}
	if i := s.index(b); i >= 0 {
		last := len(s.small) - 1
		s.small[i] = s.small[last]
		s.small[last] = borrowEntry{}
		s.small = s.small[:last]
	}
}

func (e *borrowEntry) borrower() any {
	if e.task != nil {
		return e.task
	}
	return e.val
}

// each calls f for every borrower.
func (s *borrowerSet) each(f func(b any, seq uint64)) {
	if s.inMap {
		for b, seq := range s.m {
			f(b, seq)
		}
		return
	}
	for i := range s.small {
		f(s.small[i].borrower(), s.small[i].seq)
	}
}

var ()

// NewCapacityLimiter returns a limiter with total tokens; Unlimited means no
// limit. It panics if total is negative.
func NewCapacityLimiter(total int) *CapacityLimiter {
	if total < 0 {
		panic(fmt.Sprintf("anyio: NewCapacityLimiter(%d): the total number of tokens must be >= 0 (Unlimited for no limit)", total))
	}
	return &CapacityLimiter{total: total}
}

// Acquire borrows a token for the task of ctx, blocking until one is free or
// ctx is cancelled; then it returns a cancellation error and borrows nothing.
// Cancellation is level-triggered: in a cancelled scope Acquire fails even
// when a token is free. A token handed to a waiter at the very moment its ctx
// is cancelled goes on to the next waiter.
//
// It returns an error at once if the task already holds a token of this
// limiter, or if ctx carries no anyio task (use AcquireOnBehalfOf then). Two
// goroutines of one task (a bare go statement shares its task) that wait at
// once do not get two tokens: the second gets that error instead.
func (cl *CapacityLimiter) Acquire(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if t == nil {
		return ErrNoBorrowerTask
	}
	return cl.acquire(ctx, t)
}

// AcquireOnBehalfOf is Acquire for borrower, any comparable value (a map key
// type): the token is lent to borrower rather than to the task of ctx, which
// only does the waiting. It returns an error if borrower is nil, not
// comparable, or already holding or waiting for a token of this limiter.
func (cl *CapacityLimiter) AcquireOnBehalfOf(ctx context.Context, borrower any) error {
	if err := checkBorrower(borrower); err != nil {
		return err
	}
	return cl.acquire(ctx, borrower)
}

func (cl *CapacityLimiter) acquire(ctx context.Context, b any) error {
	cl.mu.Lock()
	if err := cl.checkFreeLocked(b); err != nil {
		cl.mu.Unlock()
		return err
	}
	if ctx.Err() != nil {
		cl.mu.Unlock()
		return core.CancelErr(ctx)
	}
	if cl.borrowed < cl.total {
		cl.lendLocked(b)
		cl.mu.Unlock()
		return nil
	}
	_, isTask := b.(*core.Task)
	if !isTask {
		// A task waits only in its own goroutine; a value may be waited
		// for by several, so it is marked as waiting.
		cl.borrowers.set(b, 0)
	}
	w := wait.New[struct{}](ctx)
	w.Data = b
	cl.q.Push(w)
	if cl.info.Obj == nil {
		cl.info = core.WaitInfo{What: "CapacityLimiter.Acquire", Obj: cl}
	}
	cl.mu.Unlock()
	if w.Await(&cl.mu, &cl.q, &cl.info) {
		if f, ok := w.Data.(limiterRefusal); ok {
			w.Free()
			return f.err
		}
		if ctx.Err() == nil {
			w.Free()
			return nil
		}
		// Handed a token as ctx was cancelled: pass it on.
		cl.mu.Lock()
	} else if !w.Handed {
		if !isTask {
			cl.borrowers.delete(b)
		}
		cl.mu.Unlock()
		w.Free()
		return core.CancelErr(ctx)
	} else if f, ok := w.Data.(limiterRefusal); ok {
		cl.mu.Unlock()
		w.Free()
		return f.err
	}
	next := cl.releaseLocked(b)
	cl.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	w.Free()
	return core.CancelErr(ctx)
}

// checkFreeLocked returns an error if b holds or waits for a token.
// cl.mu is held.
func (cl *CapacityLimiter) checkFreeLocked(b any) error {
	if seq, ok := cl.borrowers.get(b); ok {
		if seq == 0 {
			return ErrBorrowerWaiting
		}
		return ErrBorrowerHolding
	}
	return nil
}

// lendLocked lends a token to b. cl.mu is held.
func (cl *CapacityLimiter) lendLocked(b any) {
	cl.borrowed++
	cl.seq++
	cl.borrowers.set(b, cl.seq)
}

func checkBorrower(b any) error {
	if b == nil {
		return ErrNilBorrower
	}
	if !reflect.ValueOf(b).Comparable() {
		return fmt.Errorf("%w: a borrower of type %T is not comparable (it cannot be a map key); pass a pointer or another comparable value", ErrBorrowerNotComparable, b)
	}
	return nil
}

// TryAcquire borrows a token for the task of ctx if one is free, without
// blocking, and returns ErrWouldBlock otherwise (a token handed to a waiting
// task is not free). It returns the errors of Acquire for a task that
// already holds a token or a ctx without a task, and does not check ctx for
// cancellation.
func (cl *CapacityLimiter) TryAcquire(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if t == nil {
		return ErrNoBorrowerTask
	}
	return cl.tryAcquire(t)
}

// TryAcquireOnBehalfOf is TryAcquire for borrower, with the errors of
// AcquireOnBehalfOf.
func (cl *CapacityLimiter) TryAcquireOnBehalfOf(borrower any) error {
	if err := checkBorrower(borrower); err != nil {
		return err
	}
	return cl.tryAcquire(borrower)
}

func (cl *CapacityLimiter) tryAcquire(b any) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if err := cl.checkFreeLocked(b); err != nil {
		return err
	}
	if cl.borrowed >= cl.total {
		return ErrWouldBlock
	}
	cl.lendLocked(b)
	return nil
}

// Release returns the token borrowed by the task of ctx and hands it to the
// first waiter, if any. It never blocks. It returns an error if the task holds
// no token of this limiter or ctx carries no anyio task.
func (cl *CapacityLimiter) Release(ctx context.Context) error {
	t := core.TaskOf(ctx)
	if t == nil {
		return ErrNoBorrowerTask
	}
	return cl.release(t)
}

// ReleaseOnBehalfOf returns the token borrowed by borrower and hands it to
// the first waiter, if any. It never blocks. It returns an error if borrower
// holds no token of this limiter.
func (cl *CapacityLimiter) ReleaseOnBehalfOf(borrower any) error {
	if err := checkBorrower(borrower); err != nil {
		return err
	}
	return cl.release(borrower)
}

func (cl *CapacityLimiter) release(b any) error {
	cl.mu.Lock()
	if seq, ok := cl.borrowers.get(b); !ok || seq == 0 {
		cl.mu.Unlock()
		return ErrBorrowerNotHolding
	}
	next := cl.releaseLocked(b)
	cl.mu.Unlock()
	if next != nil {
		next.Signal()
	}
	return nil
}

// releaseLocked takes the token of b back and lends it to the first live
// waiter, returned to be signalled once cl.mu is released. cl.mu is held.
func (cl *CapacityLimiter) releaseLocked(b any) *wait.Waiter[struct{}] {
	cl.borrowers.delete(b)
	cl.borrowed--
	return cl.lendNextLocked()
}

// limiterRefusal, in a waiter's Data, ends its wait with err instead of a
// token (a borrower may itself be an error value: hence the wrapper).
type limiterRefusal struct{ err error }

// lendNextLocked lends a free token, if there is one, to the first live
// waiter and returns it marked, to be signalled. cl.mu is held.
func (cl *CapacityLimiter) lendNextLocked() *wait.Waiter[struct{}] {
	for cl.borrowed < cl.total {
		w := cl.q.PopReady()
		if w == nil {
			return nil
		}
		if t, ok := w.Data.(*core.Task); ok {
			if _, held := cl.borrowers.get(t); held {
				// Two goroutines of one task (a bare go statement) waited:
				// the second gets the error of a second Acquire.
				w.Data = limiterRefusal{ErrBorrowerHolding}
				w.Hand(struct{}{})
				continue
			}
		}
		cl.lendLocked(w.Data)
		w.Mark(struct{}{})
		return w
	}
	return nil
}

// wakeLocked lends free tokens to live waiters. cl.mu is held.
func (cl *CapacityLimiter) wakeLocked() {
	for {
		w := cl.lendNextLocked()
		if w == nil {
			return
		}
		w.Signal()
	}
}

// TotalTokens returns the total number of tokens (Unlimited for no limit).
func (cl *CapacityLimiter) TotalTokens() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.total
}

// SetTotalTokens changes the total number of tokens. Raising it hands the new
// tokens to waiters at once; lowering it takes no token back: borrowers keep
// theirs until they release them, and no new token is lent until fewer than
// n are borrowed. A negative n is an error (Unlimited means no limit).
func (cl *CapacityLimiter) SetTotalTokens(n int) error {
	if n < 0 {
		return fmt.Errorf("%w: CapacityLimiter.SetTotalTokens(%d): the total number of tokens must be >= 0 (Unlimited for no limit)", ErrInvalidArgument, n)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.total = n
	cl.wakeLocked()
	return nil
}

// BorrowedTokens returns the number of tokens lent (including those handed to
// waiters that have not returned from Acquire yet).
func (cl *CapacityLimiter) BorrowedTokens() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.borrowed
}

// AvailableTokens returns the number of tokens free to borrow: zero while
// more are borrowed than a lowered total allows.
func (cl *CapacityLimiter) AvailableTokens() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return max(cl.total-cl.borrowed, 0)
}

// CapacityLimiterStatistics is a snapshot of a CapacityLimiter's state.
type CapacityLimiterStatistics struct {
	BorrowedTokens int
	TotalTokens    int
	// Borrowers holds the borrowers of the lent tokens, in the order in which
	// they got them: a TaskInfo for a task, the value given to
	// AcquireOnBehalfOf otherwise.
	Borrowers    []any
	TasksWaiting int // tasks blocked in Acquire
}

// Statistics returns a snapshot of the limiter's state.
func (cl *CapacityLimiter) Statistics() CapacityLimiterStatistics {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	type held struct {
		b   any
		seq uint64
	}
	var hs []held
	cl.borrowers.each(func(b any, seq uint64) {
		if seq != 0 {
			hs = append(hs, held{b, seq})
		}
	})
	slices.SortFunc(hs, func(x, y held) int { return cmp.Compare(x.seq, y.seq) })
	s := CapacityLimiterStatistics{
		BorrowedTokens: cl.borrowed,
		TotalTokens:    cl.total,
		Borrowers:      make([]any, 0, len(hs)),
		TasksWaiting:   cl.q.Live(),
	}
	for _, h := range hs {
		if t, ok := h.b.(*core.Task); ok {
			s.Borrowers = append(s.Borrowers, taskInfo(t))
		} else {
			s.Borrowers = append(s.Borrowers, h.b)
		}
	}
	return s
}
