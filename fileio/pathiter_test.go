package fileio_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fileio"
)

// openFDs counts the descriptors of this process.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd to count descriptors: %v", err)
	}
	return len(entries)
}

var dummies = []string{"sibdir/dummyfile1.txt", "sibdir/dummyfile2.txt", "subdir/dummyfile1.txt", "subdir/dummyfile2.txt"}

func TestGlob(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		glob := func(pattern string, opts ...fileio.GlobOption) []string {
			t.Helper()
			return collect(t, p, p.Glob(ctx, pattern, opts...))
		}
		checkStrings(t, "Glob(**/*.txt)", glob("**/*.txt"), dummies) // test_glob
		// test_glob_case_sensitive
		checkStrings(t, "Glob(**/DUMMY*.txt, CaseSensitive(true))", glob("**/DUMMY*.txt", fileio.CaseSensitive(true)), nil)
		checkStrings(t, "Glob(**/DUMMY*.txt, CaseSensitive(false))", glob("**/DUMMY*.txt", fileio.CaseSensitive(false)), dummies)
		// test_glob_recurse_symlinks
		withLink := append(slices.Clone(dummies), "subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt")
		slices.Sort(withLink)
		checkStrings(t, "Glob(**/*.txt, RecurseSymlinks())", glob("**/*.txt", fileio.RecurseSymlinks()), withLink)

		// Python 3.14's pattern language, beyond AnyIO's tests.
		for _, c := range []struct {
			pattern string
			want    []string
		}{
			{"*", []string{"sibdir", "subdir", "testfile", "testfile2"}},
			{"*/", []string{"sibdir", "subdir"}},
			{"**", []string{".", "sibdir", "sibdir/dummyfile1.txt", "sibdir/dummyfile2.txt", "subdir", "subdir/dummyfile1.txt", "subdir/dummyfile2.txt", "subdir/symlink", "testfile", "testfile2"}},
			{"**/", []string{".", "sibdir", "subdir"}},
			{"subdir/*/", []string{"subdir/symlink"}},
			{"subdir/*/*1.txt", []string{"subdir/symlink/dummyfile1.txt"}},
			{"*/dummyfile1.txt", []string{"sibdir/dummyfile1.txt", "subdir/dummyfile1.txt"}},
			{"subdir/../sibdir/*2.txt", []string{"subdir/../sibdir/dummyfile2.txt"}},
			{"./testfile", []string{"testfile"}},
			{"testfile", []string{"testfile"}},
			{"testfile/", nil},
			{"missing", nil},
			{"missing/*", nil},
			{"[st]*dir", []string{"sibdir", "subdir"}},
			{"testfile?", []string{"testfile2"}},
			{"testfile[!2]", nil},
			{"**/**/*2.txt", []string{"sibdir/dummyfile2.txt", "subdir/dummyfile2.txt"}},
			{"**/symlink", []string{"subdir/symlink"}},
			{"sub*/sym*/*", []string{"subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt"}},
		} {
			checkStrings(t, "Glob("+c.pattern+")", glob(c.pattern), c.want)
		}
		for _, bad := range []string{"", ".", "/x", "//x"} {
			var errs []error
			for _, err := range p.Glob(ctx, bad) {
				errs = append(errs, err)
			}
			if len(errs) != 1 || !errors.Is(errs[0], fileio.ErrInvalidPattern) {
				t.Errorf("Glob(%q) yielded %v, want one ErrInvalidPattern", bad, errs)
			}
		}
		return nil
	})
}

func TestGlobHidden(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t)
		p.JoinPath(".hidden").Touch(ctx)
		p.JoinPath("shown").Touch(ctx)
		// pathlib's wildcards match names that start with a dot.
		checkStrings(t, "Glob(*)", collect(t, p, p.Glob(ctx, "*")), []string{".hidden", "shown"})
		return nil
	})
}

func TestGlobRelativeToCwd(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	anyiotest.Run(t, func(ctx context.Context) error {
		fileio.NewPath("a/b").Mkdir(ctx, fileio.Parents())
		fileio.NewPath("a/b/c.txt").Touch(ctx)
		var got []string
		for p, err := range fileio.NewPath().Glob(ctx, "**") {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.String())
		}
		slices.Sort(got)
		checkStrings(t, "NewPath().Glob(**)", got, []string{".", "a", "a/b", "a/b/c.txt"})
		return nil
	})
}

func TestRglob(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		checkStrings(t, "Rglob(*.txt)", collect(t, p, p.Rglob(ctx, "*.txt")), dummies) // test_rglob
		// test_rglob_case_sensitive
		checkStrings(t, "Rglob(*.TXT, CaseSensitive(true))", collect(t, p, p.Rglob(ctx, "*.TXT", fileio.CaseSensitive(true))), nil)
		checkStrings(t, "Rglob(*.TXT, CaseSensitive(false))", collect(t, p, p.Rglob(ctx, "*.TXT", fileio.CaseSensitive(false))), dummies)
		// test_rglob_recurse_symlinks
		withLink := append(slices.Clone(dummies), "subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt")
		slices.Sort(withLink)
		checkStrings(t, "Rglob(**/*.txt, RecurseSymlinks())", collect(t, p, p.Rglob(ctx, "**/*.txt", fileio.RecurseSymlinks())), withLink)
		checkStrings(t, "Rglob(sym*)", collect(t, p, p.Rglob(ctx, "sym*")), []string{"subdir/symlink"})
		return nil
	})
}

