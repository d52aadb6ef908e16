// Command bench measures anyio against raw Go and says whether each
// performance target is met.
//
// Every anyio benchmark has a yardstick: the same job written with plain
// goroutines, sync and context, as sub-benchmarks "anyio" and "raw" of one
// Benchmark function (see bench_test.go in the module root). bench compiles
// each package's test binary once (go test -c), then runs the benchmarks in
// interleaved rounds: every round runs every selected benchmark once, each in
// its own process, with -test.run '^$' -test.count 1, alternating whether the
// anyio or the raw side of a pair goes first. It parses ns/op and custom
// metrics, takes the median of every metric over the rounds, and prints one
// row per target:
//
//	benchmark  metric  anyio  raw  ratio  target  result
//
// Usage, from the module root:
//
//	go run ./bench                  # 10 rounds of every pair but the heavy ones
//	go run ./bench -rounds 20 -bench 'spawn|scope'
//	go run ./bench -scale           # also the heavy ones: a million tasks, 100,000 cancelled waiters, 10,000 connections
//	go run ./bench -python          # the README's table: anyio, raw Go and Python's AnyIO
//	go run ./bench -readme          # the same, written into README.md
//
// -python and -readme measure the workloads of the README's table (see
// python.go) and run bench/python/anyio_bench.py for Python's AnyIO on
// asyncio, uvloop and trio.
//
// A missed target prints MISS; bench exits non-zero only when it cannot run
// (a bad flag, a build failure, a benchmark that fails or reports nothing).
//
// To add a pair, write BenchmarkX with sub-benchmarks "anyio" and "raw" in a
// _test.go file of any package, and add a line to the targets table below.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
)

// A target compares a metric of an anyio benchmark with its yardstick (the
// ratio anyio/raw), or with an absolute bound when Absolute is set.
type target struct {
	Name      string  // row label, also what -bench matches
	Pkg       string  // package holding the benchmarks, relative to the module root
	Anyio     string  // the anyio benchmark, "BenchmarkX/anyio"
	Raw       string  // its yardstick, "BenchmarkX/raw"
	Metric    string  // the unit compared; "" means ns/op
	Cmp       string  // "≤", "<", "≥" or ">"; "" reports the ratio with no target
	Bound     float64 // bound on the ratio, or on the anyio value when Absolute
	Absolute  bool    // compare the anyio value itself with Bound
	Heavy     bool    // run only with -scale
	Benchtime string  // overrides -benchtime for this pair, e.g. "1x"
}

