package anyio_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
)

func tgPanickingChild(ctx context.Context) error {
	panic("child boom")
}

// tgSleepyChildren starts n children that sleep until cancelled, exit slowly
// and count themselves in finished.
func tgSleepyChildren(tg *anyio.TaskGroup, n int, finished *atomic.Int32) {
	for range n {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx)
			tgSlowExit()
			finished.Add(1)
			return err
		})
	}
}

func tgWantPanicError(t *testing.T, what string, r any, value any) *anyio.PanicError {
	t.Helper()
	pe, ok := r.(*anyio.PanicError)
	if !ok {
		t.Fatalf("%s: panicked with %#v (%T), want *anyio.PanicError", what, r, r)
	}
	if pe.Value != value {
		t.Fatalf("%s: PanicError.Value = %#v, want %#v", what, pe.Value, value)
	}
	return pe
}

// TestPanicInChild: the siblings are cancelled and joined, then the host
// re-panics with the child's value and stack.
func TestPanicInChild(t *testing.T) {
	const siblings = 3
	var finished, atPanic atomic.Int32
	r := tgMustPanic(t, "WithTaskGroup", func() {
		defer func() { atPanic.Store(finished.Load()) }()
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgSleepyChildren(tg, siblings, &finished)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.StartSoon(tgPanickingChild)
			return nil
		})
	})
	pe := tgWantPanicError(t, "WithTaskGroup", r, "child boom")
	if got := atPanic.Load(); got != siblings {
		t.Errorf("siblings finished when the panic reached the host: got %d, want %d", got, siblings)
	}
	if !strings.Contains(string(pe.Stack), "tgPanickingChild") {
		t.Errorf("PanicError.Stack does not name tgPanickingChild:\n%s", pe.Stack)
	}
	if !strings.Contains(pe.Task, "tgPanickingChild") {
		t.Errorf("PanicError.Task: got %q, want the child's name", pe.Task)
	}
	if len(pe.Others) != 0 {
		t.Errorf("PanicError.Others: got %v, want none (the siblings' cancellations are not failures)", pe.Others)
	}
	if !strings.Contains(pe.Error(), "child boom") {
		t.Errorf("PanicError.Error() = %q, want it to mention the value", pe.Error())
	}
}

func TestPanicInBody(t *testing.T) {
	const siblings = 2
	var finished, atPanic atomic.Int32
	r := tgMustPanic(t, "WithTaskGroup", func() {
		defer func() { atPanic.Store(finished.Load()) }()
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgSleepyChildren(tg, siblings, &finished)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			panic("body boom")
		})
	})
	pe := tgWantPanicError(t, "WithTaskGroup", r, "body boom")
	if got := atPanic.Load(); got != siblings {
		t.Errorf("children finished when the panic left WithTaskGroup: got %d, want %d", got, siblings)
	}
	if !strings.Contains(string(pe.Stack), "TestPanicInBody") {
		t.Errorf("PanicError.Stack does not name the body's function:\n%s", pe.Stack)
	}
}

// TestPanicSeveral: the first panic is re-raised; the later panics and errors
// of the group are in Others.
func TestPanicSeveral(t *testing.T) {
	later := errors.New("later error")
	r := tgMustPanic(t, "WithTaskGroup", func() {
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_ = anyio.SleepForever(ctx)
				panic("second")
			})
			tg.StartSoon(func(ctx context.Context) error {
				_ = anyio.SleepForever(ctx)
				return later
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.StartSoon(func(ctx context.Context) error { panic("first") })
			return nil
		})
	})
	pe := tgWantPanicError(t, "WithTaskGroup", r, "first")
	if len(pe.Others) != 2 {
		t.Fatalf("PanicError.Others: got %v, want the second panic and the later error", pe.Others)
	}
	var foundSecond bool
	for _, o := range pe.Others {
		if p, ok := o.(*anyio.PanicError); ok && p.Value == "second" {
			foundSecond = true
		}
	}
	if !foundSecond {
		t.Errorf("PanicError.Others = %v, want a *PanicError with value \"second\"", pe.Others)
	}
	if !errors.Is(pe, later) {
		t.Errorf("errors.Is(PanicError, later error) = false, want true (Others: %v)", pe.Others)
	}
}

