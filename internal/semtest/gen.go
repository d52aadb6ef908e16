package semtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Generate returns n programs made from seed: the same seed gives the same
// programs. The programs nest task groups, cancel scopes of every kind,
// shields and deadlines set before and after entering, Start children,
// try/finally cleanups, errors and the waits of Event, Lock and a memory
// stream, at most a few levels deep.
//
// Times are chosen to keep the tasks' steps from ending at the same instant
// as a deadline or a step of another task (whose order AnyIO on Trio leaves
// to its scheduler): sleeps are multiples of half a second plus an offset
// that is different for each task, and deadlines fall a quarter second off
// those multiples.
func Generate(seed uint64, n int) []Program {
	ps := make([]Program, n)
	for i := range ps {
		g := &gen{r: rand.New(rand.NewPCG(seed, uint64(i)))}
		body := g.block(genCtx{}, 1+g.r.IntN(4))
		ps[i] = Program{Name: fmt.Sprintf("s%d-%d", seed, i), Body: body}
	}
	return ps
}

type gen struct {
	r     *rand.Rand
	ids   int
	tasks int
}

type genCtx struct {
	depth   int
	targets []string // enclosing scopes and groups, outermost first
	timed   []string // the targets that have a deadline of their own
	groups  []string // enclosing task groups
	task    int      // the task's index, for its time offset
	start   bool     // the top level of a Start child
	locked  bool     // the task holds the lock (a Lock is not reentrant)
}

func (g *gen) id(prefix string) string {
	g.ids++
	return fmt.Sprintf("%s%d", prefix, g.ids)
}

func (g *gen) pick(xs ...float64) *float64 {
	v := xs[g.r.IntN(len(xs))]
	return &v
}

// sleepD is a sleep's length for the task.
func (g *gen) sleepD(c genCtx) *float64 {
	d := *g.pick(0.5, 1, 1, 1.5, 2, 3) + float64(c.task%8)/32
	return &d
}

// deadlineD is a deadline's distance from now: a quarter second off the
// half-second grid, plus a 256th of a second times the last digits of the
// statement count, so that two deadlines seldom fall at the same instant
// and a deadline never falls where a sleep ends (sleeps move in 32nds).
func (g *gen) deadlineD() *float64 {
	d := *g.pick(0.25, 0.75, 1.25, 1.25, 1.75, 2.75, 4.25) + float64(1+g.ids%7)/256
	return &d
}

func (g *gen) block(c genCtx, n int) []Stmt {
	var body []Stmt
	for range n {
		s := g.stmt(c)
		body = append(body, s)
		if s.Op == "raise" {
			break
		}
	}
	if c.start && g.r.IntN(8) != 0 {
		// Started somewhere in the child's top level.
		i := g.r.IntN(len(body) + 1)
		if i > 0 && body[i-1].Op == "raise" {
			i--
		}
		st := Stmt{Op: "started", V: 1 + g.r.IntN(9)}
		body = append(body[:i], append([]Stmt{st}, body[i:]...)...)
	}
	return body
}

func (g *gen) child(c genCtx) genCtx {
	c.depth++
	c.start = false
	return c
}

func (g *gen) stmt(c genCtx) Stmt {
	type choice struct {
		w  int
		fn func() Stmt
	}
	leaf := c.depth >= 3
	choices := []choice{
		{8, func() Stmt { return Stmt{Op: "sleep", ID: g.id("s"), D: g.sleepD(c)} }},
		{2, func() Stmt { return Stmt{Op: "checkpoint", ID: g.id("s")} }},
		{1, func() Stmt { return Stmt{Op: "sleep_forever", ID: g.id("s")} }},
		{2, func() Stmt { return Stmt{Op: "raise", Err: fmt.Sprintf("E%d", 1+g.r.IntN(3))} }},
		{2, func() Stmt {
			return Stmt{Op: "set", Obj: fmt.Sprintf("e%d", 1+g.r.IntN(2))}
		}},
		{2, func() Stmt {
			return Stmt{Op: "wait", ID: g.id("s"), Obj: fmt.Sprintf("e%d", 1+g.r.IntN(2))}
		}},
		{1, func() Stmt { return Stmt{Op: "send", ID: g.id("s"), Obj: "m1", V: 1 + g.r.IntN(9)} }},
		{1, func() Stmt { return Stmt{Op: "recv", ID: g.id("s"), Obj: "m1"} }},
	}
	if len(c.targets) > 0 {
		target := func() string { return c.targets[g.r.IntN(len(c.targets))] }
		choices = append(choices,
			choice{4, func() Stmt { return Stmt{Op: "cancel", Target: target()} }},
			choice{3, func() Stmt {
				// A shield is raised only on a scope with a deadline, so
				// that every program ends: the guard around it cannot
				// reach into a shield.
				if len(c.timed) > 0 && g.r.IntN(3) != 0 {
					return Stmt{Op: "shield", Target: c.timed[g.r.IntN(len(c.timed))], On: true}
				}
				return Stmt{Op: "shield", Target: target(), On: false}
			}},
			choice{3, func() Stmt {
				d := g.deadlineD()
				if g.r.IntN(6) == 0 {
					d = g.pick(-1) // in the past
				}
				return Stmt{Op: "deadline", Target: target(), D: d}
			}},
		)
	}
	if !leaf {
		choices = append(choices,
			choice{8, func() Stmt { return g.scope(c) }},
			choice{5, func() Stmt { return g.group(c) }},
			choice{3, func() Stmt {
				cc := g.child(c)
				return Stmt{Op: "try", Body: g.block(cc, 1+g.r.IntN(3)), Finally: g.cleanup(cc)}
			}},
		)
		if !c.locked {
			choices = append(choices, choice{1, func() Stmt {
				cc := g.child(c)
				cc.locked = true
				return Stmt{Op: "locked", ID: g.id("s"), Obj: "l1", Body: g.block(cc, 1+g.r.IntN(2))}
			}})
		}
		if len(c.groups) > 0 {
			choices = append(choices, choice{2, func() Stmt { return g.spawn(c, c.groups[g.r.IntN(len(c.groups))]) }})
		}
	}
	total := 0
	for _, ch := range choices {
		total += ch.w
	}
	k := g.r.IntN(total)
	for _, ch := range choices {
		if k < ch.w {
			return ch.fn()
		}
		k -= ch.w
	}
	panic("unreachable")
}

