package fileio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio/internal/core"
)

// The I/O methods of Path. Each checks its context first and returns a
// cancellation error without touching the disk when it is cancelled; the
// system call itself runs to the end, as in AnyIO's worker threads. Errors
// are the operating system's (*fs.PathError, *os.LinkError), so errors.Is
// with fs.ErrNotExist, fs.ErrExist or fs.ErrPermission works.

func live(ctx context.Context) error {
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	return nil
}

// Cwd returns the current working directory (Python's Path.cwd()).
func Cwd(ctx context.Context) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	d, err := os.Getwd()
	if err != nil {
		return Path{}, err
	}
	return NewPath(d), nil
}

// Home returns the user's home directory (Python's Path.home()): $HOME when
// it is set, otherwise the one in the user database. When neither is
// known the error matches [ErrNoHome].
func Home(ctx context.Context) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	h, ok := homeOf("")
	if !ok {
		return Path{}, fmt.Errorf("%w", ErrNoHome)
	}
	return NewPath(h), nil
}

// homeOf returns the home directory of the named user, or of the current
// user for "", as posixpath.expanduser finds it.
func homeOf(name string) (string, bool) {
	var home string
	if name == "" {
		if h, ok := os.LookupEnv("HOME"); ok {
			home = h
		} else if u, err := user.Current(); err == nil {
			home = u.HomeDir
		} else {
			return "", false
		}
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return "", false
		}
		home = u.HomeDir
	}
	home = strings.TrimRight(home, "/")
	if home == "" {
		home = "/"
	}
	return home, true
}

// ExpandUser returns the path with a leading "~" or "~user" replaced by that
// user's home directory (Python's expanduser); other paths come back as they
// are. When the home directory cannot be determined (an unknown user) the
// error matches [ErrNoHome].
func (p Path) ExpandUser(ctx context.Context) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	if p.IsAbsolute() || !strings.HasPrefix(p.s, "~") {
		return p, nil
	}
	first, rest, _ := strings.Cut(p.s, "/")
	home, ok := homeOf(first[1:])
	if !ok {
		return Path{}, fmt.Errorf("%w for %q", ErrNoHome, first)
	}
	if rest == "" {
		return NewPath(home), nil
	}
	return NewPath(home, rest), nil
}

// Absolute returns the path made absolute by joining it to the current
// working directory, without normalizing ".." or resolving links (see
// [Path.Resolve]).
func (p Path) Absolute(ctx context.Context) (Path, error) {
	if p.IsAbsolute() {
		return p, live(ctx)
	}
	cwd, err := Cwd(ctx)
	if err != nil {
		return Path{}, err
	}
	if p.s == "" {
		return cwd, nil
	}
	return cwd.JoinPath(p.s), nil
}

func statOptions(opts []StatOption) statConfig {
	cfg := statConfig{follow: true}
	for _, o := range opts {
		o.applyStat(&cfg)
	}
	return cfg
}

// Stat returns the file's information (Python's stat()); with
// FollowSymlinks(false), that of a symbolic link itself, as [Path.Lstat].
// Its Sys() is a *syscall.Stat_t.
func (p Path) Stat(ctx context.Context, opts ...StatOption) (fs.FileInfo, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	if statOptions(opts).follow {
		return os.Stat(p.String())
	}
	return os.Lstat(p.String())
}

// Lstat returns the information of the file, or of the symbolic link itself
// if the path is one.
func (p Path) Lstat(ctx context.Context) (fs.FileInfo, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	return os.Lstat(p.String())
}

// absent reports whether err says that the path does not lead to a file:
// it does not exist, a component is not a directory, or links loop. These
// make the yes/no checks answer false; other errors are returned.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENAMETOOLONG)
}

// check stats the path and applies test to its mode.
func (p Path) check(ctx context.Context, follow bool, test func(fs.FileMode) bool) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	var fi fs.FileInfo
	var err error
	if follow {
		fi, err = os.Stat(p.String())
	} else {
		fi, err = os.Lstat(p.String())
	}
	if err != nil {
		if absent(err) {
			return false, nil
		}
		return false, err
	}
	return test(fi.Mode()), nil
}