func TestPanicWithErrorValue(t *testing.T) {
	boom := errors.New("boom")
	r := tgMustPanic(t, "WithTaskGroup", func() {
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { panic(boom) })
			return nil
		})
	})
	pe := tgWantPanicError(t, "WithTaskGroup", r, any(boom))
	if !errors.Is(pe, boom) {
		t.Fatal("errors.Is(PanicError, boom) = false, want true")
	}
}

func TestPanicNil(t *testing.T) {
	r := tgMustPanic(t, "WithTaskGroup", func() {
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { panic(nil) })
			return nil
		})
	})
	pe, ok := r.(*anyio.PanicError)
	if !ok {
		t.Fatalf("WithTaskGroup panicked with %#v, want *anyio.PanicError", r)
	}
	var pn *runtime.PanicNilError
	if v, ok := pe.Value.(error); !ok || !errors.As(v, &pn) {
		t.Fatalf("PanicError.Value = %#v, want a *runtime.PanicNilError", pe.Value)
	}
}

// TestPanicThroughNestedGroups: a panic deep in nested groups reaches the
// outermost host with its value, after every task finished.
func TestPanicThroughNestedGroups(t *testing.T) {
	var finished, atPanic atomic.Int32
	r := tgMustPanic(t, "outer WithTaskGroup", func() {
		defer func() { atPanic.Store(finished.Load()) }()
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgSleepyChildren(tg, 1, &finished)
			tg.StartSoon(func(ctx context.Context) error {
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg2 *anyio.TaskGroup) error {
					tgSleepyChildren(tg2, 1, &finished)
					if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
						return err
					}
					tg2.StartSoon(tgPanickingChild)
					return anyio.SleepForever(ctx)
				})
			})
			return anyio.SleepForever(ctx)
		})
	})
	pe := tgWantPanicError(t, "outer WithTaskGroup", r, "child boom")
	if got := atPanic.Load(); got != 2 {
		t.Errorf("tasks finished when the panic left the outer group: got %d, want 2", got)
	}
	if !strings.Contains(string(pe.Stack), "tgPanickingChild") {
		t.Errorf("PanicError.Stack does not name tgPanickingChild:\n%s", pe.Stack)
	}
}

// TestPanicWhileCancelledFromOutside: a panic is not a cancellation, even in
// a group cancelled from outside.
func TestPanicWhileCancelledFromOutside(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := tgMustPanic(t, "WithTaskGroup", func() {
		anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_ = anyio.SleepForever(ctx)
				panic("in cleanup")
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			cancel()
			return anyio.SleepForever(ctx)
		})
	})
	tgWantPanicError(t, "WithTaskGroup", r, "in cleanup")
}

// TestGoexitInChild: runtime.Goexit (t.FailNow in a task) is a failure, never
// a success.
func TestGoexitInChild(t *testing.T) {
	var finished atomic.Int32
	err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
		tgSleepyChildren(tg, 2, &finished)
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		tg.StartSoon(func(ctx context.Context) error {
			runtime.Goexit()
			return nil
		}, anyio.TaskName("quitter"))
		return nil
	})
	eg := tgAsGroup(t, "WithTaskGroup", err)
	var ge *anyio.GoexitError
	if len(eg.Errors) != 1 || !errors.As(eg.Errors[0], &ge) {
		t.Fatalf("WithTaskGroup errors: got %v, want one *GoexitError", eg.Errors)
	}
	if ge.Task != "quitter" {
		t.Errorf("GoexitError.Task: got %q, want %q", ge.Task, "quitter")
	}
	if finished.Load() != 2 {
		t.Errorf("siblings finished: got %d, want 2", finished.Load())
	}
}

// TestGoexitInBody: the children are cancelled and joined before the host
// goroutine exits.
func TestGoexitInBody(t *testing.T) {
	var finished, atExit atomic.Int32
	returned := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { atExit.Store(finished.Load()) }()
		anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			tgSleepyChildren(tg, 2, &finished)
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		returned = true
	}()
	select {
	case <-done:
	case <-time.After(tgSafetyTimeout):
		t.Fatal("the goroutine running WithTaskGroup did not exit")
	}
	if returned {
		t.Fatal("WithTaskGroup returned after its body called runtime.Goexit")
	}
	if got := atExit.Load(); got != 2 {
		t.Fatalf("children finished when the host goroutine exited: got %d, want 2", got)
	}
}
