package fileio_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fileio"
)

// The tests of this file port AnyIO's tests/test_fileio.py TestPath; each
// names the test it ports. The pure methods are also checked row by row
// against Python in path_table_test.go.

func mustNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// tmp returns a fresh directory as a Path.
func tmp(t *testing.T) fileio.Path { return fileio.NewPath(t.TempDir()) }

// populated makes AnyIO's populated_tmpdir fixture: two files, two
// directories each holding two .txt files, and subdir/symlink -> sibdir.
func populated(t *testing.T, ctx context.Context) fileio.Path {
	t.Helper()
	p := tmp(t)
	mustNoErr(t, "Touch", p.JoinPath("testfile").Touch(ctx))
	mustNoErr(t, "Touch", p.JoinPath("testfile2").Touch(ctx))
	sub, sib := p.JoinPath("subdir"), p.JoinPath("sibdir")
	for _, d := range []fileio.Path{sub, sib} {
		mustNoErr(t, "Mkdir", d.Mkdir(ctx))
		mustNoErr(t, "Touch", d.JoinPath("dummyfile1.txt").Touch(ctx))
		mustNoErr(t, "Touch", d.JoinPath("dummyfile2.txt").Touch(ctx))
	}
	mustNoErr(t, "SymlinkTo", sub.JoinPath("symlink").SymlinkTo(ctx, sib))
	return p
}

// collect runs an iterator to its end and returns what it yielded,
// relative to base, sorted.
func collect(t *testing.T, base fileio.Path, seq func(yield func(fileio.Path, error) bool)) []string {
	t.Helper()
	var out []string
	for p, err := range seq {
		if err != nil {
			t.Fatalf("iterator yielded error %v", err)
		}
		rel, err := p.RelativeTo(base)
		if err != nil {
			t.Fatalf("%v is not below %v", p, base)
		}
		out = append(out, rel.String())
	}
	slices.Sort(out)
	return out
}

func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestPathGoString(t *testing.T) { // test_repr
	if got := fileio.NewPath("/foo").GoString(); got != `fileio.NewPath("/foo")` {
		t.Errorf("GoString = %s", got)
	}
}

func TestPathEquality(t *testing.T) { // test_hash: equal paths are == (usable as map keys)
	m := map[fileio.Path]int{fileio.NewPath("/foo"): 1}
	if m[fileio.NewPath("/foo/")] != 1 || m[fileio.NewPath("//foo")] != 0 {
		t.Error("paths that normalize alike must be equal, and only those")
	}
	if fileio.NewPath() != fileio.NewPath(".") || fileio.NewPath("") != (fileio.Path{}) {
		t.Error("the zero Path, NewPath(), NewPath(\".\") and NewPath(\"\") must be equal")
	}
}

func TestPathComparison(t *testing.T) { // test_comparison
	p1, p2 := fileio.NewPath("/foo1"), fileio.NewPath("/foo2")
	if p1.Compare(p2) >= 0 || p2.Compare(p1) <= 0 || p1.Compare(p1) != 0 {
		t.Errorf("Compare(/foo1, /foo2) = %d, reversed %d", p1.Compare(p2), p2.Compare(p1))
	}
}

func TestPathJoin(t *testing.T) { // test_truediv, test_rtruediv, test_joinpath
	if got := fileio.NewPath("/foo").JoinPath("bar"); got != fileio.NewPath("/foo/bar") {
		t.Errorf("JoinPath = %v", got)
	}
	if got := fileio.NewPath("/foo", fileio.NewPath("bar").String()); got.String() != "/foo/bar" {
		t.Errorf("NewPath(/foo, bar) = %v", got)
	}
}