// Exists reports whether the path leads to a file (with FollowSymlinks(false),
// whether a broken symbolic link counts too). A path that does not exist, or
// whose parent is not a directory, gives (false, nil); another failure to
// look (permission denied on a parent) gives the error.
func (p Path) Exists(ctx context.Context, opts ...StatOption) (bool, error) {
	return p.check(ctx, statOptions(opts).follow, func(fs.FileMode) bool { return true })
}

// IsDir reports whether the path is a directory (or a link to one, unless
// FollowSymlinks(false) is given); errors as [Path.Exists].
func (p Path) IsDir(ctx context.Context, opts ...StatOption) (bool, error) {
	return p.check(ctx, statOptions(opts).follow, fs.FileMode.IsDir)
}

// IsFile reports whether the path is a regular file (or a link to one,
// unless FollowSymlinks(false) is given); errors as [Path.Exists].
func (p Path) IsFile(ctx context.Context, opts ...StatOption) (bool, error) {
	return p.check(ctx, statOptions(opts).follow, fs.FileMode.IsRegular)
}

// IsSymlink reports whether the path is a symbolic link; errors as
// [Path.Exists].
func (p Path) IsSymlink(ctx context.Context) (bool, error) {
	return p.check(ctx, false, func(m fs.FileMode) bool { return m&fs.ModeSymlink != 0 })
}

// IsFIFO reports whether the path is a named pipe; errors as [Path.Exists].
func (p Path) IsFIFO(ctx context.Context) (bool, error) {
	return p.check(ctx, true, func(m fs.FileMode) bool { return m&fs.ModeNamedPipe != 0 })
}

// IsSocket reports whether the path is a UNIX socket; errors as
// [Path.Exists].
func (p Path) IsSocket(ctx context.Context) (bool, error) {
	return p.check(ctx, true, func(m fs.FileMode) bool { return m&fs.ModeSocket != 0 })
}

// IsBlockDevice reports whether the path is a block device; errors as
// [Path.Exists].
func (p Path) IsBlockDevice(ctx context.Context) (bool, error) {
	return p.check(ctx, true, func(m fs.FileMode) bool { return m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0 })
}

// IsCharDevice reports whether the path is a character device; errors as
// [Path.Exists].
func (p Path) IsCharDevice(ctx context.Context) (bool, error) {
	return p.check(ctx, true, func(m fs.FileMode) bool { return m&fs.ModeCharDevice != 0 })
}

// IsMount reports whether the path is a mount point: a directory on
// another device than its parent, or the same directory as its parent
// ("/"). A symbolic link is never one. Errors as [Path.Exists].
func (p Path) IsMount(ctx context.Context) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	var st1, st2 unix.Stat_t
	if err := unix.Lstat(p.String(), &st1); err != nil {
		if absent(err) {
			return false, nil
		}
		return false, &fs.PathError{Op: "lstat", Path: p.String(), Err: err}
	}
	if st1.Mode&unix.S_IFMT == unix.S_IFLNK {
		return false, nil
	}
	parent, err := realpath(p.String()+"/..", false)
	if err != nil {
		return false, err
	}
	if err := unix.Lstat(parent, &st2); err != nil {
		if absent(err) {
			return false, nil
		}
		return false, &fs.PathError{Op: "lstat", Path: parent, Err: err}
	}
	return st1.Dev != st2.Dev || st1.Ino == st2.Ino, nil
}

