package fileio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// TempOption configures every function that makes a temporary file or
// directory: [TemporaryFile], [NamedTemporaryFile], [SpooledTemporaryFile],
// [TemporaryDirectory], [Mkstemp] and [Mkdtemp].
type TempOption interface{ applyTemp(*tempConfig) }

// NamedTempOption configures [NamedTemporaryFile].
type NamedTempOption interface{ applyNamedTemp(*tempConfig) }

// TempDirOption configures [TemporaryDirectory].
type TempDirOption interface{ applyTempDir(*tempConfig) }

type tempConfig struct {
	prefix, suffix, dir string
	keep                bool // Delete(false)
	ignoreCleanupErrors bool
}

func tempOptions[O any](opts []O, apply func(O, *tempConfig)) tempConfig {
	cfg := tempConfig{prefix: "tmp"}
	for _, o := range opts {
		apply(o, &cfg)
	}
	return cfg
}

// NameOption is the option returned by [Prefix], [Suffix] and [Dir].
type NameOption struct{ apply func(*tempConfig) }

func (o NameOption) applyTemp(c *tempConfig)      { o.apply(c) }
func (o NameOption) applyNamedTemp(c *tempConfig) { o.apply(c) }
func (o NameOption) applyTempDir(c *tempConfig)   { o.apply(c) }

// Prefix sets the start of a temporary name (default "tmp").
func Prefix(prefix string) NameOption {
	return NameOption{func(c *tempConfig) { c.prefix = prefix }}
}

// Suffix sets the end of a temporary name (default none).
func Suffix(suffix string) NameOption {
	return NameOption{func(c *tempConfig) { c.suffix = suffix }}
}

// Dir sets the directory in which the temporary file or directory is made
// (default [TempDir]).
func Dir(dir string) NameOption {
	return NameOption{func(c *tempConfig) { c.dir = dir }}
}

// DeleteOption is the option returned by [Delete].
type DeleteOption struct{ delete bool }

func (o DeleteOption) applyNamedTemp(c *tempConfig) { c.keep = !o.delete }
func (o DeleteOption) applyTempDir(c *tempConfig)   { c.keep = !o.delete }

// Delete sets whether Close removes the file of a [NamedTemporaryFile] or
// the tree of a [TemporaryDirectory] (default true).
func Delete(delete bool) DeleteOption { return DeleteOption{delete} }

type ignoreCleanupErrorsOption struct{}

func (ignoreCleanupErrorsOption) applyTempDir(c *tempConfig) { c.ignoreCleanupErrors = true }

// IgnoreCleanupErrors makes the Close of a [TemporaryDirectory] remove what
// it can and report no error.
func IgnoreCleanupErrors() TempDirOption { return ignoreCleanupErrorsOption{} }

// TempDir returns the directory for temporary files, as Python's
// tempfile.gettempdir chooses it: the first of $TMPDIR, $TEMP, $TMP, /tmp,
// /var/tmp, /usr/tmp and the working directory that is a directory this
// process can write to, as an absolute path. When none is, the error
// matches [ErrNoTempDir] and fs.ErrNotExist.
func TempDir(ctx context.Context) (string, error) {
	if err := live(ctx); err != nil {
		return "", err
	}
	var candidates []string
	for _, env := range []string{"TMPDIR", "TEMP", "TMP"} {
		if d := os.Getenv(env); d != "" {
			candidates = append(candidates, d)
		}
	}
	candidates = append(candidates, "/tmp", "/var/tmp", "/usr/tmp")
	if cwd, err := os.Getwd(); err == nil {
		candidates = append(candidates, cwd)
	}
	for _, d := range candidates {
		abs, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() && unix.Access(abs, unix.W_OK|unix.X_OK) == nil {
			return abs, nil
		}
	}
	return "", fmt.Errorf("%w in %q", ErrNoTempDir, candidates)
}

// tmpMax is how many names are tried before giving up (Python's TMP_MAX).
const tmpMax = 10000

const nameChars = "abcdefghijklmnopqrstuvwxyz0123456789_"

func randomName() string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = nameChars[rand.IntN(len(nameChars))]
	}
	return string(b)
}