func TestPathProperties(t *testing.T) {
	p := fileio.NewPath("/abc/xyz/foo.txt")
	checkStrings(t, "Parts", p.Parts(), []string{"/", "abc", "xyz", "foo.txt"}) // test_parts_property
	if p.Root() != "/" || p.Anchor() != "/" {                                   // test_root_property, test_anchor_property
		t.Errorf("Root, Anchor = %q, %q", p.Root(), p.Anchor())
	}
	var parents []string // test_parents_property
	for _, q := range p.Parents() {
		parents = append(parents, q.String())
	}
	checkStrings(t, "Parents", parents, []string{"/abc/xyz", "/abc", "/"})
	if got := p.Parent().String(); got != "/abc/xyz" { // test_parent_property
		t.Errorf("Parent = %q", got)
	}
	q := fileio.NewPath("/abc/xyz/foo.txt.zip")
	if q.Name() != "foo.txt.zip" || q.Suffix() != ".zip" || q.Stem() != "foo.txt" { // test_name, suffix, stem
		t.Errorf("Name, Suffix, Stem = %q, %q, %q", q.Name(), q.Suffix(), q.Stem())
	}
	checkStrings(t, "Suffixes", fileio.NewPath("/abc/xyz/foo.tar.gz").Suffixes(), []string{".tar", ".gz"}) // test_suffixes_property
	if !fileio.NewPath("/xyz").IsAbsolute() || fileio.NewPath("../xyz").IsAbsolute() {                     // test_is_absolute
		t.Error("IsAbsolute")
	}
	if !fileio.NewPath("/xyz/abc/foo").IsRelativeTo(fileio.NewPath("/xyz/abc")) || // test_is_relative_to
		fileio.NewPath("/xyz/abc/foo").IsRelativeTo(fileio.NewPath("/xyz/baz")) {
		t.Error("IsRelativeTo")
	}
}

func TestPathWith(t *testing.T) {
	p := fileio.NewPath("/xyz/foo.txt")
	if q, err := p.WithName("bar"); err != nil || q.Name() != "bar" { // test_with_name
		t.Errorf("WithName(bar) = %v, %v", q, err)
	}
	if q, err := p.WithStem("bar"); err != nil || q.Name() != "bar.txt" { // test_with_stem
		t.Errorf("WithStem(bar) = %v, %v", q, err)
	}
	if _, err := p.WithStem(""); !errors.Is(err, fileio.ErrInvalidName) || !strings.Contains(err.Error(), "non-empty suffix") { // test_with_stem_empty_stem_with_suffix
		t.Errorf("WithStem(\"\") = %v, want ErrInvalidName (non-empty suffix)", err)
	}
	if q, err := fileio.NewPath("/xyz/foo.txt.gz").WithSuffix(".zip"); err != nil || q.Name() != "foo.txt.zip" { // test_with_suffix
		t.Errorf("WithSuffix(.zip) = %v, %v", q, err)
	}
	if _, err := p.WithSuffix("zip"); !errors.Is(err, fileio.ErrInvalidSuffix) {
		t.Errorf("WithSuffix(zip) = %v, want ErrInvalidSuffix", err)
	}
	if _, err := fileio.NewPath("/").WithName("x"); !errors.Is(err, fileio.ErrInvalidName) {
		t.Errorf("WithName on / = %v, want ErrInvalidName", err)
	}
}

func TestPathMatch(t *testing.T) { // test_match, test_fullmatch
	p := fileio.NewPath("/foo/bar")
	for _, c := range []struct {
		pattern string
		match   bool
		full    bool
	}{
		{"/foo/*", true, true},
		{"/baz/*", false, false},
		{"bar", true, false},
		{"*", true, false},
		{"/**", false, true},
		{"**/bar", true, true},
		{"/foo/**/bar", false, true},
		{"/FOO/BAR", false, false},
	} {
		if got, err := p.Match(c.pattern); got != c.match || err != nil {
			t.Errorf("Match(%q) = %v, %v; want %v", c.pattern, got, err, c.match)
		}
		if got := p.FullMatch(c.pattern); got != c.full {
			t.Errorf("FullMatch(%q) = %v, want %v", c.pattern, got, c.full)
		}
	}
	if ok, _ := p.Match("/FOO/BAR", fileio.CaseSensitive(false)); !ok {
		t.Error("Match(/FOO/BAR, CaseSensitive(false)) = false")
	}
	if !p.FullMatch("/FOO/*", fileio.CaseSensitive(false)) {
		t.Error("FullMatch(/FOO/*, CaseSensitive(false)) = false")
	}
	if _, err := p.Match(""); !errors.Is(err, fileio.ErrInvalidPattern) {
		t.Errorf("Match(\"\") = %v, want ErrInvalidPattern", err)
	}
}

