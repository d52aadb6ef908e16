package lowlevel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/lowlevel"
)

// The checkpoints, with and without a cancellation (AnyIO's test_checkpoint,
// test_checkpoint_if_cancelled, test_cancel_shielded_checkpoint): a task in a
// group that gets cancelled finishes only past the checkpoints that do not
// check for cancellation.
func TestCheckpoints(t *testing.T) {
	cases := []struct {
		name string
		cp   func(ctx context.Context) error
		// checks: the checkpoint fails in a cancelled scope
		checks bool
	}{
		{"Checkpoint", lowlevel.Checkpoint, true},
		{"CheckpointIfCancelled", lowlevel.CheckpointIfCancelled, true},
		{"CancelShieldedCheckpoint", func(ctx context.Context) error {
			lowlevel.CancelShieldedCheckpoint(ctx)
			return nil
		}, false},
	}
	for _, tc := range cases {
		for _, cancel := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cancel=%v", tc.name, cancel), func(t *testing.T) {
				anyiotest.Run(t, func(ctx context.Context) error {
					var finished, secondFinished atomic.Bool
					var cpErr error
					err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
						tg.StartSoon(func(ctx context.Context) error {
							tg.StartSoon(func(ctx context.Context) error {
								secondFinished.Store(true)
								return nil
							})
							if cancel {
								tg.CancelScope().Cancel()
							}
							if cpErr = tc.cp(ctx); cpErr != nil {
								return cpErr
							}
							finished.Store(true)
							return nil
						})
						return nil
					})
					if err != nil {
						t.Errorf("WithTaskGroup: got %v, want nil", err)
					}
					wantFinished := !(cancel && tc.checks)
					if finished.Load() != wantFinished {
						t.Errorf("%s: finished = %v, want %v", tc.name, finished.Load(), wantFinished)
					}
					if !wantFinished && (!errors.Is(cpErr, anyio.ErrCancelled) || !errors.Is(cpErr, context.Canceled)) {
						t.Errorf("%s: got %v, want a cancellation error", tc.name, cpErr)
					}
					if !secondFinished.Load() {
						t.Errorf("the second task did not finish")
					}
					return nil
				})
			})
		}
	}
}

// Checkpoints are level-triggered: they fail every time in a cancelled scope,
// and work again once it is left; CancelShieldedCheckpoint never fails.
func TestCheckpointsLevelTriggered(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		err := scope.Run(ctx, func(ctx context.Context) error {
			scope.Cancel()
			for i := range 3 {
				if err := lowlevel.Checkpoint(ctx); !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, ctx.Err()) {
					t.Errorf("Checkpoint %d: got %v, want a cancellation matching ctx.Err()", i+1, err)
				}
				if err := lowlevel.CheckpointIfCancelled(ctx); !errors.Is(err, anyio.ErrCancelled) {
					t.Errorf("CheckpointIfCancelled %d: got %v, want a cancellation", i+1, err)
				}
				lowlevel.CancelShieldedCheckpoint(ctx)
			}
			return lowlevel.Checkpoint(ctx)
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("scope Run: got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
		if err := lowlevel.Checkpoint(ctx); err != nil {
			t.Errorf("Checkpoint after the scope: got %v, want nil", err)
		}
		return nil
	})
}

// The checkpoints work on plain contexts, reporting their errors.
func TestCheckpointsPlainContext(t *testing.T) {
	if err := lowlevel.Checkpoint(context.Background()); err != nil {
		t.Errorf("Checkpoint(Background) = %v, want nil", err)
	}
	why := errors.New("why")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(why)
	for name, cp := range map[string]func(context.Context) error{
		"Checkpoint":            lowlevel.Checkpoint,
		"CheckpointIfCancelled": lowlevel.CheckpointIfCancelled,
	} {
		err := cp(ctx)
		if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.Canceled) || !errors.Is(err, why) {
			t.Errorf("%s(cancelled plain ctx) = %v, want a cancellation matching context.Canceled and the cause", name, err)
		}
	}
	lowlevel.CancelShieldedCheckpoint(ctx)
}

// A checkpoint lets a cancellation that arrives during it be seen at once:
// a task spinning on Checkpoint stops when another task cancels it.
func TestCheckpointSeesCancellationFromOtherTask(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		var spins atomic.Int64
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					for {
						if err := lowlevel.Checkpoint(ctx); err != nil {
							return err
						}
						spins.Add(1)
					}
				})
			})
			tg.StartSoon(func(ctx context.Context) error {
				for spins.Load() < 10 {
					if err := lowlevel.Checkpoint(ctx); err != nil {
						return err
					}
				}
				scope.Cancel()
				return nil
			})
			return nil
		})
		if err != nil || !scope.CancelledCaught() {
			t.Errorf("got %v, CancelledCaught=%v; want nil, true", err, scope.CancelledCaught())
		}
		return nil
	})
}