// cleanup is a finally block: often a shielded scope, as cleanup code in a
// cancelled scope needs.
func (g *gen) cleanup(c genCtx) []Stmt {
	switch g.r.IntN(4) {
	case 0, 1:
		id := g.id("c")
		cc := g.child(c)
		cc.targets = append(append([]string(nil), c.targets...), id)
		cc.timed = append(append([]string(nil), c.timed...), id)
		kind := "plain"
		if g.r.IntN(2) == 0 {
			kind = "move_on"
		}
		d := g.deadlineD()
		return []Stmt{{Op: "scope", ID: id, Kind: kind, D: d, Shield: true, Body: g.block(cc, 1+g.r.IntN(2))}}
	case 2:
		return []Stmt{{Op: "sleep", ID: g.id("s"), D: g.sleepD(c)}}
	default:
		return []Stmt{{Op: "checkpoint", ID: g.id("s")}}
	}
}

func (g *gen) scope(c genCtx) Stmt {
	id := g.id("c")
	s := Stmt{Op: "scope", ID: id, Shield: g.r.IntN(4) == 0}
	switch g.r.IntN(4) {
	case 0:
		s.Kind = "plain"
		if s.Shield { // every shield has a deadline (see stmt)
			s.D = g.deadlineD()
		}
	case 1:
		s.Kind, s.D = "plain", g.deadlineD()
	case 2:
		s.Kind, s.D = "move_on", g.deadlineD()
	default:
		s.Kind, s.D = "fail", g.deadlineD()
	}
	cc := g.child(c)
	cc.start = false
	cc.targets = append(append([]string(nil), c.targets...), id)
	if s.D != nil {
		cc.timed = append(append([]string(nil), c.timed...), id)
	}
	s.Body = g.block(cc, 1+g.r.IntN(4))
	return s
}

func (g *gen) group(c genCtx) Stmt {
	id := g.id("g")
	cc := g.child(c)
	cc.targets = append(append([]string(nil), c.targets...), id)
	cc.groups = append(append([]string(nil), c.groups...), id)
	var body []Stmt
	for range 1 + g.r.IntN(3) {
		body = append(body, g.spawn(cc, id))
	}
	body = append(body, g.block(cc, g.r.IntN(3))...)
	return Stmt{Op: "group", ID: id, Body: body}
}

// spawn starts a child into group: StartSoon mostly, Start sometimes.
func (g *gen) spawn(c genCtx, group string) Stmt {
	g.tasks++
	cc := g.child(c)
	cc.task = g.tasks
	cc.locked = false
	// The child can name only the scopes that outlive it: the group and
	// what encloses the group, not the scopes of the host's body.
	for i, t := range c.targets {
		if t == group {
			cc.targets = c.targets[: i+1 : i+1]
		}
	}
	cc.timed = nil
	for _, t := range c.timed {
		if slices.Contains(cc.targets, t) {
			cc.timed = append(cc.timed, t)
		}
	}
	for i, t := range c.groups {
		if t == group {
			cc.groups = c.groups[: i+1 : i+1]
		}
	}
	if g.r.IntN(4) == 0 {
		cc.start = true
		return Stmt{Op: "start", ID: g.id("t"), Group: group, Body: g.block(cc, 1+g.r.IntN(3))}
	}
	return Stmt{Op: "start_soon", ID: g.id("t"), Group: group, Body: g.block(cc, 1+g.r.IntN(3))}
}