func TestPathRelativeTo(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		base := tmp(t) // test_relative_to_subpath
		if got, err := base.JoinPath("subdir").RelativeTo(base); err != nil || got != fileio.NewPath("subdir") {
			t.Errorf("RelativeTo = %v, %v", got, err)
		}
		p := populated(t, ctx) // test_relative_to_sibling
		sub, sib := p.JoinPath("subdir"), p.JoinPath("sibdir")
		if _, err := sub.RelativeTo(sib); !errors.Is(err, fileio.ErrNotRelative) {
			t.Errorf("RelativeTo(sibling) = %v, want ErrNotRelative", err)
		}
		rel, err := sub.RelativeTo(sib, fileio.WalkUp())
		if err != nil || rel != fileio.NewPath("../subdir") {
			t.Fatalf("RelativeTo(sibling, WalkUp()) = %v, %v", rel, err)
		}
		// As the working directory would be sibdir: the file is found.
		if _, err := os.Stat(filepath.Join(sib.String(), rel.JoinPath("dummyfile1.txt").String())); err != nil {
			t.Errorf("the walked-up path does not lead to the file: %v", err)
		}
		if _, err := fileio.NewPath("/a").RelativeTo(fileio.NewPath("b"), fileio.WalkUp()); !errors.Is(err, fileio.ErrNotRelative) {
			t.Errorf("RelativeTo across anchors = %v, want ErrNotRelative", err)
		}
		return nil
	})
}

func TestPathURI(t *testing.T) {
	// test_as_uri
	if u, err := fileio.NewPath("/foo/bar").AsURI(); u != "file:///foo/bar" || err != nil {
		t.Errorf("AsURI = %q, %v", u, err)
	}
	if u, _ := fileio.NewPath("/a b/ä%").AsURI(); u != "file:///a%20b/%C3%A4%25" {
		t.Errorf("AsURI of a name to escape = %q", u)
	}
	if _, err := fileio.NewPath("foo").AsURI(); !errors.Is(err, fileio.ErrRelativePath) {
		t.Errorf("AsURI of a relative path = %v, want ErrRelativePath", err)
	}
	// test_from_uri, and Python 3.14's url2pathname rules.
	host, _ := os.Hostname()
	for _, c := range []struct {
		uri, want string
	}{
		{"file:///foo/bar", "/foo/bar"},
		{"file:/foo/bar", "/foo/bar"},
		{"FILE:///foo", "/foo"},
		{"file://localhost/foo/bar", "/foo/bar"},
		{"file://" + host + "/foo", "/foo"},
		{"file:///a%20b/%C3%A4%25", "/a b/ä%"},
		{"file:///a%zz", "/a%zz"},
		{"file:////srv/x", "//srv/x"},
		{"file:///foo?x#y", "/foo?x#y"},
	} {
		if p, err := fileio.FromURI(c.uri); err != nil || p.String() != c.want {
			t.Errorf("FromURI(%q) = %v, %v; want %s", c.uri, p, err, c.want)
		}
	}
	for _, bad := range []string{"/foo", "http://x/y", "file://example.invalid/x", "file:foo", "file:", "", "file://localhost"} {
		if p, err := fileio.FromURI(bad); !errors.Is(err, fileio.ErrInvalidURI) {
			t.Errorf("FromURI(%q) = %v, %v; want ErrInvalidURI", bad, p, err)
		}
	}
	p, _ := fileio.FromURI("file:///foo/bar")
	if u, _ := p.AsURI(); u != "file:///foo/bar" {
		t.Errorf("AsURI(FromURI(u)) = %q", u)
	}
}

