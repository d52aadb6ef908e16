package fileio_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/anyio-go/anyio/fileio"
)

// pureRow is one row of testdata/purepath.json: what Python's
// pathlib.PurePosixPath(path).method(*args) answered, made by
// testdata/purepath_gen.py.
type pureRow struct {
	Path   string          `json:"path"`
	Method string          `json:"method"`
	Args   []string        `json:"args"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

func (r pureRow) key() string {
	b, _ := json.Marshal([]any{r.Path, r.Method, r.Args})
	return string(b)
}

// loadPureRows returns the rows of testdata/purepath.json, made by
// testdata/purepath_gen.py with the system's Python, updated with
// testdata/purepath_py314.json when that Python is older than 3.14: fileio
// follows Python 3.14, and that file holds 3.14's answers where they differ
// (a name ending with a dot has the suffix "."; leading dots are not
// suffixes; "." is a valid suffix for with_suffix; with_stem("") fails on a
// name with a suffix; in match, "*" and "?" never match the "/" of the
// root; paths sort by their string split at "/", so "/" sorts before "."),
// and the rows of methods the older Python lacks (full_match,
// relative_to with walk_up). The same script makes it, run by CPython
// 3.14 with --changes-from purepath.json; its docstring gives the commands.
func loadPureRows(t *testing.T) []pureRow {
	t.Helper()
	var table struct {
		Python string    `json:"python"`
		Rows   []pureRow `json:"rows"`
	}
	readJSON(t, "testdata/purepath.json", &table)
	if len(table.Rows) < 1000 {
		t.Fatalf("purepath.json has only %d rows", len(table.Rows))
	}
	if strings.HasPrefix(table.Python, "3.14") || strings.HasPrefix(table.Python, "3.15") {
		return table.Rows
	}
	var newer struct {
		Python  string `json:"python"`
		Changed map[string]struct {
			Result json.RawMessage `json:"result"`
			Error  string          `json:"error"`
		} `json:"changed"`
		Rows []pureRow `json:"rows"`
	}
	readJSON(t, "testdata/purepath_py314.json", &newer)
	if !strings.HasPrefix(newer.Python, "3.14.") {
		t.Fatalf("purepath_py314.json was made by Python %q, want 3.14", newer.Python)
	}
	changed := map[string]int{}
	for k := range newer.Changed {
		var parts []any
		if err := json.Unmarshal([]byte(k), &parts); err != nil {
			t.Fatalf("purepath_py314.json: bad key %s", k)
		}
		b, _ := json.Marshal(parts)
		changed[string(b)] = 0
		newer.Changed[string(b)] = newer.Changed[k]
	}
	used := 0
	for i, r := range table.Rows {
		if c, ok := newer.Changed[r.key()]; ok {
			table.Rows[i].Result, table.Rows[i].Error = c.Result, c.Error
			used++
		}
	}
	if used != len(changed) {
		t.Fatalf("purepath_py314.json changes %d rows, of which only %d are in purepath.json", len(changed), used)
	}
	known := map[string]bool{}
	for _, r := range table.Rows {
		known[r.key()] = true
	}
	for _, r := range newer.Rows {
		if known[r.key()] {
			t.Fatalf("purepath_py314.json adds row %s, which purepath.json already has", r.key())
		}
	}
	return append(table.Rows, newer.Rows...)
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// pureErrs maps each method to the sentinel its ValueError becomes.
var pureErrs = map[string]error{
	"with_name":           fileio.ErrInvalidName,
	"with_stem":           fileio.ErrInvalidName,
	"with_suffix":         nil, // ErrInvalidName or ErrInvalidSuffix
	"relative_to":         fileio.ErrNotRelative,
	"relative_to_walk_up": fileio.ErrNotRelative,
	"match":               fileio.ErrInvalidPattern,
	"as_uri":              fileio.ErrRelativePath,
}

// runPure calls the Go counterpart of a row and returns its answer as
// JSON, or the error.
func runPure(r pureRow) (any, error) {
	p := fileio.NewPath(r.Path)
	arg := func(i int) string { return r.Args[i] }
	paths := func(ps []fileio.Path) []string {
		out := []string{}
		for _, q := range ps {
			out = append(out, q.String())
		}
		return out
	}
	str := func(q fileio.Path, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return q.String(), nil
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	switch r.Method {
	case "str":
		return p.String(), nil
	case "parts":
		return nonNil(p.Parts()), nil
	case "name":
		return p.Name(), nil
	case "stem":
		return p.Stem(), nil
	case "suffix":
		return p.Suffix(), nil
	case "suffixes":
		return nonNil(p.Suffixes()), nil
	case "parent":
		return p.Parent().String(), nil
	case "parents":
		return paths(p.Parents()), nil
	case "root":
		return p.Root(), nil
	case "anchor":
		return p.Anchor(), nil
	case "is_absolute":
		return p.IsAbsolute(), nil
	case "as_posix":
		return p.AsPosix(), nil
	case "as_uri":
		u, err := p.AsURI()
		if err != nil {
			return nil, err
		}
		return u, nil
	case "joinpath":
		return p.JoinPath(r.Args...).String(), nil
	case "with_name":
		return str(p.WithName(arg(0)))
	case "with_stem":
		return str(p.WithStem(arg(0)))
	case "with_suffix":
		return str(p.WithSuffix(arg(0)))
	case "relative_to":
		return str(p.RelativeTo(fileio.NewPath(arg(0))))
	case "relative_to_walk_up":
		return str(p.RelativeTo(fileio.NewPath(arg(0)), fileio.WalkUp()))
	case "fnmatch":
		// A single name against a pattern without "/": Match compares the
		// one component, with the rules of fnmatch.
		ok, err := p.Match(arg(0))
		if err != nil {
			return nil, err
		}
		return ok, nil
	case "full_match":
		return p.FullMatch(arg(0)), nil
	case "is_relative_to":
		return p.IsRelativeTo(fileio.NewPath(arg(0))), nil
	case "match":
		ok, err := p.Match(arg(0))
		if err != nil {
			return nil, err
		}
		return ok, nil
	case "new":
		return fileio.NewPath(r.Args...).String(), nil
	case "lt":
		return p.Compare(fileio.NewPath(arg(0))) < 0, nil
	}
	return nil, fmt.Errorf("no Go counterpart for method %q", r.Method)
}

// TestPurePathTable checks every pure method against the answers of
// Python's pathlib.PurePosixPath in testdata/purepath.json.
func TestPurePathTable(t *testing.T) {
	rows := loadPureRows(t)
	for _, r := range rows {
		want, wantErr := string(r.Result), r.Error
		got, err := runPure(r)
		if wantErr != "" {
			if err == nil {
				t.Errorf("%s = %v, want a %s", r.key(), got, wantErr)
				continue
			}
			if sentinel := pureErrs[r.Method]; sentinel != nil && !errors.Is(err, sentinel) {
				t.Errorf("%s: error %v does not match %v", r.key(), err, sentinel)
			}
			if r.Method == "with_suffix" && !errors.Is(err, fileio.ErrInvalidName) && !errors.Is(err, fileio.ErrInvalidSuffix) {
				t.Errorf("%s: error %v is neither ErrInvalidName nor ErrInvalidSuffix", r.key(), err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v, want %s", r.key(), err, want)
			continue
		}
		var wantV any
		if err := json.Unmarshal([]byte(want), &wantV); err != nil {
			t.Fatalf("%s: bad result %q in the table: %v", r.key(), want, err)
		}
		gotJSON, _ := json.Marshal(got)
		var gotV any
		json.Unmarshal(gotJSON, &gotV)
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s = %s, want %s", r.key(), gotJSON, want)
		}
	}
}