// targets is the table of performance targets. Later features add their
// pairs here.
var targets = []target{
	{Name: "spawn", Pkg: ".", Anyio: "BenchmarkSpawn/anyio", Raw: "BenchmarkSpawn/raw", Cmp: "≤", Bound: 1.5},
	{Name: "scope", Pkg: ".", Anyio: "BenchmarkScope/anyio", Raw: "BenchmarkScope/raw", Cmp: "≤", Bound: 1.5},
	{Name: "timeout", Pkg: ".", Anyio: "BenchmarkTimeout/anyio", Raw: "BenchmarkTimeout/raw", Cmp: "≤", Bound: 1.5},
	{Name: "cancel-latency", Pkg: ".", Anyio: "BenchmarkCancelLatency/anyio", Raw: "BenchmarkCancelLatency/raw", Cmp: "≤", Bound: 2},
	{Name: "scale", Pkg: ".", Anyio: "BenchmarkScale/anyio", Raw: "BenchmarkScale/raw", Cmp: "≤", Bound: 1.5, Heavy: true, Benchtime: "1x"},
	{Name: "scale-memory", Pkg: ".", Anyio: "BenchmarkScale/anyio", Raw: "BenchmarkScale/raw", Metric: "B/task", Cmp: "<", Bound: 4096, Absolute: true, Heavy: true, Benchtime: "1x"},
	{Name: "mass-cancel-lock", Pkg: ".", Anyio: "BenchmarkMassCancelLock/anyio", Raw: "BenchmarkMassCancelLock/raw", Metric: "ns/task", Cmp: "≤", Bound: 2, Heavy: true, Benchtime: "2x"},
	{Name: "mass-cancel-lock-memory", Pkg: ".", Anyio: "BenchmarkMassCancelLock/anyio", Raw: "BenchmarkMassCancelLock/raw", Metric: "B/task", Heavy: true, Benchtime: "2x"},
	{Name: "mass-cancel-memstream", Pkg: ".", Anyio: "BenchmarkMassCancelMemoryStream/anyio", Raw: "BenchmarkMassCancelMemoryStream/raw", Metric: "ns/task", Cmp: "≤", Bound: 2, Heavy: true, Benchtime: "2x"},
	{Name: "mass-cancel-memstream-memory", Pkg: ".", Anyio: "BenchmarkMassCancelMemoryStream/anyio", Raw: "BenchmarkMassCancelMemoryStream/raw", Metric: "B/task", Heavy: true, Benchtime: "2x"},
	{Name: "memstream-rendezvous", Pkg: ".", Anyio: "BenchmarkMemoryStreamRendezvous/anyio", Raw: "BenchmarkMemoryStreamRendezvous/raw", Cmp: "≤", Bound: 2},
	{Name: "memstream-buffered", Pkg: ".", Anyio: "BenchmarkMemoryStreamBuffered/anyio", Raw: "BenchmarkMemoryStreamBuffered/raw", Cmp: "≤", Bound: 2},
	{Name: "memstream-4x4", Pkg: ".", Anyio: "BenchmarkMemoryStreamFanInOut/anyio", Raw: "BenchmarkMemoryStreamFanInOut/raw", Cmp: "≤", Bound: 2},
	{Name: "memstream-allocs", Pkg: ".", Anyio: "BenchmarkMemoryStreamBuffered/anyio", Raw: "BenchmarkMemoryStreamBuffered/raw", Metric: "allocs/op", Cmp: "≤", Bound: 0, Absolute: true},
	{Name: "receive-until", Pkg: "streams/buffered", Anyio: "BenchmarkReceiveUntil/anyio", Raw: "BenchmarkReceiveUntil/raw", Cmp: "≤", Bound: 1.5},
	{Name: "text-utf8", Pkg: "streams/text", Anyio: "BenchmarkDecodeUTF8/anyio", Raw: "BenchmarkDecodeUTF8/raw", Cmp: "≤", Bound: 2},
	{Name: "lock-uncontended", Pkg: ".", Anyio: "BenchmarkLockUncontended/anyio", Raw: "BenchmarkLockUncontended/raw", Cmp: "≤", Bound: 4},
	{Name: "lock-allocs", Pkg: ".", Anyio: "BenchmarkLockUncontended/anyio", Raw: "BenchmarkLockUncontended/raw", Metric: "allocs/op", Cmp: "≤", Bound: 0, Absolute: true},
	{Name: "lock-contended", Pkg: ".", Anyio: "BenchmarkLockContended/anyio", Raw: "BenchmarkLockContended/raw", Metric: "ns/acquire", Cmp: "≤", Bound: 1.5},
	{Name: "lock-vs-mutex", Pkg: ".", Anyio: "BenchmarkLockContended/anyio", Raw: "BenchmarkLockContended/mutex", Metric: "ns/acquire"},
	{Name: "semaphore-contended", Pkg: ".", Anyio: "BenchmarkSemaphoreContended/anyio", Raw: "BenchmarkSemaphoreContended/raw", Metric: "ns/acquire", Cmp: "≤", Bound: 1.5},
	{Name: "semaphore-vs-xsync", Pkg: ".", Anyio: "BenchmarkSemaphoreContended/anyio", Raw: "BenchmarkSemaphoreContended/xsync", Metric: "ns/acquire"},
	{Name: "semaphore-allocs", Pkg: ".", Anyio: "BenchmarkSemaphoreUncontended/anyio", Raw: "BenchmarkSemaphoreUncontended/raw", Metric: "allocs/op", Cmp: "≤", Bound: 0, Absolute: true},
	{Name: "limiter-contended", Pkg: ".", Anyio: "BenchmarkLimiterContended/anyio", Raw: "BenchmarkLimiterContended/raw", Metric: "ns/acquire", Cmp: "≤", Bound: 2},
	{Name: "event-pingpong", Pkg: ".", Anyio: "BenchmarkEventPingPong/anyio", Raw: "BenchmarkEventPingPong/raw", Cmp: "≤", Bound: 1.5},
	{Name: "tcp-echo-64B", Pkg: ".", Anyio: "BenchmarkTCPEcho/anyio", Raw: "BenchmarkTCPEcho/raw", Cmp: "≤", Bound: 1.15},
	{Name: "tcp-bulk-64KiB", Pkg: ".", Anyio: "BenchmarkTCPBulk/anyio", Raw: "BenchmarkTCPBulk/raw", Metric: "MB/s", Cmp: "≥", Bound: 0.9},
	{Name: "tls-bulk-64KiB", Pkg: ".", Anyio: "BenchmarkTLSBulk/anyio", Raw: "BenchmarkTLSBulk/raw", Metric: "MB/s", Cmp: "≥", Bound: 0.9},
	{Name: "socket-cancel-p50", Pkg: ".", Anyio: "BenchmarkSocketCancelLatency/anyio", Raw: "BenchmarkSocketCancelLatency/raw", Metric: "p50-ns"},
	{Name: "socket-cancel-p99", Pkg: ".", Anyio: "BenchmarkSocketCancelLatency/anyio", Raw: "BenchmarkSocketCancelLatency/raw", Metric: "p99-ns"},
	{Name: "conn10k-memory", Pkg: ".", Anyio: "BenchmarkConn10k/anyio", Raw: "BenchmarkConn10k/raw", Metric: "B/conn", Heavy: true, Benchtime: "1x"},
	{Name: "conn10k-cancel", Pkg: ".", Anyio: "BenchmarkConn10k/anyio", Raw: "BenchmarkConn10k/raw", Metric: "cancel-ns", Heavy: true, Benchtime: "1x"},
	{Name: "gather-1000", Pkg: ".", Anyio: "BenchmarkGather/anyio", Raw: "BenchmarkGather/raw", Cmp: "≤", Bound: 1.5},
	{Name: "amap-limit-10", Pkg: ".", Anyio: "BenchmarkAMapLimit/anyio", Raw: "BenchmarkAMapLimit/raw", Cmp: "≤", Bound: 1.5},
	{Name: "lru-hit", Pkg: "functools", Anyio: "BenchmarkLRUCacheHit/anyio", Raw: "BenchmarkLRUCacheHit/raw", Cmp: "≤", Bound: 3},
	{Name: "lru-hit-8-goroutines", Pkg: "functools", Anyio: "BenchmarkLRUCacheParallel/anyio", Raw: "BenchmarkLRUCacheParallel/raw"},
	{Name: "path-readbytes-64MiB", Pkg: "fileio", Anyio: "BenchmarkReadBytes/anyio", Raw: "BenchmarkReadBytes/raw", Cmp: "≤", Bound: 1.1},
	{Name: "path-rglob-100k", Pkg: "fileio", Anyio: "BenchmarkRglob/anyio", Raw: "BenchmarkRglob/raw", Cmp: "≤", Bound: 1.5, Heavy: true},
	{Name: "tothread-runsync", Pkg: "tothread", Anyio: "BenchmarkRunSync/anyio", Raw: "BenchmarkRunSync/raw", Cmp: "≤", Bound: 3},
	{Name: "tothread-locked", Pkg: "tothread", Anyio: "BenchmarkRunSyncLocked/anyio", Raw: "BenchmarkRunSyncLocked/raw", Cmp: "≤", Bound: 1.5},
	{Name: "toprocess-roundtrip", Pkg: "toprocess", Anyio: "BenchmarkRunSync/anyio", Raw: "BenchmarkRunSync/raw"},
	{Name: "portal-call", Pkg: "fromthread", Anyio: "BenchmarkPortalCall/anyio", Raw: "BenchmarkPortalCall/raw"},
	{Name: "process-run", Pkg: "process", Anyio: "BenchmarkRun/anyio", Raw: "BenchmarkRun/raw", Cmp: "≤", Bound: 1.1},
	{Name: "process-cat-256MiB", Pkg: "process", Anyio: "BenchmarkCat/anyio", Raw: "BenchmarkCat/raw", Metric: "MB/s", Cmp: "≥", Bound: 0.9},
}

