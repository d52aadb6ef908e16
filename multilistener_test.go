package anyio_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// fakeListener accepts the ints sent on its conns stream.
type fakeListener struct {
	name   string
	conns  *anyio.MemoryObjectReceiveStream[int]
	attrs  map[any]func() any
	mu     sync.Mutex
	closed int
}

var fakeName = anyio.NewTypedAttribute[string]("fake.Name")
var fakeOwn = anyio.NewTypedAttribute[string]("fake.Own")

func newFakeListener(name string) (*fakeListener, *anyio.MemoryObjectSendStream[int]) {
	send, recv := anyio.NewMemoryObjectStream[int](0)
	l := &fakeListener{name: name, conns: recv}
	l.attrs = map[any]func() any{
		fakeName: func() any { return name },
		anyio.NewTypedAttribute[int]("fake." + name): func() any { return 1 },
	}
	if name == "a" {
		l.attrs[fakeOwn] = func() any { return "only a" }
	}
	return l, send
}

func (l *fakeListener) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed++
	l.mu.Unlock()
	return l.conns.Close(ctx)
}

func (l *fakeListener) ExtraAttributes() map[any]func() any { return l.attrs }

func (l *fakeListener) Serve(ctx context.Context, handler func(ctx context.Context, c int) error, tg *anyio.TaskGroup) error {
	serve := func(ctx context.Context, tg *anyio.TaskGroup) error {
		for c, err := range anyio.Iterate(ctx, l.conns) {
			if err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error { return handler(ctx, c) })
		}
		return nil
	}
	if tg != nil {
		return serve(ctx, tg)
	}
	return anyio.WithTaskGroup(ctx, serve)
}

func TestMultiListener(t *testing.T) {
	la, sa := newFakeListener("a")
	lb, sb := newFakeListener("b")
	lc, sc := newFakeListener("c")
	inner := anyio.NewMultiListener[int](lb, lc)
	m := anyio.NewMultiListener[int](la, inner)
	if got := m.Listeners(); !slices.Equal(got, []anyio.Listener[int]{la, lb, lc}) {
		t.Fatalf("Listeners() = %v, want the nested ones flattened", got)
	}
	if got := inner.Listeners(); len(got) != 0 {
		t.Errorf("the nested multi-listener still holds %v, want its listeners moved", got)
	}
	if name := anyio.ExtraOr(m, fakeName, ""); name != "c" {
		t.Errorf("merged attribute = %q, want the last listener's", name)
	}
	if own := anyio.ExtraOr(m, fakeOwn, ""); own != "only a" {
		t.Errorf("attribute of the first listener only = %q", own)
	}

	anyiotest.Run(t, func(ctx context.Context) error {
		var mu sync.Mutex
		var got []int
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			handlers := make(chan struct{}, 3)
			tg.StartSoon(func(ctx context.Context) error {
				return m.Serve(ctx, func(ctx context.Context, c int) error {
					mu.Lock()
					got = append(got, c)
					mu.Unlock()
					handlers <- struct{}{}
					return nil
				}, nil)
			})
			for i, s := range []*anyio.MemoryObjectSendStream[int]{sa, sb, sc} {
				if err := s.Send(ctx, i+1); err != nil {
					return err
				}
			}
			for range 3 {
				<-handlers
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("handled %v, want a connection from each listener", got)
		}
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		for _, l := range []*fakeListener{la, lb, lc} {
			if l.closed != 1 {
				t.Errorf("listener %s closed %d times", l.name, l.closed)
			}
		}
		return nil
	})
}

func TestMultiListenerServeFailure(t *testing.T) {
	la, _ := newFakeListener("a")
	lb, _ := newFakeListener("b")
	m := anyio.NewMultiListener[int](la, lb)
	la.Close(context.Background()) // a's Serve fails at once: the other is cancelled
	err := m.Serve(context.Background(), func(ctx context.Context, c int) error { return nil }, nil)
	if !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Serve = %v, want the failing listener's error", err)
	}
}
