package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A readmeRow is one workload of the README's performance table: a target
// of the targets table (its anyio and raw Go benchmarks) and the workload of
// bench/python/anyio_bench.py that does the same work per operation.
type readmeRow struct {
	Label  string // what one operation is
	Target string // the Name of a target
	Python string // the workload of anyio_bench.py
}

var readmeRows = []readmeRow{
	{"spawn 100 tasks and join them", "spawn", "spawn"},
	{"enter and leave a cancel scope", "scope", "scope"},
	{"enter and leave a timeout scope (`MoveOnAfter`)", "timeout", "timeout"},
	{"memory object stream, buffer 1024: one item", "memstream-buffered", "memstream"},
	{"`Lock` acquire and release, uncontended", "lock-uncontended", "lock"},
	{"`Lock`, 100 tasks contending: one acquisition", "lock-contended", "lock-contended"},
	{"`Event` ping-pong between two tasks: one round", "event-pingpong", "event"},
	{"TCP echo round trip, 64 B, loopback", "tcp-echo-64B", "tcp-echo"},
	{"TLS bulk transfer, 64 KiB writes, loopback (throughput)", "tls-bulk-64KiB", "tls-bulk"},
}

// pythonLoops are the columns of Python's AnyIO, in order.
var pythonLoops = []string{"asyncio", "uvloop", "trio"}

// pythonResults is what anyio_bench.py --json prints.
type pythonResults struct {
	Machine map[string]any                `json:"machine"`
	Results map[string]map[string]any     `json:"results"`
	values  map[string]map[string]float64 // workload -> loop -> value
}

// Markers around the table in README.md, which -readme replaces.
const (
	tableBegin = "<!-- perf-table:begin (go run ./bench -readme writes this) -->"
	tableEnd   = "<!-- perf-table:end -->"
)

// pythonTable measures the README's workloads on both sides and prints the
// table, or writes it into README.md.
func pythonTable(ctx context.Context, pythonBin string, rounds int, benchtime string, verbose, write bool) error {
	byName := map[string]target{}
	for _, t := range targets {
		byName[t.Name] = t
	}
	var selected []target
	for _, r := range readmeRows {
		t, ok := byName[r.Target]
		if !ok {
			return fmt.Errorf("readmeRows names the target %q, which is not in the targets table", r.Target)
		}
		selected = append(selected, t)
	}
	loadBefore := loadAvg()
	goResults, err := measure(ctx, selected, rounds, benchtime, verbose)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "Python's AnyIO: bench/python/anyio_bench.py")
	py, err := runPython(ctx, pythonBin, rounds)
	if err != nil {
		return err
	}
	loadAfter := loadAvg()

	var b strings.Builder
	writeTable(&b, selected, goResults, benchtime, py, loadBefore, loadAfter, rounds)
	if !write {
		fmt.Print(b.String())
		return nil
	}
	return replaceTable("README.md", b.String())
}

// runPython runs anyio_bench.py and parses its JSON.
func runPython(ctx context.Context, pythonBin string, rounds int) (*pythonResults, error) {
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, pythonBin, "bench/python/anyio_bench.py", "--json", "--rounds", fmt.Sprint(rounds))
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s bench/python/anyio_bench.py: %w (it needs python3-anyio, python3-trio, python3-uvloop and openssl)", pythonBin, err)
	}
	var py pythonResults
	if err := json.Unmarshal(stdout.Bytes(), &py); err != nil {
		return nil, fmt.Errorf("reading the output of anyio_bench.py: %w", err)
	}
	py.values = map[string]map[string]float64{}
	for w, r := range py.Results {
		py.values[w] = map[string]float64{}
		for k, v := range r {
			if f, ok := v.(float64); ok {
				py.values[w][k] = f
			}
		}
	}
	return &py, nil
}

func writeTable(w io.Writer, selected []target, goResults map[bench]metrics, benchtime string, py *pythonResults, loadBefore, loadAfter string, rounds int) {
	m := py.Machine
	fmt.Fprintf(w, "Measured on %s (%s CPUs, %s/%s) on %s, load average %s before and %s after;\n",
		cpuModel(), fmt.Sprint(m["cpus"]), runtime.GOOS, runtime.GOARCH, time.Now().Format("2006-01-02"), loadBefore, loadAfter)
	medians := fmt.Sprintf("Medians of %d rounds", rounds)
	if rounds == 1 {
		medians = "One round"
	}
	fmt.Fprintf(w, "%s; Python %s with AnyIO %s, uvloop %s, Trio %s. %s; time per operation\n",
		runtime.Version(), m["python"], m["anyio"], m["uvloop"], m["trio"], medians)
	fmt.Fprintf(w, "(lower is better) except the TLS row (MB/s, higher is better). Python's TLS cipher: %s.\n", m["tls_cipher"])
	if loaded(loadBefore, m["cpus"]) || loaded(loadAfter, m["cpus"]) {
		fmt.Fprintln(w, "The machine was busy with other work (a load average above its CPU count): every figure is")
		fmt.Fprintln(w, "inflated and noisy, the ratios less so.")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | raw Go | anyio | anyio ÷ raw | AnyIO asyncio | AnyIO uvloop | AnyIO trio |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for i, r := range readmeRows {
		t := selected[i]
		unit := t.Metric
		if unit == "" {
			unit = "ns/op"
		}
		bt := t.Benchtime
		if bt == "" {
			bt = benchtime
		}
		a := median(goResults[bench{t.Pkg, t.Anyio, bt}][unit])
		raw := median(goResults[bench{t.Pkg, t.Raw, bt}][unit])
		cells := []string{r.Label, format(raw, unit), format(a, unit), fmt.Sprintf("%.2f", a/raw)}
		for _, loop := range pythonLoops {
			v, ok := py.values[r.Python][loop]
			if !ok {
				v = math.NaN()
			}
			cells = append(cells, format(v, unit))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// format prints a time per operation in ns, µs or ms, or a throughput.
func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case unit == "MB/s":
		return fmt.Sprintf("%.0f MB/s", v)
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

// replaceTable writes table between the markers of the README.
func replaceTable(path, table string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(src)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q ... %q markers to write the table between", path, tableBegin, tableEnd)
	}
	out := s[:i+len(tableBegin)] + "\n" + table + s[j:]
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote the table into %s\n", path)
	return nil
}

// cpuModel names the processor, from /proc/cpuinfo where there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

// loaded reports whether a load average is above the number of CPUs.
func loaded(load string, cpus any) bool {
	l, err := strconv.ParseFloat(load, 64)
	n, ok := cpus.(float64)
	return err == nil && ok && l > n
}

// loadAvg returns the 1-minute load average, or "?" where it is unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
