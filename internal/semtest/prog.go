// Package semtest runs small generated programs of task groups, cancel
// scopes, timeouts, shields, sleeps, errors, Start and synchronisation
// waits on anyio, and records what happened: each step's outcome and the
// virtual time at which it ended, and each scope's CancelledCaught and
// CancelCalled. A Python script (testdata/anyio_trio.py) runs the same
// programs on Python AnyIO on Trio with a mock clock; the tests of this
// package compare the two (see README.md).
package semtest

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Program is one generated program: the body of the root task, run inside a
// guard scope (MoveOnAfter(Guard)) so that a program whose tasks wait for
// each other forever still ends.
type Program struct {
	Name string `json:"name"`
	Body []Stmt `json:"body"`
}

// Guard is the deadline of the scope around every program, in seconds.
const Guard = 100

// Stmt is one statement. Op says which; the other fields are its operands.
//
//	sleep d                  Sleep for d seconds (a step: outcome and end time)
//	checkpoint               lowlevel.Checkpoint (a step)
//	sleep_forever            SleepForever (a step)
//	raise err                return the error named err
//	scope kind d shield body a cancel scope: kind "plain" (NewCancelScope, with
//	                         a deadline d seconds after entering if D is set),
//	                         "move_on" (MoveOnAfter(d)) or "fail" (FailAfter(d))
//	cancel target            Cancel the scope or task group named target
//	shield target on         SetShield(on) on the scope or task group target
//	deadline target d        SetDeadline(now + d) on target
//	group body               WithTaskGroup; the body runs in the host
//	start_soon group body    StartSoon a child running body into group
//	start group body         Start a child running body (a step "<id>.start"
//	                         with the value it gave Started)
//	started v                TaskStatus.Started(v) in a Start child
//	try body finally         run body, then finally; an error of finally wins
//	set obj                  Event.Set
//	wait obj                 Event.Wait (a step)
//	locked obj body          Lock.Acquire (a step), body, Lock.Release
//	send obj v               send v on a zero-buffer memory stream (a step)
//	recv obj                 receive from it (a step with the value)
type Stmt struct {
	Op      string   `json:"op"`
	ID      string   `json:"id,omitempty"`
	D       *float64 `json:"d,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Shield  bool     `json:"shield,omitempty"`
	On      bool     `json:"on,omitempty"`
	Target  string   `json:"target,omitempty"`
	Group   string   `json:"group,omitempty"`
	Obj     string   `json:"obj,omitempty"`
	Err     string   `json:"err,omitempty"`
	V       int      `json:"v,omitempty"`
	Body    []Stmt   `json:"body,omitempty"`
	Finally []Stmt   `json:"finally,omitempty"`
}

// duration converts seconds to a time.Duration.
func duration(sec float64) time.Duration {
	return time.Duration(math.Round(sec * float64(time.Second)))
}

// Trace maps the ID of every recorded step, scope, group and task (and
// "main" for the whole program) to what happened to it:
// "<outcome> @<seconds>" with " caught=<bool> called=<bool>" for a scope or
// group. An outcome is "ok", "ok <value>", "cancelled", "timeout",
// "never_started", an error's name (E1), or a bracketed, sorted list of the
// outcomes in an exception group.
type Trace map[string]string

// String lists the entries in ID order, one a line.
func (tr Trace) String() string {
	keys := make([]string, 0, len(tr))
	for k := range tr {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return idLess(keys[i], keys[j]) })
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, tr[k])
	}
	return b.String()
}

// idLess orders IDs by their number, then by the rest ("s2" < "t10" <
// "t10.start").
func idLess(a, b string) bool {
	na, ra := idNum(a)
	nb, rb := idNum(b)
	if na != nb {
		return na < nb
	}
	return ra < rb
}

func idNum(id string) (int, string) {
	i := 0
	for i < len(id) && (id[i] < '0' || id[i] > '9') {
		i++
	}
	j := i
	n := 0
	for j < len(id) && id[j] >= '0' && id[j] <= '9' {
		n = n*10 + int(id[j]-'0')
		j++
	}
	if i == j {
		return -1, id
	}
	return n, id[j:]
}

// Diff lists the IDs whose entries differ between a and b, as
// "id: a-entry | b-entry" lines in ID order.
func Diff(a, b Trace) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []Trace{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return idLess(keys[i], keys[j]) })
	var out []string
	for _, k := range keys {
		if a[k] != b[k] {
			va, vb := a[k], b[k]
			if va == "" {
				va = "(none)"
			}
			if vb == "" {
				vb = "(none)"
			}
			out = append(out, fmt.Sprintf("%s: %s | %s", k, va, vb))
		}
	}
	return out
}

// Equal reports whether two traces are the same.
func Equal(a, b Trace) bool { return len(Diff(a, b)) == 0 }

// ParsePrograms decodes a JSON list of programs.
func ParsePrograms(data []byte) ([]Program, error) {
	var ps []Program
	if err := json.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("semtest: decoding programs: %w", err)
	}
	return ps, nil
}