// AnyIO's TestRunVar.test_get_set: a value set in a Run is seen by its tasks
// and lasts for the Run; the next Run starts without it.
func TestRunVarGetSet(t *testing.T) {
	v := lowlevel.NewRunVar[int]("var")
	for range 2 {
		anyiotest.Run(t, func(ctx context.Context) error {
			if _, err := v.Get(ctx); !errors.Is(err, anyio.ErrLookup) {
				t.Errorf("Get at the start of a Run: got %v, want ErrLookup", err)
			}
			for i := range 2 {
				v.Set(ctx, i)
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						if got, err := v.Get(ctx); err != nil || got != i {
							t.Errorf("Get in a child: got %d, %v; want %d", got, err, i)
						}
						v.Set(ctx, i+1)
						return nil
					})
					return nil
				})
				if err != nil {
					return err
				}
				if got, err := v.Get(ctx); err != nil || got != i+1 {
					t.Errorf("Get after the child set it: got %d, %v; want %d", got, err, i+1)
				}
			}
			return nil
		})
	}
}

func TestRunVarDefault(t *testing.T) {
	v := lowlevel.NewRunVar("var", 3)
	if v.Name() != "var" {
		t.Errorf("Name() = %q, want var", v.Name())
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		if got, err := v.Get(ctx); err != nil || got != 3 {
			t.Errorf("Get with a default: got %d, %v; want 3, nil", got, err)
		}
		tok := v.Set(ctx, 4)
		if got, _ := v.Get(ctx); got != 4 {
			t.Errorf("Get after Set(4) = %d", got)
		}
		if err := v.Reset(ctx, tok); err != nil {
			t.Errorf("Reset: %v", err)
		}
		if got, err := v.Get(ctx); err != nil || got != 3 {
			t.Errorf("Get after Reset: got %d, %v; want the default 3", got, err)
		}
		return nil
	})
}

// Outside any Run, Get fails with ErrLookup (even with a default) and Set
// panics.
func TestRunVarOutsideRun(t *testing.T) {
	v := lowlevel.NewRunVar("var", 1)
	if _, err := v.Get(context.Background()); !errors.Is(err, anyio.ErrLookup) {
		t.Errorf("Get(Background): got %v, want ErrLookup", err)
	}
	defer func() {
		if r := fmt.Sprint(recover()); !strings.HasPrefix(r, "anyio:") {
			t.Errorf("Set(Background): panic %q, want an anyio: panic", r)
		}
	}()
	v.Set(context.Background(), 2)
	t.Errorf("Set(Background) returned, want a panic")
}

func TestNewRunVarTwoDefaultsPanics(t *testing.T) {
	defer func() {
		if r := fmt.Sprint(recover()); !strings.HasPrefix(r, "anyio:") {
			t.Errorf("NewRunVar with two defaults: panic %q, want an anyio: panic", r)
		}
	}()
	lowlevel.NewRunVar("var", 1, 2)
	t.Errorf("NewRunVar with two defaults returned, want a panic")
}