func TestPathCwdHomeAbsolute(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		wd, _ := os.Getwd()
		if got, err := fileio.Cwd(ctx); err != nil || got.String() != wd { // test_cwd
			t.Errorf("Cwd = %v, %v; want %s", got, err, wd)
		}
		got, err := fileio.NewPath("../foo/bar").Absolute(ctx) // test_absolute
		if err != nil || got != fileio.NewPath(wd, "../foo/bar") {
			t.Errorf("Absolute = %v, %v", got, err)
		}
		if got, _ := fileio.NewPath().Absolute(ctx); got.String() != wd {
			t.Errorf("Absolute(.) = %v", got)
		}
		home, _ := os.UserHomeDir() // test_home
		if got, err := fileio.Home(ctx); err != nil || got != fileio.NewPath(home) {
			t.Errorf("Home = %v, %v; want %s", got, err, home)
		}
		// test_expanduser
		if got, err := fileio.NewPath("~/btelkbee").ExpandUser(ctx); err != nil || got != fileio.NewPath(home, "btelkbee") {
			t.Errorf("ExpandUser(~/btelkbee) = %v, %v", got, err)
		}
		if got, _ := fileio.NewPath("a/~").ExpandUser(ctx); got != fileio.NewPath("a/~") {
			t.Errorf("ExpandUser(a/~) = %v, want it unchanged", got)
		}
		if u, err := user.Current(); err == nil {
			if got, err := fileio.NewPath("~" + u.Username + "/x").ExpandUser(ctx); err != nil || got != fileio.NewPath(u.HomeDir, "x") {
				t.Errorf("ExpandUser(~%s/x) = %v, %v", u.Username, got, err)
			}
		}
		if _, err := fileio.NewPath("~nosuchuser_btelkbee/x").ExpandUser(ctx); !errors.Is(err, fileio.ErrNoHome) {
			t.Errorf("ExpandUser of an unknown user = %v, want ErrNoHome", err)
		}
		return nil
	})
}

func TestPathHomeFromEnvironment(t *testing.T) {
	t.Setenv("HOME", "/some/home/")
	anyiotest.Run(t, func(ctx context.Context) error {
		if got, err := fileio.Home(ctx); err != nil || got.String() != "/some/home" {
			t.Errorf("Home with HOME=/some/home/ = %v, %v", got, err)
		}
		if got, _ := fileio.NewPath("~").ExpandUser(ctx); got.String() != "/some/home" {
			t.Errorf("ExpandUser(~) = %v", got)
		}
		return nil
	})
}

// check runs a yes/no method and fails the test unless it answers want.
func check(t *testing.T, what string, want bool) func(bool, error) {
	t.Helper()
	return func(got bool, err error) {
		t.Helper()
		if got != want || err != nil {
			t.Errorf("%s = %v, %v; want %v", what, got, err, want)
		}
	}
}

