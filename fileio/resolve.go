package fileio

import (
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// realpath resolves name as Python's os.path.realpath does: each component
// is looked at in turn, a symbolic link is replaced by its target (whose
// components are then resolved), ".." removes the last resolved component.
// When strict is false, a component that cannot be looked at is taken as it
// is, and a link that loops is left in place; when strict, those are errors.
func realpath(name string, strict bool) (string, error) {
	// rest is a stack of components still to resolve, the next on top. A
	// marker entry (link != "") records that the link's target is now
	// resolved, so that later visits of the link reuse the result.
	type part struct {
		name string
		link string
	}
	var rest []part
	partCount := 0 // the components in rest, markers not counted
	pushAll := func(s string) {
		segs := strings.Split(s, "/")
		for i := len(segs) - 1; i >= 0; i-- {
			rest = append(rest, part{name: segs[i]})
		}
		partCount += len(segs)
	}
	pushAll(name)
	var path string
	if strings.HasPrefix(name, "/") {
		path = "/"
	} else {
		cwd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		path = cwd
	}
	// seen maps a link to its resolved target; "" marks a link whose
	// resolution is under way (seeing it again is a loop).
	seen := map[string]*string{}
	for len(rest) > 0 {
		top := rest[len(rest)-1]
		rest = rest[:len(rest)-1]
		if top.link != "" {
			resolved := path
			seen[top.link] = &resolved
			continue
		}
		partCount--
		switch top.name {
		case "", ".":
			continue
		case "..":
			if i := strings.LastIndexByte(path, '/'); i > 0 {
				path = path[:i]
			} else {
				path = "/"
			}
			continue
		}
		newpath := path + "/" + top.name
		if path == "/" {
			newpath = "/" + top.name
		}
		var st syscall.Stat_t
		err := syscall.Lstat(newpath, &st)
		if err != nil {
			if strict {
				return "", &fs.PathError{Op: "lstat", Path: newpath, Err: err}
			}
			path = newpath
			continue
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
			if strict && st.Mode&syscall.S_IFMT != syscall.S_IFDIR && partCount > 0 {
				return "", &fs.PathError{Op: "realpath", Path: newpath, Err: syscall.ENOTDIR}
			}
			path = newpath
			continue
		}
		if r, ok := seen[newpath]; ok {
			if r != nil {
				path = *r
				continue
			}
			// The link is being resolved: a loop.
			if strict {
				return "", &fs.PathError{Op: "realpath", Path: newpath, Err: syscall.ELOOP}
			}
			path = newpath
			continue
		}
		target, err := os.Readlink(newpath)
		if err != nil {
			if strict {
				return "", err
			}
			path = newpath
			continue
		}
		if strings.HasPrefix(target, "/") {
			path = "/"
		}
		seen[newpath] = nil
		rest = append(rest, part{link: newpath})
		pushAll(target)
	}
	return path, nil
}
