package anyio

import (
	"context"
	"math"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Unbounded is the buffer size of a memory object stream whose buffer has no
// limit (AnyIO's math.inf): Send then never blocks.
const Unbounded = math.MaxInt

// MemoryObjectStreamStatistics describes the state of a memory object stream
// at one moment (AnyIO's MemoryObjectStreamStatistics).
type MemoryObjectStreamStatistics struct {
	CurrentBufferUsed   int // items in the buffer
	MaxBufferSize       int // the buffer's capacity (Unbounded for no limit)
	OpenSendStreams     int // send handles (clones included) not yet closed
	OpenReceiveStreams  int // receive handles (clones included) not yet closed
	TasksWaitingSend    int // tasks blocked in Send
	TasksWaitingReceive int // tasks blocked in Receive
}

// memState is what the handles of one memory object stream share.
//
// Invariants, under mu: a live receiver waits only while the buffer is empty,
// and a live sender only while the buffer is full (senders hand their item to
// a waiting receiver before buffering it; receivers refill the buffer from a
// waiting sender). Each waiter's Data is the handle it waits through, until a
// waker replaces it with nil (an item was handed over) or with the error that
// ends the wait.
type memState[T any] struct {
	mu       sync.Mutex
	buf      ring[T]
	max      int
	openSend int
	openRecv int
	sendQ    wait.Queue[T] // each waiter's Val is the item it sends
	recvQ    wait.Queue[T] // each waiter's Val receives the item handed to it
	sendInfo core.WaitInfo
	recvInfo core.WaitInfo
}

// NewMemoryObjectStream creates a memory object stream: an in-process channel
// for items of type T between tasks, with a send handle and a receive handle
// (AnyIO's create_memory_object_stream).
//
// maxBufferSize is how many items the stream holds before Send blocks: 0 makes
// every Send wait for a Receive (a rendezvous), [Unbounded] never blocks a
// Send. NewMemoryObjectStream panics if maxBufferSize is negative.
//
// Each item is delivered exactly once. Both handles may be used by any number
// of tasks at once and cloned ([MemoryObjectSendStream.Clone],
// [MemoryObjectReceiveStream.Clone]); waiting senders and receivers are served
// in FIFO order.
func NewMemoryObjectStream[T any](maxBufferSize int) (*MemoryObjectSendStream[T], *MemoryObjectReceiveStream[T]) {
	if maxBufferSize < 0 {
		panic("anyio: NewMemoryObjectStream: maxBufferSize cannot be negative; use 0 for a rendezvous stream or anyio.Unbounded for no limit")
	}
	st := &memState[T]{max: maxBufferSize, openSend: 1, openRecv: 1}
	st.sendInfo = core.WaitInfo{What: "MemoryObjectSendStream.Send", Obj: st}
	st.recvInfo = core.WaitInfo{What: "MemoryObjectReceiveStream.Receive", Obj: st}
	return &MemoryObjectSendStream[T]{st: st}, &MemoryObjectReceiveStream[T]{st: st}
}

func (st *memState[T]) statistics() MemoryObjectStreamStatistics {
	st.mu.Lock()
	defer st.mu.Unlock()
	return MemoryObjectStreamStatistics{
		CurrentBufferUsed:   st.buf.n,
		MaxBufferSize:       st.max,
		OpenSendStreams:     st.openSend,
		OpenReceiveStreams:  st.openRecv,
		TasksWaitingSend:    st.sendQ.Live(),
		TasksWaitingReceive: st.recvQ.Live(),
	}
}

// endWaits ends the waits that q holds through handle (any handle when handle
// is nil) with err. st.mu is held; the caller signals the waiters returned
// once it has released st.mu.
func endWaits[T any](ws []*wait.Waiter[T], q *wait.Queue[T], handle any, err error) []*wait.Waiter[T] {
	n := len(ws)
	q.All(func(w *wait.Waiter[T]) bool {
		if handle == nil || w.Data == handle {
			ws = append(ws, w)
		}
		return true
	})
	var zero T
	for _, w := range ws[n:] {
		q.Remove(w)
		w.Data = err
		w.Mark(zero)
	}
	return ws
}

func signalAll[T any](ws []*wait.Waiter[T]) {
	for _, w := range ws {
		w.Signal()
	}
}

// MemoryObjectSendStream is the sending handle of a memory object stream
// (AnyIO's MemoryObjectSendStream). Its methods are safe for concurrent use.
type MemoryObjectSendStream[T any] struct {
	st     *memState[T]
	closed bool // guarded by st.mu
}

var _ ObjectSendStream[int] = (*MemoryObjectSendStream[int])(nil)

// Send sends item, blocking while the buffer is full and no receiver waits.
//
// It returns nil once the item was handed to a receiver or put in the buffer;
// [ErrClosedResource] if this handle was closed (also while Send waits),
// [ErrBrokenResource] if every receive handle is closed (also while Send
// waits), and a cancellation error if ctx is cancelled before the item was
// taken. Whenever Send returns an error, the item was not delivered; a Send
// whose item was taken at the moment ctx was cancelled returns nil. In a
// cancelled scope Send fails without sending, even when it would not block.
func (s *MemoryObjectSendStream[T]) Send(ctx context.Context, item T) error {
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	st := s.st
	st.mu.Lock()
	if peer, err := s.trySendLocked(item); err != ErrWouldBlock {
		st.mu.Unlock()
		if peer != nil {
			peer.Signal()
		}
		return err
	}
	w := wait.New[T](ctx)
	w.Val = item
	w.Data = s
	st.sendQ.Push(w)
	st.mu.Unlock()
	handed := w.Await(&st.mu, &st.sendQ, &st.sendInfo)
	if !handed { // st.mu is held
		handed = w.Handed
		st.mu.Unlock()
	}
	var err error
	if !handed {
		err = core.CancelErr(ctx)
	} else if e, ok := w.Data.(error); ok {
		err = e
	}
	w.Free()
	return err
}

// TrySend sends item if it can do so without blocking: to a waiting receiver
// or into the buffer. Otherwise it returns [ErrWouldBlock]; it also returns
// [ErrClosedResource] and [ErrBrokenResource] as [MemoryObjectSendStream.Send]
// does. TrySend never blocks and takes no context (AnyIO's send_nowait).
func (s *MemoryObjectSendStream[T]) TrySend(item T) error {
	s.st.mu.Lock()
	peer, err := s.trySendLocked(item)
	s.st.mu.Unlock()
	if peer != nil {
		peer.Signal()
	}
	return err
}

// trySendLocked sends item without blocking, under st.mu. A receiver it
// handed the item to is returned, to be signalled once st.mu is released.
func (s *MemoryObjectSendStream[T]) trySendLocked(item T) (*wait.Waiter[T], error) {
	st := s.st
	if s.closed {
		return nil, ErrClosedResource
	}
	if st.openRecv == 0 {
		return nil, ErrBrokenResource
	}
	if w := st.recvQ.PopReady(); w != nil {
		w.Data = nil
		w.Mark(item)
		return w, nil
	}
	if st.buf.n < st.max {
		st.buf.push(item, st.max)
		return nil, nil
	}
	return nil, ErrWouldBlock
}

// Clone returns a new send handle of the same stream. Each handle is closed
// separately; the stream's sending end counts as closed only once every
// handle is. Clone panics if s is closed.
func (s *MemoryObjectSendStream[T]) Clone() *MemoryObjectSendStream[T] {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.closed {
		panic("anyio: Clone of a closed MemoryObjectSendStream; clone a handle before closing it")
	}
	st.openSend++
	return &MemoryObjectSendStream[T]{st: st}
}

// Close closes this send handle; it never blocks and is idempotent. Tasks
// blocked in Send on this handle return [ErrClosedResource]. When it was the
// last open send handle, the receivers drain the buffer and then get
// [ErrEndOfStream]; tasks blocked in Receive get it at once.
func (s *MemoryObjectSendStream[T]) Close(ctx context.Context) error {
	st := s.st
	st.mu.Lock()
	if s.closed {
		st.mu.Unlock()
		return nil
	}
	s.closed = true
	st.openSend--
	ws := endWaits(nil, &st.sendQ, s, ErrClosedResource)
	if st.openSend == 0 {
		ws = endWaits(ws, &st.recvQ, nil, ErrEndOfStream)
	}
	st.mu.Unlock()
	signalAll(ws)
	return nil
}

// Statistics returns the current state of the stream.
func (s *MemoryObjectSendStream[T]) Statistics() MemoryObjectStreamStatistics {
	return s.st.statistics()
}

// ExtraAttributes returns the typed attributes of the stream: it has none.
func (s *MemoryObjectSendStream[T]) ExtraAttributes() map[any]func() any { return nil }

// MemoryObjectReceiveStream is the receiving handle of a memory object stream
// (AnyIO's MemoryObjectReceiveStream). Its methods are safe for concurrent
// use; concurrent receivers each get different items.
type MemoryObjectReceiveStream[T any] struct {
	st     *memState[T]
	closed bool // guarded by st.mu
}

var _ ObjectReceiveStream[int] = (*MemoryObjectReceiveStream[int])(nil)

// Receive returns the next item, blocking while there is none.
//
// It returns [ErrEndOfStream] once every send handle is closed and the buffer
// is empty, [ErrClosedResource] if this handle was closed (also while Receive
// waits), and a cancellation error if ctx is cancelled before an item was
// handed to it; an error means that no item was taken. An item handed over at
// the moment ctx is cancelled is returned, never lost; an item is never handed
// to a receiver whose ctx is already cancelled. In a cancelled scope Receive
// fails without receiving, even when an item is ready.
func (r *MemoryObjectReceiveStream[T]) Receive(ctx context.Context) (T, error) {
	if ctx.Err() != nil {
		var zero T
		return zero, core.CancelErr(ctx)
	}
	st := r.st
	st.mu.Lock()
	item, peer, err := r.tryReceiveLocked()
	if err != ErrWouldBlock {
		st.mu.Unlock()
		if peer != nil {
			peer.Signal()
		}
		return item, err
	}
	w := wait.New[T](ctx)
	w.Data = r
	st.recvQ.Push(w)
	st.mu.Unlock()
	handed := w.Await(&st.mu, &st.recvQ, &st.recvInfo)
	if !handed { // st.mu is held
		handed = w.Handed
		st.mu.Unlock()
	}
	if !handed {
		err = core.CancelErr(ctx)
	} else if e, ok := w.Data.(error); ok {
		err = e
	} else {
		item, err = w.Val, nil
	}
	w.Free()
	return item, err
}

// TryReceive returns the next item if one is ready: in the buffer or offered
// by a waiting sender. Otherwise it returns [ErrWouldBlock]; it returns
// [ErrEndOfStream] and [ErrClosedResource] as
// [MemoryObjectReceiveStream.Receive] does. TryReceive never blocks and takes
// no context (AnyIO's receive_nowait).
func (r *MemoryObjectReceiveStream[T]) TryReceive() (T, error) {
	r.st.mu.Lock()
	item, peer, err := r.tryReceiveLocked()
	r.st.mu.Unlock()
	if peer != nil {
		peer.Signal()
	}
	return item, err
}

// tryReceiveLocked receives an item without blocking, under st.mu. A sender
// whose item it took is returned, to be signalled once st.mu is released.
func (r *MemoryObjectReceiveStream[T]) tryReceiveLocked() (T, *wait.Waiter[T], error) {
	st := r.st
	var zero T
	if r.closed {
		return zero, nil, ErrClosedResource
	}
	if st.buf.n > 0 {
		item := st.buf.pop()
		w := st.sendQ.PopReady()
		if w != nil {
			st.buf.push(w.Val, st.max)
			w.Data = nil
			w.Mark(zero)
		}
		return item, w, nil
	}
	if w := st.sendQ.PopReady(); w != nil {
		item := w.Val
		w.Data = nil
		w.Mark(zero)
		return item, w, nil
	}
	if st.openSend == 0 {
		return zero, nil, ErrEndOfStream
	}
	return zero, nil, ErrWouldBlock
}

// Clone returns a new receive handle of the same stream. Each handle is
// closed separately; the stream's receiving end counts as closed only once
// every handle is. Clone panics if r is closed.
func (r *MemoryObjectReceiveStream[T]) Clone() *MemoryObjectReceiveStream[T] {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.closed {
		panic("anyio: Clone of a closed MemoryObjectReceiveStream; clone a handle before closing it")
	}
	st.openRecv++
	return &MemoryObjectReceiveStream[T]{st: st}
}

// Close closes this receive handle; it never blocks and is idempotent. Tasks
// blocked in Receive on this handle return [ErrClosedResource]. When it was
// the last open receive handle, senders get [ErrBrokenResource] from then on
// (tasks blocked in Send at once), and the items still in the buffer are
// discarded: as in AnyIO, this is the one case in which a sent item is
// dropped.
func (r *MemoryObjectReceiveStream[T]) Close(ctx context.Context) error {
	st := r.st
	st.mu.Lock()
	if r.closed {
		st.mu.Unlock()
		return nil
	}
	r.closed = true
	st.openRecv--
	ws := endWaits(nil, &st.recvQ, r, ErrClosedResource)
	if st.openRecv == 0 {
		ws = endWaits(ws, &st.sendQ, nil, ErrBrokenResource)
		st.buf = ring[T]{}
	}
	st.mu.Unlock()
	signalAll(ws)
	return nil
}

// Statistics returns the current state of the stream.
func (r *MemoryObjectReceiveStream[T]) Statistics() MemoryObjectStreamStatistics {
	return r.st.statistics()
}

// ExtraAttributes returns the typed attributes of the stream: it has none.
func (r *MemoryObjectReceiveStream[T]) ExtraAttributes() map[any]func() any { return nil }

// ring is a FIFO of items that grows by doubling up to the stream's limit.
type ring[T any] struct {
	a       []T
	head, n int
}

func (q *ring[T]) push(v T, limit int) {
	if q.n == len(q.a) {
		c := 2 * len(q.a)
		if c < 8 {
			c = 8
		}
		if c > limit {
			c = limit
		}
		a := make([]T, c)
		k := copy(a, q.a[q.head:])
		copy(a[k:], q.a[:q.head])
		q.a, q.head = a, 0
	}
	i := q.head + q.n
	if i >= len(q.a) {
		i -= len(q.a)
	}
	q.a[i] = v
	q.n++
}

func (q *ring[T]) pop() T {
	var zero T
	v := q.a[q.head]
	q.a[q.head] = zero
	q.head++
	if q.head == len(q.a) {
		q.head = 0
	}
	q.n--
	return v
}