func TestPathChecks(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		check(t, "Exists(~/btelkbee)", false)(fileio.NewPath("~/btelkbee").Exists(ctx)) // test_exists
		check(t, "Exists(tmp)", true)(dir.Exists(ctx))

		d := dir.JoinPath("somedir") // test_is_dir
		check(t, "IsDir before", false)(d.IsDir(ctx))
		mustNoErr(t, "Mkdir", d.Mkdir(ctx))
		check(t, "IsDir after", true)(d.IsDir(ctx))

		f := dir.JoinPath("somefile") // test_is_file
		check(t, "IsFile before", false)(f.IsFile(ctx))
		mustNoErr(t, "Touch", f.Touch(ctx))
		check(t, "IsFile after", true)(f.IsFile(ctx))
		check(t, "IsDir of a file", false)(f.IsDir(ctx))
		// Below a file: ENOTDIR is "no", not an error.
		check(t, "Exists(file/x)", false)(f.JoinPath("x").Exists(ctx))

		fifo := dir.JoinPath("somefifo") // test_is_fifo
		check(t, "IsFIFO before", false)(fifo.IsFIFO(ctx))
		mustNoErr(t, "Mkfifo", syscall.Mkfifo(fifo.String(), 0o600))
		check(t, "IsFIFO after", true)(fifo.IsFIFO(ctx))

		link := dir.JoinPath("testlink") // test_is_symlink
		check(t, "IsSymlink before", false)(link.IsSymlink(ctx))
		mustNoErr(t, "SymlinkTo", link.SymlinkTo(ctx, fileio.NewPath("/foo")))
		check(t, "IsSymlink after", true)(link.IsSymlink(ctx))

		// test_exists_follow_symlinks: a broken link.
		check(t, "Exists(broken link, FollowSymlinks(false))", true)(link.Exists(ctx, fileio.FollowSymlinks(false)))
		check(t, "Exists(broken link)", false)(link.Exists(ctx))

		// test_is_file_follow_symlinks, test_is_dir_follow_symlinks
		flink, dlink := dir.JoinPath("flink"), dir.JoinPath("dlink")
		mustNoErr(t, "SymlinkTo", flink.SymlinkTo(ctx, f))
		mustNoErr(t, "SymlinkTo", dlink.SymlinkTo(ctx, d))
		check(t, "IsFile(link)", true)(flink.IsFile(ctx, fileio.FollowSymlinks(true)))
		check(t, "IsFile(link, FollowSymlinks(false))", false)(flink.IsFile(ctx, fileio.FollowSymlinks(false)))
		check(t, "IsDir(link)", true)(dlink.IsDir(ctx))
		check(t, "IsDir(link, FollowSymlinks(false))", false)(dlink.IsDir(ctx, fileio.FollowSymlinks(false)))

		// test_is_block_device, test_is_char_device
		check(t, "IsBlockDevice(/btelkbee)", false)(fileio.NewPath("/btelkbee").IsBlockDevice(ctx))
		check(t, "IsCharDevice(/btelkbee)", false)(fileio.NewPath("/btelkbee").IsCharDevice(ctx))
		check(t, "IsCharDevice(/dev/null)", true)(fileio.NewPath("/dev/null").IsCharDevice(ctx))
		check(t, "IsBlockDevice(/dev/null)", false)(fileio.NewPath("/dev/null").IsBlockDevice(ctx))
		if entries, err := os.ReadDir("/dev"); err == nil {
			for _, e := range entries {
				if e.Type()&fs.ModeDevice != 0 && e.Type()&fs.ModeCharDevice == 0 {
					check(t, "IsBlockDevice(/dev/"+e.Name()+")", true)(fileio.NewPath("/dev", e.Name()).IsBlockDevice(ctx))
					break
				}
			}
		}

		// test_is_mount
		check(t, "IsMount(/gfobj4ewiotj)", false)(fileio.NewPath("/gfobj4ewiotj").IsMount(ctx))
		check(t, "IsMount(/)", true)(fileio.NewPath("/").IsMount(ctx))
		check(t, "IsMount(tmp dir)", false)(d.IsMount(ctx))
		return nil
	})
}

func TestPathIsSocket(t *testing.T) { // test_is_socket
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("socket")
		check(t, "IsSocket before", false)(p.IsSocket(ctx))
		l, err := net.Listen("unix", p.String())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		check(t, "IsSocket after", true)(p.IsSocket(ctx))
		return nil
	})
}

func TestPathCheckReportsOtherErrors(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory: no permission error to provoke")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t).JoinPath("locked")
		mustNoErr(t, "Mkdir", dir.Mkdir(ctx, fileio.Mode(0)))
		defer os.Chmod(dir.String(), 0o700)
		if ok, err := dir.JoinPath("x").Exists(ctx); ok || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("Exists below an unreadable directory = %v, %v; want a permission error", ok, err)
		}
		return nil
	})
}

func TestPathChmod(t *testing.T) { // test_chmod, test_lchmod
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("testfile")
		mustNoErr(t, "Touch", p.Touch(ctx, fileio.Mode(0o666)))
		mustNoErr(t, "Chmod", p.Chmod(ctx, 0o444))
		if fi, _ := os.Stat(p.String()); fi.Mode().Perm() != 0o444 {
			t.Errorf("mode after Chmod(0o444) = %v", fi.Mode())
		}
		link := p.Parent().JoinPath("link")
		mustNoErr(t, "SymlinkTo", link.SymlinkTo(ctx, fileio.NewPath("/foo/bar/baz")))
		// Linux cannot change a link's mode (AnyIO skips test_lchmod where
		// os.lchmod is missing); it must say so rather than change the target.
		if err := link.Chmod(ctx, 0o600, fileio.FollowSymlinks(false)); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Chmod(link, FollowSymlinks(false)) = %v, want nil or ErrUnsupported", err)
		}
		return nil
	})
}

