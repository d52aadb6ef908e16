package hostcall_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/hostcall"
)

type key struct{}

var info = &core.WaitInfo{What: "hostcall test"}

// The worker's context hides the host's task and scope, passes its other
// values on, and leads back to the link, also through derived contexts.
func TestWorkerContext(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, key{}, "v")
		var l hostcall.Link
		l.Init(ctx)
		w := l.WorkerContext()
		if core.TaskOf(w) != nil || core.ScopeOf(w) != nil {
			t.Error("the worker's context shows the host's task or scope")
		}
		if w.Value(key{}) != "v" {
			t.Error("the worker's context lost a value of the host's")
		}
		derived, cancel := context.WithCancel(w)
		defer cancel()
		if hostcall.Of(derived) != &l || hostcall.Of(ctx) != nil {
			t.Error("Of does not find the link from a derived context, or finds one in the host's")
		}
		if l.Host() != core.TaskOf(ctx) || l.HostContext() != ctx {
			t.Error("Host or HostContext is not the host's")
		}
		return nil
	})
}

// A call runs in the host with the host's task and the worker context's
// values; after the host's Wait returned, calls fail.
func TestCallAndFinish(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		host := core.TaskOf(ctx)
		var l hostcall.Link
		l.Init(ctx)
		results := make(chan error, 2)
		abandoned := l.Wait(false, info, func() {
			go func() {
				w := context.WithValue(l.WorkerContext(), key{}, "from the worker")
				results <- l.Call(w, func(ctx context.Context) {
					if core.TaskOf(ctx) != host || ctx.Value(key{}) != "from the worker" {
						t.Error("the call does not run with the host's task and the worker's values")
					}
				})
				l.Finish()
			}()
		})
		if abandoned {
			t.Error("Wait reported an abandon without AbandonOnCancel")
		}
		if err := <-results; err != nil {
			t.Errorf("Call = %v", err)
		}
		if err := l.Call(l.WorkerContext(), func(context.Context) {}); !errors.Is(err, hostcall.ErrHostReturned) {
			t.Errorf("Call after Wait returned = %v, want ErrHostReturned", err)
		}
		return nil
	})
}

// With abandon, a cancelled host leaves at once and later calls fail with
// its cancellation.
func TestAbandon(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var l hostcall.Link
		release := make(chan struct{})
		done := make(chan error)
		scope.Run(ctx, func(ctx context.Context) error {
			l.Init(ctx)
			if !l.Wait(true, info, func() {
				go func() {
					<-release
					done <- l.Call(l.WorkerContext(), func(context.Context) { t.Error("a call ran after the abandon") })
					l.Finish()
				}()
				scope.Cancel()
			}) {
				t.Error("Wait did not report the abandon")
			}
			return nil
		})
		close(release)
		if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("Call after the abandon = %v, want the host's cancellation", err)
		}
		return nil
	})
}
