package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    float64
		unit string
		want string
	}{
		{"nanoseconds", 136.4, "ns/op", "136 ns"},
		{"microseconds", 2912, "ns/op", "2.9 µs"},
		{"milliseconds", 3_520_000, "ns/op", "3.52 ms"},
		{"per acquisition", 299, "ns/acquire", "299 ns"},
		{"throughput", 148.6, "MB/s", "149 MB/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := format(tc.v, tc.unit); got != tc.want {
				t.Errorf("format(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
			}
		})
	}
}

// Every row of the README's table names a target that exists, and the
// table has a row for each, with the Python workload's figures in it.
func TestWriteTable(t *testing.T) {
	byName := map[string]target{}
	for _, tg := range targets {
		byName[tg.Name] = tg
	}
	var selected []target
	results := map[bench]metrics{}
	py := &pythonResults{
		Machine: map[string]any{"cpus": 2.0, "python": "3.11", "anyio": "3.6.2", "uvloop": "0.17", "trio": "0.22", "tls_cipher": "X"},
		values:  map[string]map[string]float64{},
	}
	for _, r := range readmeRows {
		tg, ok := byName[r.Target]
		if !ok {
			t.Fatalf("readmeRows: no target %q in the targets table", r.Target)
		}
		selected = append(selected, tg)
		unit := tg.Metric
		if unit == "" {
			unit = "ns/op"
		}
		results[bench{tg.Pkg, tg.Anyio, tg.Benchtime}] = metrics{unit: {200}}
		results[bench{tg.Pkg, tg.Raw, tg.Benchtime}] = metrics{unit: {100}}
		py.values[r.Python] = map[string]float64{"asyncio": 5000, "uvloop": 4000, "trio": 3000}
	}
	var b strings.Builder
	writeTable(&b, selected, results, "", py, "0.5", "3.5", 10)
	out := b.String()
	for _, want := range []string{"Medians of 10 rounds", "load average 0.5 before and 3.5 after", "busy with other work", "| workload | raw Go | anyio |"} {
		if !strings.Contains(out, want) {
			t.Errorf("writeTable output lacks %q:\n%s", want, out)
		}
	}
	for _, r := range readmeRows {
		if !strings.Contains(out, "| "+r.Label+" | 100 ns | 200 ns | 2.00 | 5.0 µs | 4.0 µs | 3.0 µs |") &&
			!strings.Contains(out, "| "+r.Label+" | 100 MB/s | 200 MB/s | 2.00 | 5000 MB/s | 4000 MB/s | 3000 MB/s |") {
			t.Errorf("writeTable output has no full row for %q:\n%s", r.Label, out)
		}
	}
}

func TestReplaceTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	src := "# x\n\n" + tableBegin + "\nold table\n" + tableEnd + "\n\nafter\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := replaceTable(path, "new table\n"); err != nil {
		t.Fatalf("replaceTable: %v", err)
	}
	got, _ := os.ReadFile(path)
	want := "# x\n\n" + tableBegin + "\nnew table\n" + tableEnd + "\n\nafter\n"
	if string(got) != want {
		t.Errorf("after replaceTable:\n%s\nwant:\n%s", got, want)
	}
	if err := replaceTable(filepath.Join(t.TempDir(), "none.md"), "x"); err == nil {
		t.Errorf("replaceTable of a missing file = nil, want an error")
	}
	noMarkers := filepath.Join(t.TempDir(), "plain.md")
	os.WriteFile(noMarkers, []byte("# no markers\n"), 0o644)
	if err := replaceTable(noMarkers, "x"); err == nil || !strings.Contains(err.Error(), "markers") {
		t.Errorf("replaceTable without markers = %v, want an error about the markers", err)
	}
}