func TestPathHardlinkTo(t *testing.T) { // test_hardlink_to
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		p, target := dir.JoinPath("testfile"), dir.JoinPath("link")
		mustNoErr(t, "Touch", target.Touch(ctx))
		mustNoErr(t, "HardlinkTo", p.HardlinkTo(ctx, target))
		for _, q := range []fileio.Path{p, target} {
			fi, _ := q.Stat(ctx)
			if n := fi.Sys().(*syscall.Stat_t).Nlink; n != 2 {
				t.Errorf("%v has %d links, want 2", q, n)
			}
		}
		if same, err := p.Samefile(ctx, target); !same || err != nil { // test_samefile
			t.Errorf("Samefile = %v, %v", same, err)
		}
		return nil
	})
}

func TestPathStatLstat(t *testing.T) { // test_lstat, test_stat
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("testfile")
		mustNoErr(t, "SymlinkTo", p.SymlinkTo(ctx, fileio.NewPath("/foo/bar/baz")))
		fi, err := p.Lstat(ctx)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Lstat = %v, %v", fi, err)
		}
		if fi, err := p.Stat(ctx, fileio.FollowSymlinks(false)); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Stat(FollowSymlinks(false)) = %v, %v", fi, err)
		}
		if _, err := p.Stat(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a broken link = %v, want ErrNotExist", err)
		}
		if fi, err := p.Parent().Stat(ctx); err != nil || !fi.IsDir() {
			t.Errorf("Stat(dir) = %v, %v", fi, err)
		}
		return nil
	})
}

func TestPathOwnerGroup(t *testing.T) { // test_owner, test_group
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		u, err := user.LookupId(itoa(os.Geteuid()))
		if err != nil {
			t.Skipf("the user database has no entry for uid %d: %v", os.Geteuid(), err)
		}
		if got, err := dir.Owner(ctx); got != u.Username || err != nil {
			t.Errorf("Owner = %q, %v; want %q", got, err, u.Username)
		}
		fi, _ := os.Stat(dir.String())
		g, err := user.LookupGroupId(itoa(int(fi.Sys().(*syscall.Stat_t).Gid)))
		if err != nil {
			t.Skipf("the group database has no entry for the directory's group: %v", err)
		}
		if got, err := dir.Group(ctx); got != g.Name || err != nil {
			t.Errorf("Group = %q, %v; want %q", got, err, g.Name)
		}
		return nil
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPathMkdir(t *testing.T) { // test_mkdir
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		p := dir.JoinPath("testdir")
		mustNoErr(t, "Mkdir", p.Mkdir(ctx))
		if fi, err := os.Stat(p.String()); err != nil || !fi.IsDir() {
			t.Fatalf("after Mkdir: %v, %v", fi, err)
		}
		if err := p.Mkdir(ctx); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Mkdir of an existing directory = %v, want ErrExist", err)
		}
		mustNoErr(t, "Mkdir(ExistOK(true))", p.Mkdir(ctx, fileio.ExistOK(true)))
		deep := dir.JoinPath("a/b/c")
		if err := deep.Mkdir(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Mkdir without parents = %v, want ErrNotExist", err)
		}
		mustNoErr(t, "Mkdir(Parents())", deep.Mkdir(ctx, fileio.Parents(), fileio.Mode(0o700)))
		if fi, _ := os.Stat(deep.String()); fi == nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("Mkdir(Mode(0o700)) made %v", fi)
		}
		f := dir.JoinPath("file")
		mustNoErr(t, "Touch", f.Touch(ctx))
		if err := f.Mkdir(ctx, fileio.ExistOK(true)); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Mkdir(ExistOK) over a file = %v, want ErrExist", err)
		}
		return nil
	})
}