// A bench is one benchmark to run: what a round runs once.
type bench struct {
	pkg, name, benchtime string
}

// metrics maps a unit ("ns/op", "B/task") to the values of the rounds.
type metrics map[string][]float64

func main() {
	rounds := flag.Int("rounds", 10, "number of interleaved rounds")
	filter := flag.String("bench", ".", "run only the targets whose name or benchmark matches this regexp")
	scale := flag.Bool("scale", false, "include the heavy benchmarks (a million tasks, 100,000 cancelled waiters, 10,000 connections)")
	benchtime := flag.String("benchtime", "", "passed to -test.benchtime (default: the testing package's 1s)")
	verbose := flag.Bool("v", false, "print every benchmark result line")
	python := flag.Bool("python", false, "measure the README's workloads, Python's AnyIO too, and print the README's table")
	readme := flag.Bool("readme", false, "as -python, and write the table into README.md")
	pythonBin := flag.String("python-bin", "/usr/bin/python3", "the Python interpreter for -python and -readme (with python3-anyio, python3-trio, python3-uvloop)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./bench [flags]\n\nRuns anyio's paired benchmarks and compares them with their targets.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -bench:", err)
		os.Exit(2)
	}
	if *python || *readme {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := pythonTable(ctx, *pythonBin, *rounds, *benchtime, *verbose, *readme); err != nil {
			stop()
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	var selected []target
	for _, t := range targets {
		if (!t.Heavy || *scale) && (re.MatchString(t.Name) || re.MatchString(t.Anyio)) {
			selected = append(selected, t)
		}
	}
	if len(selected) == 0 {
		fmt.Fprintln(os.Stderr, "bench: no target matches -bench", *filter)
		os.Exit(2)
	}
	// An interrupt stops the benchmark that runs and still removes the
	// temporary directory of the test binaries.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, selected, *rounds, *benchtime, *verbose); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, selected []target, rounds int, benchtime string, verbose bool) error {
	results, err := measure(ctx, selected, rounds, benchtime, verbose)
	if err != nil {
		return err
	}
	return report(os.Stdout, selected, results, benchtime, rounds)
}

// measure runs the benchmarks of the selected targets in interleaved rounds
// and returns their metrics.
func measure(ctx context.Context, selected []target, rounds int, benchtime string, verbose bool) (map[bench]metrics, error) {
	dir, err := os.MkdirTemp("", "anyio-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	// One test binary per package, built once.
	binaries := map[string]string{}
	for _, t := range selected {
		if _, ok := binaries[t.Pkg]; ok {
			continue
		}
		bin := filepath.Join(dir, fmt.Sprintf("pkg%d.test", len(binaries)))
		cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./"+strings.TrimPrefix(t.Pkg, "./"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building the tests of %s: %w", t.Pkg, err)
		}
		binaries[t.Pkg] = bin
	}

	// Each round runs each pair's two sides back to back, alternating their
	// order, so that drift of the machine hits both sides alike.
	var pairs [][2]bench
	seen := map[bench]bool{}
	for _, t := range selected {
		bt := t.Benchtime
		if bt == "" {
			bt = benchtime
		}
		// A side already run for another target is not run twice (its
		// name is left empty), so that one anyio benchmark can be compared
		// with several yardsticks.
		p := [2]bench{{t.Pkg, t.Anyio, bt}, {t.Pkg, t.Raw, bt}}
		for i := range p {
			if seen[p[i]] {
				p[i].name = ""
			}
			seen[p[i]] = true
		}
		if p[0].name != "" || p[1].name != "" {
			pairs = append(pairs, p)
		}
	}
	results := map[bench]metrics{}
	for r := range rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d\n", r+1, rounds)
		for _, p := range pairs {
			order := p
			if r%2 == 1 {
				order[0], order[1] = p[1], p[0]
			}
			for _, b := range order {
				if b.name == "" {
					continue
				}
				m, err := runOnce(ctx, binaries[b.pkg], b, verbose)
				if err != nil {
					return nil, err
				}
				if results[b] == nil {
					results[b] = metrics{}
				}
				for unit, v := range m {
					results[b][unit] = append(results[b][unit], v...)
				}
			}
		}
	}
	return results, nil
}

