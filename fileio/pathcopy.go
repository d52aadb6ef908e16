package fileio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Copy copies the file or directory tree to target and returns target
// (Python 3.14's Path.copy). A directory is copied with everything in it;
// its target must not exist. A file's target is created or truncated. By
// default symbolic links are followed (the copy holds what they point to);
// with FollowSymlinks(false) they are copied as links. New files and
// directories get the default permission bits (before the umask) unless
// [PreserveMetadata] is given, which also copies the access and modification
// times and the extended attributes.
//
// Copying a path to itself or into itself, or a file onto the same file
// (a hard link), is an *os.LinkError matching [ErrSamePath]. The context is
// checked before each file: a cancelled copy stops between two files and
// leaves what it has copied.
func (p Path) Copy(ctx context.Context, target Path, opts ...CopyOption) (Path, error) {
	cfg := copyConfig{follow: true}
	for _, o := range opts {
		o.applyCopy(&cfg)
	}
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	if err := ensureDistinctPaths(p, target); err != nil {
		return Path{}, err
	}
	if err := copyFrom(ctx, target, p, cfg); err != nil {
		return Path{}, err
	}
	return target, nil
}

// CopyInto copies the file or directory tree into the existing directory
// targetDir, under its own name, as [Path.Copy] does, and returns the new
// path. A path with no name ("/", ".") is an error matching
// [ErrInvalidName].
func (p Path) CopyInto(ctx context.Context, targetDir Path, opts ...CopyOption) (Path, error) {
	name := p.Name()
	if name == "" {
		return Path{}, fmt.Errorf("%w: %q has an empty name", ErrInvalidName, p.String())
	}
	return p.Copy(ctx, targetDir.JoinPath(name), opts...)
}

// Move moves the file or directory tree to target and returns target
// (Python 3.14's Path.move): a rename when both are on one file system
// (replacing an existing target file or empty directory), otherwise a copy
// that keeps links as links and preserves metadata, followed by the removal
// of the source. Moving a path onto the same file is an *os.LinkError
// matching [ErrSamePath].
func (p Path) Move(ctx context.Context, target Path) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	if err := ensureDifferentFiles(p, target); err != nil {
		return Path{}, err
	}
	err := unix.Rename(p.String(), target.String())
	if err == nil {
		return target, nil
	}
	if !errors.Is(err, syscall.EXDEV) {
		return Path{}, &os.LinkError{Op: "rename", Old: p.String(), New: target.String(), Err: err}
	}
	if _, err := p.Copy(ctx, target, FollowSymlinks(false), PreserveMetadata()); err != nil {
		return Path{}, err
	}
	if err := p.remove(); err != nil {
		return Path{}, err
	}
	return target, nil
}

// MoveInto moves the file or directory tree into the existing directory
// targetDir, under its own name, as [Path.Move] does, and returns the new
// path. A path with no name is an error matching [ErrInvalidName].
func (p Path) MoveInto(ctx context.Context, targetDir Path) (Path, error) {
	name := p.Name()
	if name == "" {
		return Path{}, fmt.Errorf("%w: %q has an empty name", ErrInvalidName, p.String())
	}
	return p.Move(ctx, targetDir.JoinPath(name))
}

// remove deletes the path: a link or file with unlink, a directory with
// everything in it.
func (p Path) remove() error {
	fi, err := os.Lstat(p.String())
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return os.RemoveAll(p.String())
	}
	return os.Remove(p.String())
}

func samePathErr(op string, source, target Path, msg string) error {
	return &os.LinkError{Op: op, Old: source.String(), New: target.String(), Err: samePathError{"anyio/fileio: " + msg}}
}

// ensureDistinctPaths fails when target is source or lies inside it
// (lexically).
func ensureDistinctPaths(source, target Path) error {
	switch {
	case source == target:
		return samePathErr("copy", source, target, "source and target are the same path")
	case target.isAncestorOrSelf(source):
		return samePathErr("copy", source, target, "source path is a parent of target path")
	}
	return nil
}

