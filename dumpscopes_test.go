package anyio_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyio-go/anyio"
)

// DumpTasks shows the cancel scopes a task is in, innermost first, with
// their state; task group scopes are shown as task groups, not twice.
func TestDumpTasksShowsCancelScopes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shielded := anyio.NewCancelScope(anyio.Shielded())
		err := anyio.Run(context.Background(), func(ctx context.Context) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
				tg.StartSoon(func(ctx context.Context) error {
					return anyio.MoveOnAfter(time.Minute).Run(ctx, func(ctx context.Context) error {
						return shielded.Run(ctx, func(ctx context.Context) error {
							return anyio.SleepForever(ctx)
						})
					})
				}, anyio.TaskName("scoped"))
				synctest.Wait()
				var b strings.Builder
				if err := anyio.DumpTasks(ctx, &b); err != nil {
					return err
				}
				dump := b.String()
				want := "    task #"
				i := strings.Index(dump, `"scoped" waiting on SleepForever`)
				if i < 0 || !strings.Contains(dump[:i], want) {
					t.Errorf("DumpTasks: no line for the scoped task:\n%s", dump)
					i = 0
				}
				rest := dump[i:]
				inner := strings.Index(rest, "      in cancel scope (shielded)\n")
				outer := strings.Index(rest, "      in cancel scope (deadline in 1m0s)\n")
				if inner < 0 || outer < 0 || inner > outer {
					t.Errorf("DumpTasks: want the shielded scope then the deadline scope under the task, got:\n%s", dump)
				}
				if n := strings.Count(dump, "in cancel scope"); n != 2 {
					t.Errorf("DumpTasks: %d cancel scope lines, want 2 (group scopes are listed as task groups):\n%s", n, dump)
				}
				shielded.Cancel() // the group's cancellation cannot reach inside the shield
				tg.CancelScope().Cancel()
				return nil
			})
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}