func TestPathRmdirUnlink(t *testing.T) { // test_rmdir, test_unlink, test_unlink_missing_file
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		d := dir.JoinPath("somedir")
		mustNoErr(t, "Mkdir", d.Mkdir(ctx))
		mustNoErr(t, "Rmdir", d.Rmdir(ctx))
		check(t, "Exists after Rmdir", false)(d.Exists(ctx))
		f := dir.JoinPath("testfile")
		mustNoErr(t, "Touch", f.Touch(ctx))
		mustNoErr(t, "Unlink", f.Unlink(ctx))
		check(t, "Exists after Unlink", false)(f.Exists(ctx))
		mustNoErr(t, "Unlink(MissingOK())", f.Unlink(ctx, fileio.MissingOK()))
		if err := f.Unlink(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Unlink of a missing file = %v, want ErrNotExist", err)
		}
		if err := d.Rmdir(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Rmdir of a missing directory = %v, want ErrNotExist", err)
		}
		return nil
	})
}

func TestPathTouch(t *testing.T) { // test_touch
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("testfile")
		mustNoErr(t, "Touch", p.Touch(ctx))
		if fi, err := os.Stat(p.String()); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("after Touch: %v, %v", fi, err)
		}
		mustNoErr(t, "Touch again", p.Touch(ctx))
		if err := p.Touch(ctx, fileio.ExistOK(false)); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Touch(ExistOK(false)) of an existing file = %v, want ErrExist", err)
		}
		return nil
	})
}

func TestPathReadWrite(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("testfile")
		if n, err := p.WriteBytes(ctx, []byte("bibbitibobbitiboo")); n != 17 || err != nil { // test_write_bytes
			t.Errorf("WriteBytes = %d, %v", n, err)
		}
		if b, err := p.ReadBytes(ctx); string(b) != "bibbitibobbitiboo" || err != nil { // test_read_bytes
			t.Errorf("ReadBytes = %q, %v", b, err)
		}
		if _, err := p.WriteText(ctx, "some text åäö"); err != nil { // test_write_text
			t.Fatal(err)
		}
		if s, err := p.ReadText(ctx); s != "some text åäö" || err != nil { // test_read_text
			t.Errorf("ReadText = %q, %v", s, err)
		}
		// test_read_text_newline: ReadText keeps "\r\n" as it is (a recorded
		// deviation: Python's default newline=None would give "a\nb").
		p.WriteBytes(ctx, []byte("a\r\nb"))
		if s, _ := p.ReadText(ctx); s != "a\r\nb" {
			t.Errorf("ReadText = %q, want the bytes as they are", s)
		}
		if _, err := p.Parent().JoinPath("missing").ReadBytes(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadBytes of a missing file = %v, want ErrNotExist", err)
		}
		f, err := p.Open(ctx, os.O_RDONLY, 0) // test_open
		if err != nil {
			t.Fatal(err)
		}
		if f.Name() != p.String() {
			t.Errorf("Open(...).Name() = %q", f.Name())
		}
		return f.Close(ctx)
	})
}

func TestPathReadlink(t *testing.T) { // test_readlink, test_symlink_to
	anyiotest.Run(t, func(ctx context.Context) error {
		p := tmp(t).JoinPath("testfile")
		mustNoErr(t, "SymlinkTo", p.SymlinkTo(ctx, fileio.NewPath("/foo/bar/baz")))
		if got, err := p.Readlink(ctx); got.String() != "/foo/bar/baz" || err != nil {
			t.Errorf("Readlink = %v, %v", got, err)
		}
		return nil
	})
}

