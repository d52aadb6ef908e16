package fileio

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"strings"

	"github.com/anyio-go/anyio/internal/core"
)

// The iterators of Path read each directory whole, close it, and only then
// yield its entries, so that breaking out of a loop leaves no descriptor
// open and no goroutine behind. Entries come in the order of the directory
// (unsorted), as in Python. The context is checked before each directory
// is read: once it is cancelled, the iterator yields one cancellation error
// and ends.

// readDir lists a directory without sorting it.
func readDir(name string) ([]fs.DirEntry, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	return entries, err
}

// joinName appends a directory entry's name to the path of its directory,
// as os.path.join does.
func joinName(dir, name string) string {
	if dir == "" {
		return name
	}
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// isDirEntry reports whether e (in dir) is a directory, following a
// symbolic link when follow is set.
func isDirEntry(dir string, e fs.DirEntry, follow bool) bool {
	t := e.Type()
	if t&fs.ModeSymlink != 0 {
		if !follow {
			return false
		}
		fi, err := os.Stat(joinName(dir, e.Name()))
		return err == nil && fi.IsDir()
	}
	return t.IsDir()
}

// child returns the path of an entry named name in directory p.
func (p Path) child(name string) Path { return Path{joinName(p.s, name)} }

// Iterdir returns an iterator over the entries of the directory (not "."
// and ".."). A directory that cannot be read yields the path and the
// error (an *fs.PathError) once.
func (p Path) Iterdir(ctx context.Context) iter.Seq2[Path, error] {
	return func(yield func(Path, error) bool) {
		if ctx.Err() != nil {
			yield(p, core.CancelErr(ctx))
			return
		}
		entries, err := readDir(p.String())
		if err != nil {
			yield(p, err)
			return
		}
		for _, e := range entries {
			if !yield(p.child(e.Name()), nil) {
				return
			}
		}
	}
}

// Walk returns an iterator over the directory tree rooted at the path
// (Python's Path.walk, flattened): the path itself, then every file and
// directory below it. Top-down (the default), a directory comes before its
// entries, and the entries of one directory come together before those of
// its subdirectories; with TopDown(false) every path comes after everything
// below it, the path itself last. A symbolic link to a directory is yielded
// but not walked into unless FollowSymlinks(true) is given (then a link
// loop ends when the system refuses the path). A directory that cannot be
// read yields its path with the error, and the walk goes on without it; a
// path that is not a readable directory yields only that.
func (p Path) Walk(ctx context.Context, opts ...WalkOption) iter.Seq2[Path, error] {
	cfg := walkConfig{topDown: true}
	for _, o := range opts {
		o.applyWalk(&cfg)
	}
	return func(yield func(Path, error) bool) {
		w := walker{ctx: ctx, cfg: cfg, yield: yield}
		dirs, files, listed, ok := w.list(p)
		if !listed || !ok {
			return
		}
		if cfg.topDown {
			if yield(p, nil) {
				w.down(dirs, files)
			}
		} else if w.up(dirs, files) {
			yield(p, nil)
		}
	}
}

type walker struct {
	ctx   context.Context
	cfg   walkConfig
	yield func(Path, error) bool
}

// list reads dir and splits its entries into directories and the rest.
// listed is false when dir could not be read (the error was yielded); ok
// is false when the walk must end.
func (w *walker) list(dir Path) (dirs, files []Path, listed, ok bool) {
	if w.ctx.Err() != nil {
		w.yield(dir, core.CancelErr(w.ctx))
		return nil, nil, false, false
	}
	entries, err := readDir(dir.String())
	if err != nil {
		return nil, nil, false, w.yield(dir, err)
	}
	for _, e := range entries {
		c := dir.child(e.Name())
		if isDirEntry(dir.s, e, w.cfg.follow) {
			dirs = append(dirs, c)
		} else {
			files = append(files, c)
		}
	}
	return dirs, files, true, true
}

// down yields the entries of a directory, then walks its subdirectories.
func (w *walker) down(dirs, files []Path) bool {
	for _, f := range files {
		if !w.yield(f, nil) {
			return false
		}
	}
	for _, d := range dirs {
		if !w.yield(d, nil) {
			return false
		}
	}
	for _, d := range dirs {
		subdirs, subfiles, listed, ok := w.list(d)
		if !ok {
			return false
		}
		if listed && !w.down(subdirs, subfiles) {
			return false
		}
	}
	return true
}

// up walks the subdirectories of a directory, each followed by itself,
// then yields its files.
func (w *walker) up(dirs, files []Path) bool {
	for _, d := range dirs {
		subdirs, subfiles, listed, ok := w.list(d)
		if !ok {
			return false
		}
		if listed && !w.up(subdirs, subfiles) {
			return false
		}
		if !w.yield(d, nil) {
			return false
		}
	}
	for _, f := range files {
		if !w.yield(f, nil) {
			return false
		}
	}
	return true
}

// Glob returns an iterator over the paths below this directory that match
// the relative pattern (Python 3.14's Path.glob): "*" matches any name (a
// hidden one too), "?" one character, "[seq]" one character of seq, and a
// "**" segment any number of directories, this one included ("**" alone
// yields the directory itself and everything below it; a pattern ending
// with "/" only directories). "." segments are ignored and ".." segments
// are kept. "**" does not descend into symbolic links to directories unless
// RecurseSymlinks is given. Errors while reading directories are ignored,
// as in Python; an empty or absolute pattern yields one error matching
// [ErrInvalidPattern].
func (p Path) Glob(ctx context.Context, pattern string, opts ...GlobOption) iter.Seq2[Path, error] {
	cfg := globConfig{matchConfig: matchConfig{caseSensitive: true}}
	for _, o := range opts {
		o.applyGlob(&cfg)
	}
	return func(yield func(Path, error) bool) {
		root, rel := splitRoot(pattern)
		if root != "" {
			yield(Path{}, fmt.Errorf("%w: %q: non-relative patterns are unsupported", ErrInvalidPattern, pattern))
			return
		}
		var parts []string
		for s := range strings.SplitSeq(rel, "/") {
			if s != "" && s != "." {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			yield(Path{}, fmt.Errorf("%w: %q", ErrInvalidPattern, pattern))
			return
		}
		if strings.HasSuffix(rel, "/") {
			parts = append(parts, "") // only directories
		}
		g := &globber{ctx: ctx, cfg: cfg}
		sel := g.selector(parts)
		base := p.String()
		start := joinName(base, "") // with a trailing "/"
		anchor := len(p.Root())
		last := parts[len(parts)-1]
		sel(start, false, nil, func(s string) bool {
			if base == "." {
				s = s[2:]
			}
			switch {
			case last == "":
				s = s[:len(s)-1]
			case last == "**" && len(s) > anchor && strings.HasSuffix(s, "/"):
				s = s[:len(s)-1]
			}
			return yield(Path{normalize(s)}, nil)
		})
		if g.err != nil {
			yield(Path{}, g.err)
		}
	}
}

// Rglob is [Path.Glob] with "**/" put before the pattern: it matches at any
// depth below the directory.
func (p Path) Rglob(ctx context.Context, pattern string, opts ...GlobOption) iter.Seq2[Path, error] {
	if !strings.HasPrefix(pattern, "/") {
		pattern = "**/" + pattern
	}
	return p.Glob(ctx, pattern, opts...)
}
