package semtest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// namedError is the error a "raise" statement returns.
type namedError struct{ name string }

func (e *namedError) Error() string { return e.name }

// machine is the state of one run of a program.
type machine struct {
	start time.Time

	mu      sync.Mutex
	trace   Trace
	scopes  map[string]*anyio.CancelScope
	errs    map[string]*namedError
	events  map[string]*anyio.Event
	locks   map[string]*anyio.Lock
	senders map[string]*anyio.MemoryObjectSendStream[int]
	recvs   map[string]*anyio.MemoryObjectReceiveStream[int]
	groups  map[string]*anyio.TaskGroup
}

// Exec runs p under ctx (the context of an anyio task, normally the root
// task of a Run in a testing/synctest bubble, where time is virtual) and
// returns its trace. Times are measured from the call.
func Exec(ctx context.Context, p Program) Trace {
	m := &machine{
		start:   time.Now(),
		trace:   Trace{},
		scopes:  map[string]*anyio.CancelScope{},
		errs:    map[string]*namedError{},
		events:  map[string]*anyio.Event{},
		locks:   map[string]*anyio.Lock{},
		senders: map[string]*anyio.MemoryObjectSendStream[int]{},
		recvs:   map[string]*anyio.MemoryObjectReceiveStream[int]{},
		groups:  map[string]*anyio.TaskGroup{},
	}
	m.prepare(p.Body)
	guard := anyio.MoveOnAfter(duration(Guard))
	err := guard.Run(ctx, func(ctx context.Context) error {
		return m.block(ctx, p.Body, nil)
	})
	m.record("main", fmt.Sprintf("%s @%s caught=%v", Outcome(err), m.now(), guard.CancelledCaught()))
	return m.trace
}

// prepare makes the events, locks and streams that the statements name.
func (m *machine) prepare(body []Stmt) {
	for _, s := range body {
		switch s.Op {
		case "set", "wait":
			if m.events[s.Obj] == nil {
				m.events[s.Obj] = anyio.NewEvent()
			}
		case "locked":
			if m.locks[s.Obj] == nil {
				m.locks[s.Obj] = anyio.NewLock()
			}
		case "send", "recv":
			if m.senders[s.Obj] == nil {
				m.senders[s.Obj], m.recvs[s.Obj] = anyio.NewMemoryObjectStream[int](0)
			}
		case "raise":
			if m.errs[s.Err] == nil {
				m.errs[s.Err] = &namedError{s.Err}
			}
		}
		m.prepare(s.Body)
		m.prepare(s.Finally)
	}
}

func (m *machine) now() string {
	d := time.Since(m.start)
	return formatSeconds(d.Seconds())
}

// formatSeconds rounds to milliseconds and drops trailing zeros.
func formatSeconds(s float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", s), "0"), ".")
}

func (m *machine) record(id, entry string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trace[id] = entry
}

// step records the outcome of a step that ended with err.
func (m *machine) step(id string, err error) error {
	m.record(id, fmt.Sprintf("%s @%s", Outcome(err), m.now()))
	return err
}

func (m *machine) scope(id string) *anyio.CancelScope {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.scopes[id]
	if s == nil {
		panic("semtest: statement names scope " + id + ", which is not entered")
	}
	return s
}

func (m *machine) setScope(id string, s *anyio.CancelScope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scopes[id] = s
}

func (m *machine) group(id string) *anyio.TaskGroup {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.groups[id]
	if g == nil {
		panic("semtest: statement names task group " + id + ", which is not entered")
	}
	return g
}

// block runs the statements in order and returns the first error. st is the
// TaskStatus of a Start child, nil elsewhere.
func (m *machine) block(ctx context.Context, body []Stmt, st *anyio.TaskStatus[int]) error {
	for i := range body {
		if err := m.stmt(ctx, &body[i], st); err != nil {
			return err
		}
	}
	return nil
}

