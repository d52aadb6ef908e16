package semtest

import (
	"fmt"
	"strings"
)

// Case is a program of the corpus with the trace AnyIO gives it and, where
// anyio deliberately differs, anyio's trace and the reason.
type Case struct {
	Program Program `json:"program"`
	AnyIO   Trace   `json:"anyio_trio"`
	Anyio   Trace   `json:"anyio,omitempty"`
	Why     string  `json:"why,omitempty"`
}

// Format writes p as indented pseudo-Python, for reading differences.
func Format(p Program) string {
	var b strings.Builder
	formatBlock(&b, p.Body, 2)
	return b.String()
}

func formatBlock(b *strings.Builder, body []Stmt, indent int) {
	pad := strings.Repeat("  ", indent)
	if len(body) == 0 {
		fmt.Fprintf(b, "%spass\n", pad)
	}
	for _, s := range body {
		d := ""
		if s.D != nil {
			d = formatSeconds(*s.D)
		}
		switch s.Op {
		case "sleep":
			fmt.Fprintf(b, "%ssleep(%s)  # %s\n", pad, d, s.ID)
		case "checkpoint", "sleep_forever":
			fmt.Fprintf(b, "%s%s()  # %s\n", pad, s.Op, s.ID)
		case "raise":
			fmt.Fprintf(b, "%sraise %s\n", pad, s.Err)
		case "scope":
			args := []string{}
			switch s.Kind {
			case "plain":
				if s.D != nil {
					args = append(args, "deadline=now+"+d)
				}
			default:
				args = append(args, d)
			}
			if s.Shield {
				args = append(args, "shield=True")
			}
			name := map[string]string{"plain": "CancelScope", "move_on": "move_on_after", "fail": "fail_after"}[s.Kind]
			fmt.Fprintf(b, "%swith %s(%s) as %s:\n", pad, name, strings.Join(args, ", "), s.ID)
			formatBlock(b, s.Body, indent+1)
		case "cancel":
			fmt.Fprintf(b, "%s%s.cancel()\n", pad, s.Target)
		case "shield":
			fmt.Fprintf(b, "%s%s.shield = %v\n", pad, s.Target, s.On)
		case "deadline":
			fmt.Fprintf(b, "%s%s.deadline = now+%s\n", pad, s.Target, d)
		case "group":
			fmt.Fprintf(b, "%sasync with create_task_group() as %s:\n", pad, s.ID)
			formatBlock(b, s.Body, indent+1)
		case "start_soon":
			fmt.Fprintf(b, "%s%s.start_soon(...)  # %s\n", pad, s.Group, s.ID)
			formatBlock(b, s.Body, indent+1)
		case "start":
			fmt.Fprintf(b, "%sawait %s.start(...)  # %s\n", pad, s.Group, s.ID)
			formatBlock(b, s.Body, indent+1)
		case "started":
			fmt.Fprintf(b, "%stask_status.started(%d)\n", pad, s.V)
		case "try":
			fmt.Fprintf(b, "%stry:\n", pad)
			formatBlock(b, s.Body, indent+1)
			fmt.Fprintf(b, "%sfinally:\n", pad)
			formatBlock(b, s.Finally, indent+1)
		case "set":
			fmt.Fprintf(b, "%s%s.set()\n", pad, s.Obj)
		case "wait":
			fmt.Fprintf(b, "%s%s.wait()  # %s\n", pad, s.Obj, s.ID)
		case "locked":
			fmt.Fprintf(b, "%sasync with %s:  # %s\n", pad, s.Obj, s.ID)
			formatBlock(b, s.Body, indent+1)
		case "send":
			fmt.Fprintf(b, "%s%s.send(%d)  # %s\n", pad, s.Obj, s.V, s.ID)
		case "recv":
			fmt.Fprintf(b, "%s%s.receive()  # %s\n", pad, s.Obj, s.ID)
		default:
			fmt.Fprintf(b, "%s%s?\n", pad, s.Op)
		}
	}
}

// The known causes of differences (see docs/api-mapping.md).
const (
	CausePastDeadline = "a deadline set in the past cancels at once (Trio: at the next checkpoint; a scope left before one reports cancel_called False)"
	CauseFailAfter    = "FailAfter's timeout rule: cancelled by hand, or the deadline fired and was moved later"
	CauseShield       = "a shield raised after the scope's context was cancelled cannot revive it"
	CauseUnexplained  = "unexplained (every one seen so far was the order of tasks at one instant)"
)

// Explain names the likely cause of a difference between AnyIO's trace and
// anyio's, from the shape of the program and of the difference. It is a
// guide for reading the report, not a proof: a difference it names may
// still have another cause.
func Explain(p Program, anyioTrio, anyio Trace) string {
	d := Diff(anyioTrio, anyio)
	ops := map[string]bool{}
	kinds := map[string]string{}
	var walk func([]Stmt)
	walk = func(body []Stmt) {
		for _, s := range body {
			switch {
			case s.Op == "deadline" && *s.D < 0:
				ops["past"] = true
			case s.Op == "shield" && s.On:
				ops["raise shield"] = true
			}
			if s.Op == "scope" {
				kinds[s.ID] = s.Kind
			}
			walk(s.Body)
			walk(s.Finally)
		}
	}
	walk(p.Body)
	onlyCalled := true
	failTimeout := false
	for _, line := range d {
		id, rest, _ := strings.Cut(line, ": ")
		a, b, _ := strings.Cut(rest, " | ")
		if strings.Replace(a, "called=false", "called=true", 1) != b {
			onlyCalled = false
		}
		if kinds[id] == "fail" && (strings.HasPrefix(a, "timeout") != strings.HasPrefix(b, "timeout")) {
			failTimeout = true
		}
	}
	switch {
	case onlyCalled && ops["past"]:
		return CausePastDeadline
	case failTimeout && (ops["past"] || strings.Contains(fmt.Sprint(p), "cancel")):
		return CauseFailAfter
	case ops["raise shield"]:
		return CauseShield
	}
	return CauseUnexplained
}