func TestIterdir(t *testing.T) { // test_iterdir
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		checkStrings(t, "Iterdir", collect(t, p, p.Iterdir(ctx)), []string{"sibdir", "subdir", "testfile", "testfile2"})
		var errs []error
		for q, err := range p.JoinPath("missing").Iterdir(ctx) {
			if err == nil {
				t.Errorf("Iterdir of a missing directory yielded %v", q)
			}
			errs = append(errs, err)
		}
		if len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
			t.Errorf("Iterdir of a missing directory yielded %v, want one ErrNotExist", errs)
		}
		return nil
	})
}

// TestIteratorsStopEarly breaks out of every iterator after its first
// item and checks that no descriptor stays open (goroutines are checked by
// anyiotest.Run).
func TestIteratorsStopEarly(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		before := openFDs(t)
		for name, seq := range map[string]func(func(fileio.Path, error) bool){
			"Iterdir": p.Iterdir(ctx),
			"Glob":    p.Glob(ctx, "**/*"),
			"Rglob":   p.Rglob(ctx, "*", fileio.RecurseSymlinks()),
			"Walk":    p.Walk(ctx),
			"WalkUp":  p.Walk(ctx, fileio.TopDown(false)),
		} {
			n := 0
			for _, err := range seq {
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				n++
				break
			}
			if n != 1 {
				t.Errorf("%s yielded nothing", name)
			}
		}
		if after := openFDs(t); after != before {
			t.Errorf("%d descriptors open before the loops, %d after", before, after)
		}
		return nil
	})
}

func TestIteratorsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := fileio.NewPath(t.TempDir())
	for name, seq := range map[string]func(func(fileio.Path, error) bool){
		"Iterdir": p.Iterdir(ctx),
		"Glob":    p.Glob(ctx, "*"),
		"Rglob":   p.Rglob(ctx, "*"),
		"Walk":    p.Walk(ctx),
	} {
		var errs []error
		for _, err := range seq {
			errs = append(errs, err)
		}
		if len(errs) == 0 || !errors.Is(errs[len(errs)-1], context.Canceled) {
			t.Errorf("%s with a cancelled context yielded %v, want a cancellation last", name, errs)
		}
	}
}

// walk collects what Walk yields, relative to base, in order.
func walk(t *testing.T, base fileio.Path, opts ...fileio.WalkOption) []string {
	t.Helper()
	var out []string
	for p, err := range base.Walk(context.Background(), opts...) {
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		rel, _ := p.RelativeTo(base)
		out = append(out, rel.String())
	}
	return out
}

func TestWalk(t *testing.T) { // test_walk
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t)
		sub := p.JoinPath("subdir")
		sub.Mkdir(ctx)
		sub.JoinPath("file1").Touch(ctx)
		sub.JoinPath("file2").Touch(ctx)
		got := walk(t, p)
		if len(got) != 4 || got[0] != "." || got[1] != "subdir" {
			t.Fatalf("Walk = %q, want ., subdir, then its files", got)
		}
		checkStrings(t, "the files of subdir", sorted(got[2:]), []string{"subdir/file1", "subdir/file2"})
		up := walk(t, p, fileio.TopDown(false))
		if len(up) != 4 || up[2] != "subdir" || up[3] != "." {
			t.Fatalf("Walk(TopDown(false)) = %q, want the files of subdir, subdir, .", up)
		}
		return nil
	})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestWalkOrderAndLinks(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		got := walk(t, p)
		index := func(s string) int { return slices.Index(got, s) }
		// Every path comes after its directory, and a directory's entries
		// together.
		for _, s := range got[1:] {
			if index(fileio.NewPath(s).Parent().String()) > index(s) {
				t.Errorf("Walk yielded %s before its directory: %q", s, got)
			}
		}
		checkStrings(t, "Walk", sorted(got), sorted([]string{".", "testfile", "testfile2", "subdir", "sibdir",
			"subdir/dummyfile1.txt", "subdir/dummyfile2.txt", "subdir/symlink", "sibdir/dummyfile1.txt", "sibdir/dummyfile2.txt"}))
		// Bottom-up: every path after everything below it.
		up := walk(t, p, fileio.TopDown(false))
		if up[len(up)-1] != "." {
			t.Errorf("Walk(TopDown(false)) did not end with the root: %q", up)
		}
		if slices.Index(up, "subdir") < slices.Index(up, "subdir/dummyfile1.txt") {
			t.Errorf("Walk(TopDown(false)) yielded subdir before its files: %q", up)
		}
		// Following links walks into subdir/symlink.
		follow := walk(t, p, fileio.FollowSymlinks(true))
		if !slices.Contains(follow, "subdir/symlink/dummyfile1.txt") {
			t.Errorf("Walk(FollowSymlinks(true)) = %q, lacks the files behind the link", follow)
		}
		return nil
	})
}

func TestWalkErrors(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		missing := tmp(t).JoinPath("missing")
		var got []error
		for q, err := range missing.Walk(ctx) {
			if err == nil {
				t.Errorf("Walk of a missing directory yielded %v", q)
			} else {
				got = append(got, err)
				if q != missing {
					t.Errorf("the error came with %v, want %v", q, missing)
				}
			}
		}
		if len(got) != 1 || !errors.Is(got[0], fs.ErrNotExist) {
			t.Errorf("Walk of a missing directory yielded errors %v", got)
		}
		got = nil
		for _, err := range missing.Walk(ctx, fileio.TopDown(false)) {
			got = append(got, err)
		}
		if len(got) != 1 || !errors.Is(got[0], fs.ErrNotExist) {
			t.Errorf("Walk(TopDown(false)) of a missing directory yielded %v", got)
		}
		return nil
	})
}
