package fileio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/anyio-go/anyio"
)

// The sentinel errors of fileio. The pure methods of [Path] return them where
// Python's pathlib raises ValueError (or NotImplementedError); the I/O methods
// return the operating system's errors (an *fs.PathError or *os.LinkError
// whose Err is a syscall.Errno), so that errors.Is(err, fs.ErrNotExist) and
// its kin work.
var (
	// ErrInvalidName is returned by [Path.WithName], [Path.WithStem],
	// [Path.WithSuffix], [Path.CopyInto] and [Path.MoveInto] when the new name
	// would be empty, ".", hold a "/", or be only a suffix, or when the path
	// has no name to replace (Python's ValueError).
	ErrInvalidName = errors.New("anyio/fileio: invalid name")

	// ErrInvalidSuffix is returned by [Path.WithSuffix] for a suffix that
	// does not start with a dot.
	ErrInvalidSuffix = errors.New("anyio/fileio: invalid suffix")

	// ErrNotRelative is returned by [Path.RelativeTo] when the path is not
	// below the other path (and WalkUp was not given, or cannot help).
	ErrNotRelative = errors.New("anyio/fileio: path is not relative to the other path")

	// ErrInvalidPattern is returned by [Path.Match] for an empty pattern, and
	// yielded by [Path.Glob] and [Path.Rglob] for an empty or absolute
	// pattern.
	ErrInvalidPattern = errors.New("anyio/fileio: invalid pattern")

	// ErrRelativePath is returned by [Path.AsURI] for a relative path: only an
	// absolute path has a file URI.
	ErrRelativePath = errors.New("anyio/fileio: a relative path cannot be expressed as a file URI")

	// ErrInvalidURI is returned by [FromURI] for a URI that has no "file:"
	// scheme, names a host other than this one, or holds a relative path.
	ErrInvalidURI = errors.New("anyio/fileio: invalid file URI")

	// ErrNoHome is returned by [Home] and [Path.ExpandUser] when the home
	// directory (of the user, or of the user named after "~") cannot be
	// determined.
	ErrNoHome = errors.New("anyio/fileio: could not determine the home directory")

	// ErrSamePath is matched by the error of [Path.Copy], [Path.CopyInto],
	// [Path.Move] and [Path.MoveInto] when the source and the target are the
	// same path or the same file, or the target lies inside the source
	// directory (Python's OSError with EINVAL). The error is an *os.LinkError
	// whose Err also matches syscall.EINVAL.
	ErrSamePath = errors.New("anyio/fileio: source and target are the same path or file")

	// ErrNoTempDir is returned by [TempDir] (and the temporary-file
	// functions that use it) when none of the candidate directories is a
	// writable directory. It matches fs.ErrNotExist.
	ErrNoTempDir = fmt.Errorf("anyio/fileio: no usable temporary directory: %w", fs.ErrNotExist)

	// ErrNegativeSize is returned by [SpooledTemporaryFile] for a negative
	// maximum size, and by the Truncate methods for a negative size.
	ErrNegativeSize = errors.New("anyio/fileio: size must not be negative")
)

// samePathError is the Err of the *os.LinkError that Copy and Move return
// for a source and target that are one: it matches ErrSamePath and EINVAL.
type samePathError struct{ msg string }

func (e samePathError) Error() string { return e.msg }

func (e samePathError) Is(target error) bool {
	return target == ErrSamePath || target == syscall.EINVAL
}

// ErrClosed is returned by the methods of a [File] or [SpooledFile] that
// was closed. It matches anyio.ErrClosedResource and os.ErrClosed.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string { return "anyio/fileio: the file is closed" }

func (closedError) Is(target error) bool {
	return target == anyio.ErrClosedResource || target == os.ErrClosed
}
