package anyio

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// TaskInfo describes a task: its unique ID, the ID of the task that started
// it (0 for the root of a Run) and its name (AnyIO's TaskInfo).
//
// IDs are unique in the process and never 0 for a task. Within one task
// group they increase in the order in which the group started its tasks;
// they say nothing about the order of tasks of different groups.
type TaskInfo struct {
	ID       uint64
	ParentID uint64
	Name     string
	t        *core.Task
}

func taskInfo(t *core.Task) TaskInfo {
	if t == nil {
		return TaskInfo{}
	}
	return TaskInfo{ID: t.ID(), ParentID: t.ParentID(), Name: t.Name(), t: t}
}

// HasPendingCancellation reports whether the task's innermost cancel scope is
// cancelled, so that its next blocking call will fail.
func (ti TaskInfo) HasPendingCancellation() bool {
	return ti.t != nil && ti.t.HasPendingCancellation()
}

// String returns "name (#id)".
func (ti TaskInfo) String() string { return fmt.Sprintf("%s (#%d)", ti.Name, ti.ID) }

// GetCurrentTask returns the task that ctx belongs to. For a context that
// carries no anyio task it returns the zero TaskInfo.
func GetCurrentTask(ctx context.Context) TaskInfo { return taskInfo(core.TaskOf(ctx)) }

// GetRunningTasks returns every task of the Run that ctx belongs to: the root
// first, then the tree of task groups depth first. It returns nil outside a
// Run.
func GetRunningTasks(ctx context.Context) []TaskInfo {
	r := core.RunOf(ctx)
	if r == nil {
		return nil
	}
	var out []TaskInfo
	var walk func(t *core.Task)
	walk = func(t *core.Task) {
		out = append(out, taskInfo(t))
		for _, g := range reversed(t.Groups()) {
			for _, c := range g.Children() {
				walk(c)
			}
		}
	}
	walk(r.Root())
	return out
}

func reversed[T any](s []T) []T {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// WaitAllTasksBlocked blocks until every other task of the Run that ctx
// belongs to is parked in an anyio wait (a sleep, a task group join, a
// Start, a synchronization primitive, a stream) with no hand-off pending.
// A task waiting for I/O in anyio (a socket receive or send, Accept, a
// datagram, WaitReadable, a process pipe, a pollable file) counts as
// blocked exactly while it waits for the descriptor to be ready, and not
// once the descriptor is ready (a peer's send has arrived: the task is about
// to run); one still copying pending data counts as running. A task blocked
// outside anyio (on a raw channel, a sync.Mutex, a system call, a
// connection without a descriptor such as one end of net.Pipe) counts as
// running, so WaitAllTasksBlocked keeps waiting for it until ctx is
// cancelled. It returns an error outside a Run.
func WaitAllTasksBlocked(ctx context.Context) error { return core.WaitAllTasksBlocked(ctx) }

// DumpTasks writes the live task tree of the Run that ctx belongs to: each
// task's ID, name and what it waits on, the cancel scopes it is in and, for
// each task group, its scope's state (cancelled, shielded, deadline). A
// task waiting for I/O names the wait and the peer ("waiting on TCP receive
// from 127.0.0.1:5000"). The format is for people and may change.
func DumpTasks(ctx context.Context, w io.Writer) error {
	r := core.RunOf(ctx)
	if r == nil {
		return fmt.Errorf("anyio: DumpTasks needs the context of an anyio task")
	}
	var b strings.Builder
	now := time.Now()
	var walk func(t *core.Task, depth int)
	walk = func(t *core.Task, depth int) {
		ind := strings.Repeat("  ", depth)
		fmt.Fprintf(&b, "%stask #%d %q", ind, t.ID(), t.Name())
		if wi := t.Waiting(); wi != nil {
			fmt.Fprintf(&b, " waiting on %s", wi.What)
			if !wi.Until.IsZero() {
				fmt.Fprintf(&b, " (%s left)", wi.Until.Sub(now).Round(time.Millisecond))
			}
		} else {
			b.WriteString(" running")
		}
		if t.HasPendingCancellation() {
			b.WriteString(" [cancellation pending]")
		}
		b.WriteByte('\n')
		// The cancel scopes the task is in, innermost first.
		for s := t.CurrentScope(); s != nil && s.Task() == t; s = s.Parent() {
			if s.IsPlain() {
				fmt.Fprintf(&b, "%s  in cancel scope%s\n", ind, scopeState(s, now))
			}
		}
		for _, g := range reversed(t.Groups()) {
			fmt.Fprintf(&b, "%s  task group%s\n", ind, scopeState(g.Scope, now))
			for _, c := range g.Children() {
				walk(c, depth+2)
			}
		}
	}
	walk(r.Root(), 0)
	_, err := io.WriteString(w, b.String())
	return err
}

func scopeState(s *core.Scope, now time.Time) string {
	cancelled, shield, deadline, ok := s.State()
	var parts []string
	if cancelled {
		parts = append(parts, "cancelled")
	}
	if shield {
		parts = append(parts, "shielded")
	}
	if ok {
		parts = append(parts, fmt.Sprintf("deadline in %s", deadline.Sub(now).Round(time.Millisecond)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
