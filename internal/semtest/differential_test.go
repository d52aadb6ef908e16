package semtest_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/internal/semtest"
)

var (
	diffSeed  = flag.Uint64("semtest.seed", 1, "seed of the programs TestDifferential generates")
	diffN     = flag.Int("semtest.n", 400, "how many programs TestDifferential generates")
	diffWrite = flag.String("semtest.write", "", "file to write TestDifferential's deterministic programs and AnyIO's traces to, as a corpus")
	diffShow  = flag.Int("semtest.show", 20, "how many differing programs TestDifferential prints in full")
)

// runGo runs p on anyio in virtual time and returns its trace.
func runGo(t *testing.T, p semtest.Program) semtest.Trace {
	t.Helper()
	var tr semtest.Trace
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		tr = semtest.Exec(ctx, p)
		return nil
	})
	return tr
}

// runPython runs the programs on Python AnyIO on Trio (see README.md) with
// Trio's scheduler seeded with seed, and returns their traces.
func runPython(t *testing.T, python string, ps []semtest.Program, seed int, flags ...string) []semtest.Trace {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "programs.json")
	data, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{filepath.Join("testdata", "anyio_trio.py")}, flags...)
	cmd := exec.Command(python, append(args, "--seed", fmt.Sprint(seed), in)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running anyio_trio.py: %v\n%s", err, stderr.String())
	}
	var trs []semtest.Trace
	if err := json.Unmarshal(out, &trs); err != nil {
		t.Fatalf("decoding anyio_trio.py's output: %v", err)
	}
	if len(trs) != len(ps) {
		t.Fatalf("anyio_trio.py gave %d traces for %d programs", len(trs), len(ps))
	}
	return trs
}

// TestDifferential generates programs, runs each on Python AnyIO on Trio
// (three times, with different scheduler seeds) and on anyio (three times), and
// reports every program whose traces differ. A program whose trace changes
// between runs of the same implementation depends on the order of tasks
// woken at the same instant, which neither promises; it is counted apart
// and not compared.
//
// It needs Python with AnyIO 4 and Trio: set SEMTEST_PYTHON to the
// interpreter (with PYTHONPATH as needed); see README.md. It is not part of
// the ordinary test run for that reason.
func TestDifferential(t *testing.T) {
	python := os.Getenv("SEMTEST_PYTHON")
	if python == "" {
		t.Skip("SEMTEST_PYTHON is not set: this comparison needs a Python with AnyIO 4 and Trio (see internal/semtest/README.md)")
	}
	ps := semtest.Generate(*diffSeed, *diffN)
	procs := runtime.GOMAXPROCS(0)
	py1 := runPython(t, python, ps, 1)
	py2 := runPython(t, python, ps, 2)
	py3 := runPython(t, python, ps, 3)
	var (
		agree, pyRacy, goRacy int
		differ                []string
		corpus                []semtest.Case
		differIdx             []int
		pending               []semtest.Program // the programs that differ, in differIdx's order
	)
	byCause := map[string]int{}
	for i, p := range ps {
		if !semtest.Equal(py1[i], py2[i]) || !semtest.Equal(py1[i], py3[i]) {
			pyRacy++
			continue
		}
		g := runGo(t, p)
		racy := false
		runs := 2
		if *diffWrite != "" {
			// A program of the corpus must give the same trace on any
			// machine: try it more, with 1 to 8 Ps.
			runs = 16
		}
		for k := range runs {
			if *diffWrite != "" {
				runtime.GOMAXPROCS(1 << (k % 4))
			}
			if !semtest.Equal(g, runGo(t, p)) {
				racy = true
				break
			}
		}
		runtime.GOMAXPROCS(procs)
		if racy {
			goRacy++
			continue
		}
		d := semtest.Diff(py1[i], g)
		c := semtest.Case{Program: p, AnyIO: py1[i]}
		if len(d) == 0 {
			agree++
		} else {
			c.Anyio = g
			c.Why = semtest.Explain(p, py1[i], g)
			differIdx = append(differIdx, len(corpus))
			differ = append(differ, fmt.Sprintf("%s (\x00):\n%s\n  AnyIO | anyio:\n    %s", p.Name, semtest.Format(p), strings.Join(d, "\n    ")))
			pending = append(pending, p)
		}
		corpus = append(corpus, c)
	}
	// A difference that goes away when Python AnyIO is made to cancel at
	// once on a deadline set in the past has that rule as its cause.
	if len(pending) > 0 {
		emu := runPython(t, python, pending, 1, "--past-deadline-cancels")
		for i, k := range differIdx {
			if semtest.Equal(emu[i], corpus[k].Anyio) {
				corpus[k].Why = semtest.CausePastDeadline
			}
		}
	}
	for _, c := range corpus {
		if c.Anyio != nil {
			byCause[c.Why]++
		}
	}
	for i, d := range differ {
		differ[i] = strings.Replace(d, "\x00", corpus[differIdx[i]].Why, 1)
	}
	t.Logf("%d programs: %d agree, %d differ, %d depend on Trio's scheduling order, %d on Go's", len(ps), agree, len(differ), pyRacy, goRacy)
	causes := make([]string, 0, len(byCause))
	for c := range byCause {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, c := range causes {
		t.Logf("  %d differ: %s", byCause[c], c)
	}
	for i, d := range differ {
		if i == *diffShow {
			break
		}
		t.Log(d)
	}
	if *diffWrite != "" {
		// The corpus keeps the programs that agree, and those whose
		// difference the emulation above proved to come from the rule on
		// past deadlines; the others (whose cause is a guess) are left for
		// a person to read, and the known ones have tests of their own.
		var keep []semtest.Case
		for _, c := range corpus {
			if c.Anyio == nil || c.Why == semtest.CausePastDeadline {
				keep = append(keep, c)
			}
		}
		data, err := json.Marshal(keep)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*diffWrite, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var diffDump = flag.String("semtest.dump", "", "file to write the programs TestGenerate makes (-semtest.seed, -semtest.n) to, for running anyio_trio.py by hand")

// TestGenerate checks that a seed gives the same programs every time, and
// writes them to -semtest.dump if given.
func TestGenerate(t *testing.T) {
	a, err := json.Marshal(semtest.Generate(*diffSeed, *diffN))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(semtest.Generate(*diffSeed, *diffN))
	if string(a) != string(b) {
		t.Fatal("Generate: two calls with the same seed gave different programs")
	}
	if *diffDump != "" {
		if err := os.WriteFile(*diffDump, a, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