// runOnce runs one benchmark in a fresh process and returns its metrics.
func runOnce(ctx context.Context, bin string, b bench, verbose bool) (metrics, error) {
	args := []string{"-test.run", "^$", "-test.bench", benchRegexp(b.name), "-test.count", "1"}
	if b.benchtime != "" {
		args = append(args, "-test.benchtime", b.benchtime)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Join(".", b.pkg) // as go test does: tests run in their package's directory
	cmd.Env = append(os.Environ(), "ANYIO_BENCH_SCALE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", b.pkg, b.name, err, out.String())
	}
	m := parse(&out, b.name, verbose)
	if len(m["ns/op"]) == 0 {
		return nil, fmt.Errorf("%s %s reported no result:\n%s", b.pkg, b.name, out.String())
	}
	return m, nil
}

// benchRegexp turns "BenchmarkX/anyio" into "^BenchmarkX$/^anyio$".
func benchRegexp(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// parse reads the result lines of benchmark name: the name (with its
// -GOMAXPROCS suffix), the iteration count, then value-unit pairs.
func parse(r io.Reader, name string, verbose bool) metrics {
	m := metrics{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || trimProcs(f[0]) != name {
			continue
		}
		if verbose {
			fmt.Fprintln(os.Stderr, "  "+sc.Text())
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = append(m[f[i+1]], v)
			}
		}
	}
	return m
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

func trimProcs(s string) string { return procsSuffix.ReplaceAllString(s, "") }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func report(w io.Writer, selected []target, results map[bench]metrics, benchtime string, rounds int) error {
	shown := benchtime
	if shown == "" {
		shown = "1s"
	}
	fmt.Fprintf(w, "medians of %d rounds (benchtime %s unless the pair sets its own)\n\n", rounds, shown)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "benchmark\tmetric\tanyio\traw\tratio\ttarget\tresult\t")
	for _, t := range selected {
		unit := t.Metric
		if unit == "" {
			unit = "ns/op"
		}
		bt := t.Benchtime
		if bt == "" {
			bt = benchtime
		}
		a := median(results[bench{t.Pkg, t.Anyio, bt}][unit])
		r := median(results[bench{t.Pkg, t.Raw, bt}][unit])
		ratio := a / r
		got, goal := ratio, fmt.Sprintf("%s %g", t.Cmp, t.Bound)
		if t.Absolute {
			got, goal = a, fmt.Sprintf("anyio %s %g", t.Cmp, t.Bound)
		}
		result := "MISS"
		if math.IsNaN(got) {
			result = "NO DATA"
		} else if t.Cmp == "" {
			goal, result = "-", "info"
		} else if meets(got, t.Cmp, t.Bound) {
			result = "pass"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t\n", t.Name, unit, num(a), num(r), ratio, goal, result)
	}
	return tw.Flush()
}

func meets(v float64, cmp string, bound float64) bool {
	switch cmp {
	case "≤", "<=":
		return v <= bound
	case "<":
		return v < bound
	case "≥", ">=":
		return v >= bound
	case ">":
		return v > bound
	}
	panic("bench: unknown comparison " + strconv.Quote(cmp) + " in the targets table")
}

// num prints a value with three significant digits at least.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