func (m *machine) stmt(ctx context.Context, s *Stmt, st *anyio.TaskStatus[int]) error {
	switch s.Op {
	case "sleep":
		return m.step(s.ID, anyio.Sleep(ctx, duration(*s.D)))
	case "checkpoint":
		return m.step(s.ID, lowlevel.Checkpoint(ctx))
	case "sleep_forever":
		return m.step(s.ID, anyio.SleepForever(ctx))
	case "raise":
		return m.errs[s.Err]
	case "scope":
		var cs *anyio.CancelScope
		var topts []anyio.TimeoutOption
		if s.Shield {
			topts = append(topts, anyio.Shielded())
		}
		switch s.Kind {
		case "plain":
			var opts []anyio.ScopeOption
			if s.D != nil {
				opts = append(opts, anyio.Deadline(time.Now().Add(duration(*s.D))))
			}
			if s.Shield {
				opts = append(opts, anyio.Shielded())
			}
			cs = anyio.NewCancelScope(opts...)
		case "move_on":
			cs = anyio.MoveOnAfter(duration(*s.D), topts...)
		case "fail":
			cs = anyio.FailAfter(duration(*s.D), topts...)
		default:
			panic("semtest: unknown scope kind " + s.Kind)
		}
		m.setScope(s.ID, cs)
		err := cs.Run(ctx, func(ctx context.Context) error { return m.block(ctx, s.Body, st) })
		m.record(s.ID, fmt.Sprintf("%s @%s caught=%v called=%v", Outcome(err), m.now(), cs.CancelledCaught(), cs.CancelCalled()))
		return err
	case "cancel":
		m.scope(s.Target).Cancel()
		return nil
	case "shield":
		m.scope(s.Target).SetShield(s.On)
		return nil
	case "deadline":
		m.scope(s.Target).SetDeadline(time.Now().Add(duration(*s.D)))
		return nil
	case "group":
		var cs *anyio.CancelScope
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			cs = tg.CancelScope()
			m.mu.Lock()
			m.groups[s.ID] = tg
			m.scopes[s.ID] = cs
			m.mu.Unlock()
			return m.block(ctx, s.Body, st)
		})
		m.record(s.ID, fmt.Sprintf("%s @%s caught=%v called=%v", Outcome(err), m.now(), cs.CancelledCaught(), cs.CancelCalled()))
		return err
	case "start_soon":
		m.group(s.Group).StartSoon(func(ctx context.Context) error {
			return m.step(s.ID, m.block(ctx, s.Body, nil))
		})
		return nil
	case "start":
		v, err := anyio.Start(ctx, m.group(s.Group), func(ctx context.Context, status *anyio.TaskStatus[int]) error {
			return m.step(s.ID, m.block(ctx, s.Body, status))
		})
		out := Outcome(err)
		if err == nil {
			out = fmt.Sprintf("ok %d", v)
		}
		m.record(s.ID+".start", fmt.Sprintf("%s @%s", out, m.now()))
		return err
	case "started":
		st.Started(s.V)
		return nil
	case "try":
		err := m.block(ctx, s.Body, st)
		if ferr := m.block(ctx, s.Finally, st); ferr != nil {
			return ferr
		}
		return err
	case "set":
		m.events[s.Obj].Set()
		return nil
	case "wait":
		return m.step(s.ID, m.events[s.Obj].Wait(ctx))
	case "locked":
		l := m.locks[s.Obj]
		if err := m.step(s.ID, l.Acquire(ctx)); err != nil {
			return err
		}
		err := m.block(ctx, s.Body, st)
		if rerr := l.Release(ctx); rerr != nil {
			panic("semtest: Lock.Release: " + rerr.Error())
		}
		return err
	case "send":
		return m.step(s.ID, m.senders[s.Obj].Send(ctx, s.V))
	case "recv":
		v, err := m.recvs[s.Obj].Receive(ctx)
		if err == nil {
			m.record(s.ID, fmt.Sprintf("ok %d @%s", v, m.now()))
			return nil
		}
		return m.step(s.ID, err)
	}
	panic("semtest: unknown statement " + s.Op)
}

// Outcome describes how a step, scope, task or program ended.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var eg *anyio.ExceptionGroup
	if errors.As(err, &eg) && error(eg) == err {
		parts := make([]string, len(eg.Errors))
		for i, e := range eg.Errors {
			parts[i] = Outcome(e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	}
	var ne *namedError
	switch {
	case errors.As(err, &ne) && error(ne) == err:
		return ne.name
	case errors.Is(err, anyio.ErrTimeout):
		return "timeout"
	case errors.Is(err, anyio.ErrNeverStarted):
		return "never_started"
	case errors.Is(err, anyio.ErrCancelled):
		return "cancelled"
	}
	return "unexpected " + err.Error()
}