func TestPathRenameReplace(t *testing.T) { // test_rename, test_replace
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		p, target := dir.JoinPath("somefile"), dir.JoinPath("anotherfile")
		mustNoErr(t, "Touch", p.Touch(ctx))
		if got, err := p.Rename(ctx, target); got != target || err != nil {
			t.Errorf("Rename = %v, %v", got, err)
		}
		p.WriteText(ctx, "hello")
		target.WriteText(ctx, "world")
		if got, err := p.Replace(ctx, target); got != target || err != nil {
			t.Errorf("Replace = %v, %v", got, err)
		}
		if s, _ := target.ReadText(ctx); s != "hello" {
			t.Errorf("after Replace the target holds %q", s)
		}
		// As rename(2): a directory replaces an empty one.
		d1, d2 := dir.JoinPath("d1"), dir.JoinPath("d2")
		d1.Mkdir(ctx)
		d2.Mkdir(ctx)
		if _, err := d1.Rename(ctx, d2); err != nil {
			t.Errorf("Rename of a directory onto an empty one = %v", err)
		}
		if _, err := dir.JoinPath("missing").Rename(ctx, d2); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Rename of a missing file = %v, want ErrNotExist", err)
		}
		return nil
	})
}

func TestPathResolve(t *testing.T) { // test_resolve
	anyiotest.Run(t, func(ctx context.Context) error {
		dir, err := fileio.NewPath(t.TempDir()).Resolve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dir.JoinPath("somedir", "..", "somefile").Resolve(ctx)
		if err != nil || got != dir.JoinPath("somefile") {
			t.Errorf("Resolve = %v, %v", got, err)
		}
		// Links are followed, relative and absolute; a missing rest is kept.
		real := dir.JoinPath("real")
		real.JoinPath("sub").Mkdir(ctx, fileio.Parents())
		dir.JoinPath("rel").SymlinkTo(ctx, fileio.NewPath("real/sub"))
		dir.JoinPath("abs").SymlinkTo(ctx, real)
		dir.JoinPath("chain").SymlinkTo(ctx, fileio.NewPath("rel/.."))
		for _, c := range []struct{ in, want string }{
			{"rel", "real/sub"},
			{"rel/..", "real"},
			{"abs/sub/x/y", "real/sub/x/y"},
			{"chain", "real"},
			{"missing/../abs", "real"},
		} {
			if got, err := dir.JoinPath(c.in).Resolve(ctx); err != nil || got != dir.JoinPath(c.want) {
				t.Errorf("Resolve(%s) = %v, %v; want %v", c.in, got, err, dir.JoinPath(c.want))
			}
		}
		// A loop is left as it is, or is an error with Strict.
		loop := dir.JoinPath("loop")
		loop.SymlinkTo(ctx, fileio.NewPath("loop"))
		if got, err := loop.JoinPath("x").Resolve(ctx); err != nil || got != loop.JoinPath("x") {
			t.Errorf("Resolve(loop/x) = %v, %v", got, err)
		}
		if _, err := loop.Resolve(ctx, fileio.Strict()); !errors.Is(err, syscall.ELOOP) {
			t.Errorf("Resolve(loop, Strict()) = %v, want ELOOP", err)
		}
		if _, err := dir.JoinPath("missing").Resolve(ctx, fileio.Strict()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Resolve(missing, Strict()) = %v, want ErrNotExist", err)
		}
		dir.JoinPath("file").Touch(ctx)
		if _, err := dir.JoinPath("file", "x").Resolve(ctx, fileio.Strict()); !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("Resolve(file/x, Strict()) = %v, want ENOTDIR", err)
		}
		wd, _ := os.Getwd()
		if got, _ := fileio.NewPath("x").Resolve(ctx); got != fileio.NewPath(wd, "x") {
			t.Errorf("Resolve(x) = %v", got)
		}
		return nil
	})
}

func TestPathCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := fileio.NewPath(t.TempDir(), "x")
	for what, err := range map[string]error{
		"Touch":      p.Touch(ctx),
		"Mkdir":      p.Mkdir(ctx),
		"WriteBytes": func() error { _, err := p.WriteBytes(ctx, nil); return err }(),
		"Exists":     func() error { _, err := p.Exists(ctx); return err }(),
		"Cwd":        func() error { _, err := fileio.Cwd(ctx); return err }(),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want a cancellation", what, err)
		}
	}
	if _, err := os.Stat(p.String()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled call touched the disk: %v", err)
	}
}