// Samefile reports whether the path and other are the same file (the same
// device and inode). A path that does not exist is an error.
func (p Path) Samefile(ctx context.Context, other Path) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	a, err := os.Stat(p.String())
	if err != nil {
		return false, err
	}
	b, err := os.Stat(other.String())
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// Chmod changes the permission bits of the file (of a symbolic link itself
// with FollowSymlinks(false), where the system allows it; Linux does not,
// and says so with an error matching errors.ErrUnsupported).
func (p Path) Chmod(ctx context.Context, mode fs.FileMode, opts ...StatOption) error {
	if err := live(ctx); err != nil {
		return err
	}
	if statOptions(opts).follow {
		return os.Chmod(p.String(), mode)
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, p.String(), uint32(mode.Perm()), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOTSUP) {
			err = fmt.Errorf("%w: %w", errors.ErrUnsupported, err)
		}
		return &fs.PathError{Op: "lchmod", Path: p.String(), Err: err}
	}
	return nil
}

// Owner returns the login name of the file's owner.
func (p Path) Owner(ctx context.Context, opts ...StatOption) (string, error) {
	st, err := p.sysStat(ctx, opts)
	if err != nil {
		return "", err
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(st.Uid), 10))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// Group returns the name of the file's group.
func (p Path) Group(ctx context.Context, opts ...StatOption) (string, error) {
	st, err := p.sysStat(ctx, opts)
	if err != nil {
		return "", err
	}
	g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10))
	if err != nil {
		return "", err
	}
	return g.Name, nil
}

func (p Path) sysStat(ctx context.Context, opts []StatOption) (*syscall.Stat_t, error) {
	fi, err := p.Stat(ctx, opts...)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("anyio/fileio: %s: the system gives no owner: %w", p, errors.ErrUnsupported)
	}
	return st, nil
}

// Mkdir creates the directory, with permission bits 0o777 (or [Mode]'s)
// before the umask. With [Parents] it creates missing parents too; with
// ExistOK(true) an existing directory is fine. Otherwise an existing path is
// an error matching fs.ErrExist and a missing parent one matching
// fs.ErrNotExist.
func (p Path) Mkdir(ctx context.Context, opts ...MkdirOption) error {
	cfg := mkdirConfig{mode: 0o777}
	for _, o := range opts {
		o.applyMkdir(&cfg)
	}
	if err := live(ctx); err != nil {
		return err
	}
	return p.mkdir(cfg)
}

func (p Path) mkdir(cfg mkdirConfig) error {
	err := os.Mkdir(p.String(), cfg.mode)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		parent := p.Parent()
		if !cfg.parents || parent == p {
			return err
		}
		if err := parent.mkdir(mkdirConfig{mode: 0o777, parents: true, existOK: true}); err != nil {
			return err
		}
		return p.mkdir(mkdirConfig{mode: cfg.mode, existOK: cfg.existOK})
	}
	// Not only EEXIST: the system may report EACCES or EROFS first.
	if cfg.existOK {
		if fi, serr := os.Stat(p.String()); serr == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

// Rmdir removes the directory, which must be empty.
func (p Path) Rmdir(ctx context.Context) error {
	if err := live(ctx); err != nil {
		return err
	}
	if err := unix.Rmdir(p.String()); err != nil {
		return &fs.PathError{Op: "rmdir", Path: p.String(), Err: err}
	}
	return nil
}

// Unlink removes the file or symbolic link (not a directory: see
// [Path.Rmdir]). A missing path is an error matching fs.ErrNotExist unless
// [MissingOK] is given.
func (p Path) Unlink(ctx context.Context, opts ...UnlinkOption) error {
	var cfg unlinkConfig
	for _, o := range opts {
		o.applyUnlink(&cfg)
	}
	if err := live(ctx); err != nil {
		return err
	}
	if err := unix.Unlink(p.String()); err != nil {
		if cfg.missingOK && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return &fs.PathError{Op: "unlink", Path: p.String(), Err: err}
	}
	return nil
}

// Touch creates the file if it does not exist, with permission bits 0o666
// (or [Mode]'s) before the umask, and otherwise sets its access and
// modification times to now. With ExistOK(false) an existing file is an
// error matching fs.ErrExist.
func (p Path) Touch(ctx context.Context, opts ...TouchOption) error {
	cfg := touchConfig{mode: 0o666, existOK: true}
	for _, o := range opts {
		o.applyTouch(&cfg)
	}
	if err := live(ctx); err != nil {
		return err
	}
	if cfg.existOK {
		now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
		if unix.UtimesNanoAt(unix.AT_FDCWD, p.String(), now, 0) == nil {
			return nil
		}
	}
	flag := os.O_CREATE | os.O_WRONLY
	if !cfg.existOK {
		flag |= os.O_EXCL
	}
	f, err := os.OpenFile(p.String(), flag, cfg.mode)
	if err != nil {
		return err
	}
	return f.Close()
}

// Rename renames the file or directory to target and returns target, as
// rename(2) does: an existing target file (or empty directory) is replaced.
// A relative target is relative to the working directory, not to the path.
func (p Path) Rename(ctx context.Context, target Path) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	if err := unix.Rename(p.String(), target.String()); err != nil {
		return Path{}, &os.LinkError{Op: "rename", Old: p.String(), New: target.String(), Err: err}
	}
	return target, nil
}