// Two Runs at once see separate values.
func TestRunVarConcurrentRuns(t *testing.T) {
	v := lowlevel.NewRunVar("var", "default")
	aSet, bChecked := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 2)
	// Two Runs side by side, each in its own goroutine: anyiotest.Run runs
	// one body on the test's goroutine, so this test calls anyio.Run itself.
	go func() {
		errs <- anyio.Run(context.Background(), func(ctx context.Context) error {
			v.Set(ctx, "a")
			close(aSet)
			<-bChecked
			if got, _ := v.Get(ctx); got != "a" {
				return fmt.Errorf("run A: Get = %q after run B set its own, want a", got)
			}
			return nil
		})
	}()
	go func() {
		errs <- anyio.Run(context.Background(), func(ctx context.Context) error {
			<-aSet
			if got, _ := v.Get(ctx); got != "default" {
				return fmt.Errorf("run B: Get = %q while run A holds a value, want the default", got)
			}
			v.Set(ctx, "b")
			close(bChecked)
			return nil
		})
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// A task group on a plain context opens a Run of its own: a RunVar set there
// is not seen by the next one.
func TestRunVarImplicitRuns(t *testing.T) {
	v := lowlevel.NewRunVar[int]("var")
	for i := range 2 {
		err := anyio.WithTaskGroup(context.Background(), func(ctx context.Context, tg *anyio.TaskGroup) error {
			if _, err := v.Get(ctx); !errors.Is(err, anyio.ErrLookup) {
				t.Errorf("group %d: Get = %v, want ErrLookup", i, err)
			}
			v.Set(ctx, i)
			tg.StartSoon(func(ctx context.Context) error {
				if got, err := v.Get(ctx); err != nil || got != i {
					t.Errorf("group %d child: Get = %d, %v", i, got, err)
				}
				return nil
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// AnyIO's test_runvar_does_not_share_storage_by_name.
func TestRunVarsWithTheSameName(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		v1 := lowlevel.NewRunVar("var", 1)
		v2 := lowlevel.NewRunVar("var", "a")
		if got, _ := v1.Get(ctx); got != 1 {
			t.Errorf("v1.Get = %d, want 1", got)
		}
		if got, _ := v2.Get(ctx); got != "a" {
			t.Errorf("v2.Get = %q, want a", got)
		}
		v1.Set(ctx, 2)
		v2.Set(ctx, "b")
		if got, _ := v1.Get(ctx); got != 2 {
			t.Errorf("v1.Get = %d, want 2", got)
		}
		if got, _ := v2.Get(ctx); got != "b" {
			t.Errorf("v2.Get = %q, want b", got)
		}
		return nil
	})
}

// Nested Set/Reset restore each previous value (AnyIO's test_context_manager).
func TestRunVarNestedReset(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		v := lowlevel.NewRunVar("var", 3)
		t4 := v.Set(ctx, 4)
		t5 := v.Set(ctx, 5)
		if got, _ := v.Get(ctx); got != 5 {
			t.Errorf("Get = %d, want 5", got)
		}
		if err := v.Reset(ctx, t5); err != nil {
			t.Errorf("Reset(t5): %v", err)
		}
		if got, _ := v.Get(ctx); got != 4 {
			t.Errorf("Get after Reset(t5) = %d, want 4", got)
		}
		if err := v.Reset(ctx, t4); err != nil {
			t.Errorf("Reset(t4): %v", err)
		}
		if got, _ := v.Get(ctx); got != 3 {
			t.Errorf("Get after Reset(t4) = %d, want the default 3", got)
		}
		// Without a default, Reset of the first Set unsets the variable.
		u := lowlevel.NewRunVar[int]("unset")
		tok := u.Set(ctx, 1)
		if err := u.Reset(ctx, tok); err != nil {
			t.Errorf("Reset: %v", err)
		}
		if _, err := u.Get(ctx); !errors.Is(err, anyio.ErrLookup) {
			t.Errorf("Get after resetting the first Set: got %v, want ErrLookup", err)
		}
		return nil
	})
}

// AnyIO's test_reset_token_used_twice and test_reset_token_used_on_wrong_runvar,
// and a token from another Run.
func TestRunVarTokenErrors(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		v := lowlevel.NewRunVar[string]("var")
		tok := v.Set(ctx, "blah")
		if err := v.Reset(ctx, tok); err != nil {
			t.Errorf("first Reset: %v", err)
		}
		if err := v.Reset(ctx, tok); !errors.Is(err, lowlevel.ErrTokenUsed) {
			t.Errorf("second Reset with the same token: got %v, want ErrTokenUsed", err)
		}

		v1 := lowlevel.NewRunVar[string]("var1")
		v2 := lowlevel.NewRunVar[string]("var2")
		tok1 := v1.Set(ctx, "blah")
		if err := v2.Reset(ctx, tok1); !errors.Is(err, lowlevel.ErrTokenMismatch) {
			t.Errorf("Reset of var2 with var1's token: got %v, want ErrTokenMismatch", err)
		}
		if got, _ := v1.Get(ctx); got != "blah" {
			t.Errorf("var1 after the failed Reset = %q, want blah", got)
		}
		if err := v2.Reset(ctx, lowlevel.RunVarToken{}); !errors.Is(err, lowlevel.ErrTokenMismatch) {
			t.Errorf("Reset with a zero token: got %v, want ErrTokenMismatch", err)
		}

		// A token of another Run (a second, nested anyio.Run: the subject
		// of the check).
		var foreign lowlevel.RunVarToken
		if err := anyio.Run(context.Background(), func(ctx context.Context) error {
			foreign = v1.Set(ctx, "other run")
			return nil
		}); err != nil {
			return err
		}
		if err := v1.Reset(ctx, foreign); !errors.Is(err, lowlevel.ErrTokenMismatch) {
			t.Errorf("Reset with another Run's token: got %v, want ErrTokenMismatch", err)
		}
		if got, _ := v1.Get(ctx); got != "blah" {
			t.Errorf("var1 after the foreign Reset = %q, want blah", got)
		}
		return nil
	})
}