// makeTemp makes a fresh file or directory named prefix + 8 random
// characters + suffix in the configured directory, with create, and
// returns its absolute path.
func makeTemp(ctx context.Context, cfg tempConfig, create func(name string) error) (string, error) {
	dir := cfg.dir
	if dir == "" {
		d, err := TempDir(ctx)
		if err != nil {
			return "", err
		}
		dir = d
	}
	if err := live(ctx); err != nil {
		return "", err
	}
	for range tmpMax {
		name, err := filepath.Abs(filepath.Join(dir, cfg.prefix+randomName()+cfg.suffix))
		if err != nil {
			return "", err
		}
		err = create(name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("anyio/fileio: no unused temporary name found in %s: %w", dir, fs.ErrExist)
}

// mkstemp creates a temporary file readable and writable by its owner only
// and returns it open for reading and writing.
func mkstemp(ctx context.Context, cfg tempConfig) (*os.File, error) {
	var f *os.File
	_, err := makeTemp(ctx, cfg, func(name string) (err error) {
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		return err
	})
	return f, err
}

// Mkstemp creates a new file, readable and writable only by its owner,
// and returns it open for reading and writing (Python's mkstemp); its name
// is [File.Name], an absolute path. The caller removes the file when done:
// closing it does not.
func Mkstemp(ctx context.Context, opts ...TempOption) (*File, error) {
	f, err := mkstemp(ctx, tempOptions(opts, TempOption.applyTemp))
	if err != nil {
		return nil, err
	}
	return Wrap(f), nil
}

// Mkdtemp creates a new directory, usable only by its owner, and returns
// its absolute path (Python's mkdtemp). The caller removes it when done.
func Mkdtemp(ctx context.Context, opts ...TempOption) (string, error) {
	return makeTemp(ctx, tempOptions(opts, TempOption.applyTemp), func(name string) error {
		return os.Mkdir(name, 0o700)
	})
}

// TemporaryFile returns a new temporary file open for reading and writing
// that has no name: it is removed from its directory at once, and its
// storage is freed when it is closed (Python's TemporaryFile).
func TemporaryFile(ctx context.Context, opts ...TempOption) (*File, error) {
	f, err := mkstemp(ctx, tempOptions(opts, TempOption.applyTemp))
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return Wrap(f), nil
}

// NamedTemporaryFile returns a new temporary file open for reading and
// writing, whose name ([File.Name], absolute) others may open (Python's
// NamedTemporaryFile). Closing it removes it, also with a cancelled
// context, unless Delete(false) is given.
func NamedTemporaryFile(ctx context.Context, opts ...NamedTempOption) (*File, error) {
	cfg := tempOptions(opts, NamedTempOption.applyNamedTemp)
	f, err := mkstemp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	file := Wrap(f)
	if !cfg.keep {
		name := f.Name()
		file.onClose = func() error {
			if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
	}
	return file, nil
}

// TemporaryDir is a temporary directory made by [TemporaryDirectory].
type TemporaryDir struct {
	path   Path
	cfg    tempConfig
	closed atomic.Bool
}

// TemporaryDirectory creates a new directory, usable only by its owner
// (Python's TemporaryDirectory). Its Close removes it with everything in it.
func TemporaryDirectory(ctx context.Context, opts ...TempDirOption) (*TemporaryDir, error) {
	cfg := tempOptions(opts, TempDirOption.applyTempDir)
	name, err := makeTemp(ctx, cfg, func(name string) error { return os.Mkdir(name, 0o700) })
	if err != nil {
		return nil, err
	}
	return &TemporaryDir{path: NewPath(name), cfg: cfg}, nil
}

// Path returns the directory's absolute path.
func (d *TemporaryDir) Path() Path { return d.path }

// Name returns the directory's absolute path as a string.
func (d *TemporaryDir) Name() string { return d.path.String() }

// Close removes the directory and everything in it, also with a cancelled
// context, unless Delete(false) was given; entries whose permissions forbid
// their removal are made removable first, as Python does. It returns the
// first error unless IgnoreCleanupErrors was given. Close is idempotent.
func (d *TemporaryDir) Close(ctx context.Context) error {
	if d.closed.Swap(true) || d.cfg.keep {
		return nil
	}
	err := removeTree(d.path.String())
	if d.cfg.ignoreCleanupErrors {
		return nil
	}
	return err
}

// removeTree removes name and everything below it, adding the owner's
// permissions to directories that refuse it.
func removeTree(name string) error {
	err := os.RemoveAll(name)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	filepath.WalkDir(name, func(p string, e fs.DirEntry, err error) error {
		if e != nil && e.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(name)
}