// ensureDifferentFiles fails when source and target are one file (the same
// device and inode); a path that cannot be looked at is not the same.
func ensureDifferentFiles(source, target Path) error {
	a, err := os.Stat(source.String())
	if err != nil {
		return nil
	}
	b, err := os.Stat(target.String())
	if err != nil {
		return nil
	}
	if os.SameFile(a, b) {
		return samePathErr("copy", source, target, "source and target are the same file")
	}
	return nil
}

// copyFrom copies source to target (Python's Path._copy_from).
func copyFrom(ctx context.Context, target, source Path, cfg copyConfig) error {
	if err := live(ctx); err != nil {
		return err
	}
	lfi, err := os.Lstat(source.String())
	if err != nil {
		return err
	}
	if !cfg.follow && lfi.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(source.String())
		if err != nil {
			return err
		}
		if err := os.Symlink(link, target.String()); err != nil {
			return err
		}
		if cfg.preserveMetadata {
			return copyMetadata(source, target, false)
		}
		return nil
	}
	fi := lfi
	if lfi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = os.Stat(source.String()); err != nil {
			return err
		}
	}
	if fi.IsDir() {
		children, err := readDir(source.String())
		if err != nil {
			return err
		}
		if err := os.Mkdir(target.String(), 0o777); err != nil {
			return err
		}
		for _, c := range children {
			if err := copyFrom(ctx, target.child(c.Name()), source.child(c.Name()), cfg); err != nil {
				return err
			}
		}
		if cfg.preserveMetadata {
			return copyMetadata(source, target, true)
		}
		return nil
	}
	if err := ensureDifferentFiles(source, target); err != nil {
		return err
	}
	if err := copyFile(source, target); err != nil {
		return err
	}
	if cfg.preserveMetadata {
		return copyMetadata(source, target, true)
	}
	return nil
}

// copyFile copies a file's content; on Linux io.Copy between two files uses
// copy_file_range.
func copyFile(source, target Path) error {
	in, err := os.Open(source.String())
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(target.String(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ignoredXattrError reports the errors that Python ignores when copying
// extended attributes: the file system has none or refuses them.
func ignoredXattrError(err error) bool {
	for _, e := range []error{syscall.EPERM, syscall.ENOTSUP, syscall.ENODATA, syscall.EINVAL, syscall.EACCES} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// copyMetadata copies the times, extended attributes and (following links
// only: Linux cannot change a link's) permission bits of source to target.
func copyMetadata(source, target Path, follow bool) error {
	var st unix.Stat_t
	var err error
	if follow {
		err = unix.Stat(source.String(), &st)
	} else {
		err = unix.Lstat(source.String(), &st)
	}
	if err != nil {
		return &fs.PathError{Op: "stat", Path: source.String(), Err: err}
	}
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, target.String(), times, flags); err != nil {
		return &fs.PathError{Op: "utimensat", Path: target.String(), Err: err}
	}
	if err := copyXattrs(source.String(), target.String(), follow); err != nil {
		return err
	}
	if follow {
		if err := unix.Chmod(target.String(), st.Mode&0o7777); err != nil {
			return &fs.PathError{Op: "chmod", Path: target.String(), Err: err}
		}
	}
	return nil
}

func copyXattrs(source, target string, follow bool) error {
	list, get, set := unix.Listxattr, unix.Getxattr, unix.Setxattr
	if !follow {
		list, get, set = unix.Llistxattr, unix.Lgetxattr, unix.Lsetxattr
	}
	size, err := list(source, nil)
	if err != nil || size == 0 {
		if err != nil && !ignoredXattrError(err) {
			return &fs.PathError{Op: "listxattr", Path: source, Err: err}
		}
		return nil
	}
	buf := make([]byte, size)
	if size, err = list(source, buf); err != nil {
		if ignoredXattrError(err) {
			return nil
		}
		return &fs.PathError{Op: "listxattr", Path: source, Err: err}
	}
	for _, name := range splitNul(buf[:size]) {
		n, err := get(source, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, n)
		if n, err = get(source, name, val); err != nil {
			continue
		}
		if err := set(target, name, val[:n], 0); err != nil && !ignoredXattrError(err) {
			return &fs.PathError{Op: "setxattr", Path: target, Err: err}
		}
	}
	return nil
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}
