package fileio

import (
	"fmt"
	"strings"
)

// Path is a filesystem path with the surface of Python's pathlib (AnyIO's
// anyio.Path): pure methods that only compute, I/O methods that take a ctx,
// and iterators over directories.
//
// A Path holds its normalized string, as pathlib's str() gives it: repeated
// slashes and "." segments are dropped, a trailing slash too, ".." is kept
// (it is not resolved without looking at the disk), and a path that starts
// with exactly two slashes keeps them (POSIX leaves their meaning to the
// system). So two Paths are equal with == exactly when pathlib's
// PurePosixPath objects are equal. The zero Path is the empty path ".".
//
// Paths are values: every method returns a new Path and none modifies its
// receiver, so a Path may be shared between goroutines.
type Path struct {
	s string // normalized; "" is the path "."
}

// NewPath joins elem as Python's pathlib.PurePosixPath(*elem) does and
// returns the normalized path: an element that starts with "/" starts the
// path anew, and empty elements are skipped. NewPath() is ".".
func NewPath(elem ...string) Path {
	switch len(elem) {
	case 0:
		return Path{}
	case 1:
		return Path{normalize(elem[0])}
	}
	return Path{normalize(joinRaw(elem))}
}

// joinRaw joins path strings as posixpath.join does: an element starting
// with "/" replaces what came before.
func joinRaw(elem []string) string {
	start := 0
	for i, e := range elem {
		if strings.HasPrefix(e, "/") {
			start = i
		}
	}
	var b strings.Builder
	for _, e := range elem[start:] {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "/") {
			b.WriteByte('/')
		}
		b.WriteString(e)
	}
	return b.String()
}

// splitRoot splits a POSIX path into its root ("", "/" or "//") and the
// rest, as posixpath.splitroot does.
func splitRoot(p string) (root, rest string) {
	if !strings.HasPrefix(p, "/") {
		return "", p
	}
	if len(p) >= 2 && p[1] == '/' && (len(p) == 2 || p[2] != '/') {
		return "//", p[2:]
	}
	return "/", strings.TrimLeft(p, "/")
}

// normalize returns pathlib's string form of p, with "" for ".".
func normalize(p string) string {
	if isNormal(p) {
		return p
	}
	root, rest := splitRoot(p)
	var b strings.Builder
	b.Grow(len(p))
	b.WriteString(root)
	first := true
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" || seg == "." {
			continue
		}
		if !first {
			b.WriteByte('/')
		}
		b.WriteString(seg)
		first = false
	}
	return b.String()
}

// isNormal reports whether p is already in normal form, so that building a
// Path from a listing or a joined name costs no copy.
func isNormal(p string) bool {
	if p == "" {
		return true
	}
	i := 0
	if p[0] == '/' {
		i = 1
		if len(p) > 1 && p[1] == '/' {
			if len(p) == 2 {
				return true
			}
			if p[2] == '/' {
				return false
			}
			i = 2
		}
		if i == len(p) {
			return true
		}
	}
	// Every segment from i on must be non-empty and not ".".
	for start := i; start <= len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		seg := p[start:end]
		if seg == "" || seg == "." {
			return false
		}
		start = end + 1
	}
	return true
}

// String returns the path as pathlib's str() gives it: "." for the empty
// path.
func (p Path) String() string {
	if p.s == "" {
		return "."
	}
	return p.s
}

// GoString returns the path as Go syntax: fileio.NewPath("a/b").
func (p Path) GoString() string { return fmt.Sprintf("fileio.NewPath(%q)", p.String()) }

// AsPosix returns the path with forward slashes: on POSIX, [Path.String].
func (p Path) AsPosix() string { return p.String() }

// split returns the path's root ("", "/" or "//") and the rest.
func (p Path) split() (root, tail string) {
	switch {
	case strings.HasPrefix(p.s, "//"):
		return "//", p.s[2:]
	case strings.HasPrefix(p.s, "/"):
		return "/", p.s[1:]
	}
	return "", p.s
}

// tail returns the path's segments after the root.
func (p Path) tail() []string {
	_, t := p.split()
	if t == "" {
		return nil
	}
	return strings.Split(t, "/")
}

// Root returns the path's root: "/", "//" (a path that starts with exactly
// two slashes) or "" for a relative path.
func (p Path) Root() string {
	r, _ := p.split()
	return r
}

// Anchor returns the drive and root together: on POSIX, [Path.Root].
func (p Path) Anchor() string { return p.Root() }

// IsAbsolute reports whether the path has a root.
func (p Path) IsAbsolute() bool { return strings.HasPrefix(p.s, "/") }

// Parts returns the path's components: the root first, if any, then each
// segment. NewPath("/usr/bin").Parts() is ["/", "usr", "bin"].
func (p Path) Parts() []string {
	root, _ := p.split()
	t := p.tail()
	if root == "" {
		return t
	}
	return append([]string{root}, t...)
}

