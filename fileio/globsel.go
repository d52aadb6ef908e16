package fileio

import (
	"context"
	"io/fs"
	"os"

	"github.com/anyio-go/anyio/internal/core"
)

// The selectors of a glob, as Python 3.14's glob._GlobberBase builds them:
// one per pattern segment, each handing the paths it selects to the next.
// Paths are strings that end with "/" between selectors. One difference
// makes it faster: where Python's "**" selector lists a directory once to
// find its subdirectories and the next selector lists it again to match its
// entries, here the listing is read once and handed on.

type globber struct {
	ctx context.Context
	cfg globConfig
	err error // the cancellation that ended the glob
}

// selectFunc yields the paths that the rest of the pattern selects from
// path. exists says that path is known to exist; entries, when not nil, is
// the listing of path, already read. It returns false when yield did (or
// the glob was cancelled).
type selectFunc func(path string, exists bool, entries []fs.DirEntry, yield func(string) bool) bool

func isSpecial(part string) bool { return part == "" || part == "." || part == ".." }

func (g *globber) selector(parts []string) selectFunc {
	if len(parts) == 0 {
		return g.selectExists
	}
	part, rest := parts[0], parts[1:]
	switch {
	case part == "**":
		return g.recursiveSelector(rest)
	case isSpecial(part):
		return g.specialSelector(part, rest)
	case !g.cfg.caseGiven && !hasMagic(part):
		return g.literalSelector(part, rest)
	}
	return g.wildcardSelector(part, rest)
}

// list reads the directory path, unless entries already holds it. A
// directory that cannot be read has no entries (errors are ignored, as in
// Python). It returns false when the glob is cancelled.
func (g *globber) list(path string, entries []fs.DirEntry) ([]fs.DirEntry, bool, bool) {
	if entries != nil {
		return entries, true, true
	}
	if g.ctx.Err() != nil {
		g.err = core.CancelErr(g.ctx)
		return nil, false, false
	}
	entries, err := readDir(path)
	return entries, err == nil, true
}

func (g *globber) selectExists(path string, exists bool, _ []fs.DirEntry, yield func(string) bool) bool {
	if !exists {
		if _, err := os.Lstat(path); err != nil {
			return true
		}
	}
	return yield(path)
}

func (g *globber) specialSelector(part string, rest []string) selectFunc {
	if len(rest) > 0 {
		part += "/"
	}
	next := g.selector(rest)
	return func(path string, exists bool, _ []fs.DirEntry, yield func(string) bool) bool {
		return next(path+part, exists, nil, yield)
	}
}

// literalSelector joins a run of segments without wildcards: they need no
// listing, only a final check that the path exists.
func (g *globber) literalSelector(part string, rest []string) selectFunc {
	for len(rest) > 0 && !hasMagic(rest[0]) {
		part += "/" + rest[0]
		rest = rest[1:]
	}
	if len(rest) > 0 {
		part += "/"
	}
	next := g.selector(rest)
	return func(path string, _ bool, _ []fs.DirEntry, yield func(string) bool) bool {
		return next(path+part, false, nil, yield)
	}
}

func (g *globber) wildcardSelector(part string, rest []string) selectFunc {
	var m *matcher
	if part != "*" {
		c := compileMatcher(part, true, g.cfg.caseSensitive)
		m = &c
	}
	dirOnly := len(rest) > 0
	var next selectFunc
	if dirOnly {
		next = g.selector(rest)
	}
	return func(path string, _ bool, entries []fs.DirEntry, yield func(string) bool) bool {
		entries, _, ok := g.list(path, entries)
		if !ok {
			return false
		}
		for _, e := range entries {
			name := e.Name()
			if m != nil && !m.match(name) {
				continue
			}
			if !dirOnly {
				if !yield(path + name) {
					return false
				}
				continue
			}
			if !isDirEntry(path, e, true) {
				continue
			}
			if !next(path+name+"/", true, nil, yield) {
				return false
			}
		}
		return true
	}
}

// recursiveSelector is "**": the path itself and every directory below it
// (every file too when "**" ends the pattern). With RecurseSymlinks, the
// following segments are matched as one expression against the path below
// the start, and links to directories are walked into.
func (g *globber) recursiveSelector(rest []string) selectFunc {
	for len(rest) > 0 && rest[0] == "**" {
		rest = rest[1:]
	}
	part := "**"
	follow := g.cfg.recurseSymlinks
	if follow {
		for len(rest) > 0 && !isSpecial(rest[0]) {
			part += "/" + rest[0]
			rest = rest[1:]
		}
	}
	var m *matcher
	if part != "**" {
		c := compileMatcher(part, true, g.cfg.caseSensitive)
		m = &c
	}
	dirOnly := len(rest) > 0
	next := g.selector(rest)
	type dir struct {
		path   string
		exists bool
		hand   bool // hand the directory to the next selector
	}
	return func(path string, exists bool, _ []fs.DirEntry, yield func(string) bool) bool {
		pos := len(path)
		stack := []dir{{path, exists, m == nil || m.match("")}}
		for len(stack) > 0 {
			d := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			entries, readable, ok := g.list(d.path, nil)
			if !ok {
				return false
			}
			if d.hand {
				var listing []fs.DirEntry
				if readable {
					listing = entries
					if listing == nil {
						listing = []fs.DirEntry{}
					}
				}
				if !next(d.path, d.exists, listing, yield) {
					return false
				}
			}
			for _, e := range entries {
				isDir := isDirEntry(d.path, e, follow)
				if !isDir && dirOnly {
					continue
				}
				entryPath := joinName(d.path, e.Name())
				matched := m == nil || m.match(entryPath[pos:])
				if dirOnly {
					// Handed on when it is listed, below.
					stack = append(stack, dir{entryPath + "/", true, matched})
					continue
				}
				if matched && !yield(entryPath) {
					return false
				}
				if isDir {
					stack = append(stack, dir{entryPath, true, false})
				}
			}
		}
		return true
	}
}
