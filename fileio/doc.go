// Package fileio holds AnyIO's files, paths and temporary files for Go:
// [File] (AnyIO's AsyncFile, from [Open] and [Wrap]), [Path] (AnyIO's
// anyio.Path, with the surface of Python's pathlib), and the temporary
// files and directories of AnyIO's tempfile module ([TemporaryFile],
// [NamedTemporaryFile], [SpooledTemporaryFile], [TemporaryDirectory],
// [Mkstemp], [Mkdtemp], [TempDir]).
//
// # Blocking and cancellation
//
// Every method that touches the disk takes a context first. It checks the
// context before it starts, and returns a cancellation error (matching
// anyio.ErrCancelled and ctx.Err()) without starting when it is cancelled.
// A read or write of a pollable file (a pipe, a FIFO, a terminal) that waits
// for its peer returns as soon as the context is cancelled; the task counts
// as blocked meanwhile for anyio.WaitAllTasksBlocked. Other system calls
// (on regular files and directories, which the system completes quickly)
// run to the end once started, as in AnyIO, where they run in worker
// threads that are not abandoned. Go needs no worker threads here: a
// goroutine blocked in a system call gets an operating-system thread of its
// own, so AnyIO's limiter arguments have no counterpart.
//
// Iterators ([Path.Iterdir], [Path.Glob], [Path.Rglob], [Path.Walk],
// [File.Lines]) start no goroutine and hold no open directory between two
// steps, so a loop may stop at any point without leaking anything.
//
// # Paths
//
// The pure methods of [Path] ([Path.Name], [Path.Suffix], [Path.WithName],
// [Path.RelativeTo], [Path.Match], [Path.FullMatch], …) behave as those of
// Python 3.14's pathlib.PurePosixPath, and are tested against results
// computed by Python. The I/O methods behave as pathlib.Path's; their errors
// are the operating system's (*fs.PathError, *os.LinkError), so
// errors.Is(err, fs.ErrNotExist) works. The yes/no checks
// ([Path.Exists], [Path.IsDir], …) answer false for a path that does not
// exist (or whose parent is not a directory) and return other errors.
//
// Text is bytes: [Path.ReadText] and [Path.WriteText] neither decode nor
// translate newlines, where Python decodes with the locale's encoding and
// turns "\r\n" into "\n" when reading.
package fileio