// Name returns the final component, or "" for a path that has none (".",
// "/").
func (p Path) Name() string {
	_, t := p.split()
	if t == "" {
		return ""
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// Suffix returns the final component's last suffix, with its dot: ".gz" for
// "a.tar.gz", "" for "a" or ".bashrc". A name that ends with a dot has the
// suffix "." (Python 3.14).
func (p Path) Suffix() string {
	name := strings.TrimLeft(p.Name(), ".")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// Suffixes returns the final component's suffixes, each with its dot:
// [".tar", ".gz"] for "a.tar.gz".
func (p Path) Suffixes() []string {
	name := strings.TrimLeft(p.Name(), ".")
	parts := strings.Split(name, ".")[1:]
	out := make([]string, len(parts))
	for i, s := range parts {
		out[i] = "." + s
	}
	return out
}

// Stem returns the final component without its last suffix: "a.tar" for
// "a.tar.gz".
func (p Path) Stem() string {
	name := p.Name()
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		stem := name[:i]
		if strings.TrimLeft(stem, ".") != "" {
			return stem
		}
	}
	return name
}

// Parent returns the logical parent: the path without its final component.
// The parent of "/" and of "." is the path itself; ".." is a component like
// any other, so the parent of ".." is ".".
func (p Path) Parent() Path {
	root, t := p.split()
	if t == "" {
		return p
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return Path{root}
	}
	return Path{root + t[:i]}
}

// Parents returns the logical ancestors, nearest first: for "/a/b/c",
// ["/a/b", "/a", "/"]; for "a/b", ["a", "."].
func (p Path) Parents() []Path {
	var out []Path
	for q := p; ; {
		parent := q.Parent()
		if parent == q {
			return out
		}
		out = append(out, parent)
		q = parent
	}
}

// JoinPath returns the path with elem appended, as NewPath(p.String(),
// elem...): an absolute element starts anew.
func (p Path) JoinPath(elem ...string) Path {
	if len(elem) == 1 && p.s != "" && elem[0] != "" && isNormal(elem[0]) && elem[0][0] != '/' {
		if strings.HasSuffix(p.s, "/") { // the root "/" or "//"
			return Path{p.s + elem[0]}
		}
		return Path{p.s + "/" + elem[0]}
	}
	return NewPath(append([]string{p.s}, elem...)...)
}

// WithName returns the path with its final component replaced by name. It
// returns an error matching [ErrInvalidName] when name is empty, is ".", or
// holds a "/", or when the path has no name ("/", ".").
func (p Path) WithName(name string) (Path, error) {
	if name == "" || name == "." || strings.Contains(name, "/") {
		return Path{}, fmt.Errorf("%w %q", ErrInvalidName, name)
	}
	root, t := p.split()
	if t == "" {
		return Path{}, fmt.Errorf("%w: %q has an empty name", ErrInvalidName, p.String())
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return Path{root + t[:i+1] + name}, nil
	}
	return Path{root + name}, nil
}

// WithStem returns the path with the stem of its final component replaced,
// keeping the suffix. An empty stem with a non-empty suffix is an error
// matching [ErrInvalidName] (the name would be only a suffix), as are the
// errors of [Path.WithName].
func (p Path) WithStem(stem string) (Path, error) {
	suffix := p.Suffix()
	switch {
	case suffix == "":
		return p.WithName(stem)
	case stem == "":
		return Path{}, fmt.Errorf("%w: %q has a non-empty suffix", ErrInvalidName, p.String())
	}
	return p.WithName(stem + suffix)
}

// WithSuffix returns the path with the last suffix of its final component
// replaced by suffix (added if there was none, removed if suffix is ""). A
// suffix that does not start with a dot is an error matching
// [ErrInvalidSuffix]; a path with an empty name, and a suffix that would
// make an invalid name, one matching [ErrInvalidName].
func (p Path) WithSuffix(suffix string) (Path, error) {
	stem := p.Stem()
	switch {
	case stem == "":
		return Path{}, fmt.Errorf("%w: %q has an empty name", ErrInvalidName, p.String())
	case suffix != "" && !strings.HasPrefix(suffix, "."):
		return Path{}, fmt.Errorf("%w %q", ErrInvalidSuffix, suffix)
	}
	return p.WithName(stem + suffix)
}

// isAncestorOrSelf reports whether a is p or one of p's parents.
func (p Path) isAncestorOrSelf(a Path) bool {
	if a == p {
		return true
	}
	pr, pt := p.split()
	ar, at := a.split()
	if pr != ar {
		return false
	}
	if at == "" {
		return true // the root (or "."), an ancestor of any other path with that root
	}
	return len(pt) > len(at) && strings.HasPrefix(pt, at) && pt[len(at)] == '/'
}

// RelativeTo returns the path relative to other: "b/c" for "/a/b/c"
// relative to "/a". A path that is not below other is an error matching
// [ErrNotRelative], unless [WalkUp] is given: then the answer climbs with
// ".." ("../b" for "/a/b" relative to "/a/c"), which still fails when the
// anchors differ or other holds a ".." segment that would have to be
// climbed. This is lexical: nothing on the disk is looked at.
func (p Path) RelativeTo(other Path, opts ...RelativeOption) (Path, error) {
	var cfg relativeConfig
	for _, o := range opts {
		o.applyRelative(&cfg)
	}
	step := 0
	base := other
	for {
		if p.isAncestorOrSelf(base) {
			break
		}
		if !cfg.walkUp {
			return Path{}, fmt.Errorf("%w: %q is not in the subpath of %q", ErrNotRelative, p.String(), other.String())
		}
		if base.Name() == ".." {
			return Path{}, fmt.Errorf("%w: the '..' segment in %q cannot be walked", ErrNotRelative, other.String())
		}
		parent := base.Parent()
		if parent == base {
			return Path{}, fmt.Errorf("%w: %q and %q have different anchors", ErrNotRelative, p.String(), other.String())
		}
		base = parent
		step++
	}
	rest := p.tail()[len(base.tail()):]
	parts := make([]string, 0, step+len(rest))
	for range step {
		parts = append(parts, "..")
	}
	return Path{strings.Join(append(parts, rest...), "/")}, nil
}

// IsRelativeTo reports whether the path is other or below it (lexically).
func (p Path) IsRelativeTo(other Path) bool { return p.isAncestorOrSelf(other) }

// Compare compares two paths component by component, as pathlib orders
// them: -1 if p sorts before q, 0 if they are equal, +1 otherwise.
func (p Path) Compare(q Path) int {
	a, b := strings.Split(p.String(), "/"), strings.Split(q.String(), "/")
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