// Replace is [Path.Rename]: on POSIX, renaming replaces an existing target.
func (p Path) Replace(ctx context.Context, target Path) (Path, error) {
	return p.Rename(ctx, target)
}

// SymlinkTo makes the path a symbolic link to target (note the order: the
// reverse of os.Symlink's).
func (p Path) SymlinkTo(ctx context.Context, target Path) error {
	if err := live(ctx); err != nil {
		return err
	}
	return os.Symlink(target.String(), p.String())
}

// HardlinkTo makes the path a hard link to the same file as target (the
// reverse order of os.Link's).
func (p Path) HardlinkTo(ctx context.Context, target Path) error {
	if err := live(ctx); err != nil {
		return err
	}
	return os.Link(target.String(), p.String())
}

// Readlink returns the path that the symbolic link points to.
func (p Path) Readlink(ctx context.Context) (Path, error) {
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	t, err := os.Readlink(p.String())
	if err != nil {
		return Path{}, err
	}
	return NewPath(t), nil
}

// Resolve returns the absolute path with every symbolic link resolved and
// ".." segments removed (os.path.realpath). A component that does not exist
// (or cannot be looked at) is kept as it is, with the rest of the path, and
// a loop of links is left unresolved; with [Strict] both are errors (the
// latter matching syscall.ELOOP).
func (p Path) Resolve(ctx context.Context, opts ...ResolveOption) (Path, error) {
	var cfg resolveConfig
	for _, o := range opts {
		o.applyResolve(&cfg)
	}
	if err := live(ctx); err != nil {
		return Path{}, err
	}
	s, err := realpath(p.String(), cfg.strict)
	if err != nil {
		return Path{}, err
	}
	return NewPath(s), nil
}

// Open opens the file as [Open] does.
func (p Path) Open(ctx context.Context, flag int, perm fs.FileMode) (*File, error) {
	return Open(ctx, p.String(), flag, perm)
}

// ReadBytes returns the content of the file (Python's read_bytes). A
// pollable file (a FIFO) is read until its end, interruptibly.
func (p Path) ReadBytes(ctx context.Context) ([]byte, error) {
	f, err := Open(ctx, p.String(), os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close(ctx)
	return f.ReadAll(ctx)
}

// ReadText returns the content of the file as a string, as it is: no
// decoding and no newline translation (see the package documentation).
func (p Path) ReadText(ctx context.Context) (string, error) {
	b, err := p.ReadBytes(ctx)
	return string(b), err
}

// WriteBytes creates or truncates the file (permission bits 0o666 before
// the umask) and writes data to it; it returns the number of bytes written.
func (p Path) WriteBytes(ctx context.Context, data []byte) (int, error) {
	f, err := Open(ctx, p.String(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return 0, err
	}
	n, err := f.Write(ctx, data)
	if cerr := f.Close(ctx); err == nil {
		err = cerr
	}
	return n, err
}

// WriteText writes s as [Path.WriteBytes] does.
func (p Path) WriteText(ctx context.Context, s string) (int, error) {
	return p.WriteBytes(ctx, []byte(s))
}
