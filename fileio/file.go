package fileio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// File is an open file whose blocking methods take a context (AnyIO's
// AsyncFile).
//
// Cancellation: the reads and writes of a pollable file (a pipe, a FIFO, a
// terminal, a socket opened as a file) return as soon as their context is
// cancelled, through the file's deadlines; a task blocked in one counts as
// blocked for anyio.WaitAllTasksBlocked. I/O on a regular file or a
// directory, which the system completes quickly, runs to the end once
// started, as AnyIO's worker threads do: every method checks its context
// first, and returns a cancellation error without starting when it is
// cancelled.
//
// A File reads ahead for [File.ReadLine] and [File.Lines]; [File.Read],
// [File.Seek], [File.Tell], [File.Write] and [File.Truncate] take what was
// read ahead into account, so the file behaves as if nothing was. The methods
// may be called from several goroutines: reads (with Seek, Tell and Truncate)
// are serialized with each other, and writes with each other, and a call
// waiting for its turn returns when its context is cancelled. [File.Close]
// may be called at any time; it makes a read blocked on a pollable file
// return [ErrClosed].
type File struct {
	f        *os.File
	pollable bool
	rlock    chan struct{} // held by a read, Seek, Tell, Truncate (room for one)
	wlock    chan struct{} // held by a write
	// rfd and wfd read and write a pollable file: the task counts as
	// blocked exactly while it waits for the file to be ready.
	rfd, wfd cancelio.FD
	buf      []byte // read ahead: buf[r:] is not read yet
	r        int
	closed   atomic.Bool
	onClose  func() error // removes a temporary file
}

// Open opens the named file with the flags of os.OpenFile (os.O_RDONLY,
// os.O_RDWR|os.O_CREATE, …) and, when it creates it, the permission bits
// perm (before the umask). It returns a cancellation error without opening
// the file when ctx is already cancelled; the open itself is not
// interruptible (opening a FIFO waits for its other end, as open(2) does).
// Errors are the *fs.PathError of os.OpenFile.
func Open(ctx context.Context, name string, flag int, perm os.FileMode) (*File, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return Wrap(f), nil
}

// Wrap returns a File over f (AnyIO's wrap_file). The File owns f: closing
// the File closes f. Wrap panics if f is nil.
func Wrap(f *os.File) *File {
	if f == nil {
		panic("anyio/fileio: Wrap needs an open *os.File, not nil")
	}
	file := &File{
		f:        f,
		pollable: f.SetReadDeadline(time.Time{}) == nil,
		rlock:    make(chan struct{}, 1),
		wlock:    make(chan struct{}, 1),
	}
	if file.pollable {
		file.rfd.InitFile(f, false, func() string { return "fileio.File.Read of " + f.Name() })
		file.wfd.InitFile(f, true, func() string { return "fileio.File.Write of " + f.Name() })
	}
	return file
}

// Wrapped returns the *os.File under the File. Reading from it directly
// skips what the File has read ahead.
func (f *File) Wrapped() *os.File { return f.f }

// Name returns the name of the file as given to Open (os.File.Name).
func (f *File) Name() string { return f.f.Name() }

// lock takes l, waiting for it until ctx is cancelled.
func lock(ctx context.Context, l chan struct{}) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return core.CancelErr(ctx)
	}
}

// begin takes l and checks that the file is open and ctx live.
func (f *File) begin(ctx context.Context, l chan struct{}) error {
	if f.closed.Load() {
		return ErrClosed
	}
	if err := lock(ctx, l); err != nil {
		return err
	}
	switch {
	case f.closed.Load():
		<-l
		return ErrClosed
	case ctx.Err() != nil:
		<-l
		return core.CancelErr(ctx)
	}
	return nil
}

func (f *File) mapErr(err error) error {
	if err != nil && (f.closed.Load() || errors.Is(err, os.ErrClosed)) {
		return ErrClosed
	}
	return err
}

// buffered returns the number of bytes read ahead.
func (f *File) buffered() int { return len(f.buf) - f.r }

// readRaw reads from the file into p, past the read-ahead. The read lock is
// held.
func (f *File) readRaw(ctx context.Context, p []byte) (int, error) {
	if f.closed.Load() {
		return 0, ErrClosed
	}
	if ctx.Err() != nil {
		return 0, core.CancelErr(ctx)
	}
	if !f.pollable {
		n, err := f.f.Read(p)
		return n, f.mapErr(err)
	}
	for {
		n, err, cancelled := f.rfd.ReadFile(ctx, f.f, p)
		switch {
		case n > 0:
			return n, nil
		case cancelled:
			return 0, core.CancelErr(ctx)
		case err != nil:
			return 0, f.mapErr(err)
		}
	}
}

// Read reads at most len(p) bytes into p, as io.Reader: at least one byte
// and no error, or an error; at the end of the file (0, io.EOF). A read of a
// pollable file that waits for data returns (0, a cancellation error) once
// ctx is cancelled, and the file stays usable. It returns [ErrClosed] once
// the file is closed, and the system's error (an *fs.PathError) otherwise.
func (f *File) Read(ctx context.Context, p []byte) (int, error) {
	if err := f.begin(ctx, f.rlock); err != nil {
		return 0, err
	}
	defer func() { <-f.rlock }()
	if len(p) == 0 {
		return 0, nil
	}
	if f.buffered() > 0 {
		n := copy(p, f.buf[f.r:])
		f.consume(n)
		return n, nil
	}
	return f.readRaw(ctx, p)
}

// consume drops n bytes from the read-ahead.
func (f *File) consume(n int) {
	f.r += n
	if f.r == len(f.buf) {
		f.buf, f.r = f.buf[:0], 0
	}
}

// ReadAll reads until the end of the file and returns what it read (AnyIO's
// read() with no size). When it fails, or ctx is cancelled while it waits
// on a pollable file, it returns nil and the error, and keeps what it had
// read for the next read: nothing is lost.
func (f *File) ReadAll(ctx context.Context) ([]byte, error) {
	if err := f.begin(ctx, f.rlock); err != nil {
		return nil, err
	}
	defer func() { <-f.rlock }()
	size := 512
	if !f.pollable {
		if fi, err := f.f.Stat(); err == nil && fi.Mode().IsRegular() {
			if pos, err := f.f.Seek(0, io.SeekCurrent); err == nil && fi.Size() > pos {
				size = int(fi.Size()-pos) + 1 // one more for the read that sees the end
			}
		}
	}
	data := make([]byte, 0, f.buffered()+size)
	data = append(data, f.buf[f.r:]...)
	f.buf, f.r = f.buf[:0], 0
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.readRaw(ctx, data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			f.buf = data // read again by the next read
			return nil, err
		}
	}
}

// ReadLine reads one line and returns it with its trailing "\n", as
// Python's readline does; the last line of a file that does not end with a
// newline comes without one. At the end of the file it returns ("", io.EOF).
// When it fails or is cancelled, what it has read of the line stays for the
// next read.
func (f *File) ReadLine(ctx context.Context) (string, error) {
	if err := f.begin(ctx, f.rlock); err != nil {
		return "", err
	}
	defer func() { <-f.rlock }()
	scanned := 0
	for {
		if i := bytes.IndexByte(f.buf[f.r+scanned:], '\n'); i >= 0 {
			end := f.r + scanned + i + 1
			line := string(f.buf[f.r:end])
			f.consume(end - f.r)
			return line, nil
		}
		scanned = f.buffered()
		// Make room after the unread bytes and read more.
		if f.r > 0 {
			n := copy(f.buf, f.buf[f.r:])
			f.buf, f.r = f.buf[:n], 0
		}
		if cap(f.buf)-len(f.buf) < 512 {
			grown := make([]byte, len(f.buf), max(4096, 2*cap(f.buf)))
			copy(grown, f.buf)
			f.buf = grown
		}
		n, err := f.readRaw(ctx, f.buf[len(f.buf):cap(f.buf)])
		f.buf = f.buf[:len(f.buf)+n]
		if err == io.EOF {
			if f.buffered() == 0 {
				return "", io.EOF
			}
			line := string(f.buf[f.r:])
			f.consume(f.buffered())
			return line, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// Lines returns an iterator over the lines of the file from the current
// position, each with its trailing "\n" (AnyIO's async iteration over a
// file). It ends at the end of the file; an error (a cancellation
// included) is yielded once, and ends it. Breaking out of the loop leaves
// the rest of the file for later reads.
func (f *File) Lines(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for {
			line, err := f.ReadLine(ctx)
			if err == io.EOF {
				return
			}
			if !yield(line, err) || err != nil {
				return
			}
		}
	}
}

// dropReadAhead moves the file's position back over what was read ahead
// and forgets it, so that a write or a truncation happens at the position
// the reader expects. A file that cannot seek keeps its read-ahead (its
// reads and writes do not share a position). The read lock is held.
func (f *File) dropReadAhead() {
	if n := f.buffered(); n > 0 {
		if _, err := f.f.Seek(int64(-n), io.SeekCurrent); err == nil {
			f.buf, f.r = f.buf[:0], 0
		}
	}
}

// Write writes all of p and returns how many bytes it wrote, with an error
// when that is less than len(p). A write to a pollable file that waits for
// room returns (the bytes written so far, a cancellation error) once ctx is
// cancelled. It returns [ErrClosed] once the file is closed, and the system's
// error (an *fs.PathError) otherwise.
func (f *File) Write(ctx context.Context, p []byte) (int, error) {
	if err := f.begin(ctx, f.wlock); err != nil {
		return 0, err
	}
	defer func() { <-f.wlock }()
	if !f.pollable {
		if err := lock(ctx, f.rlock); err != nil {
			return 0, err
		}
		f.dropReadAhead()
		<-f.rlock
		n, err := f.f.Write(p)
		return n, f.mapErr(err)
	}
	written := 0
	for written < len(p) {
		rest := p[written:]
		n, err, cancelled := f.wfd.WriteFile(ctx, f.f, rest)
		written += n
		switch {
		case cancelled:
			return written, core.CancelErr(ctx)
		case err != nil:
			return written, f.mapErr(err)
		case written < len(p) && ctx.Err() != nil:
			return written, core.CancelErr(ctx)
		}
	}
	return written, nil
}

// WriteString writes s, as [File.Write] does.
func (f *File) WriteString(ctx context.Context, s string) (int, error) {
	return f.Write(ctx, []byte(s))
}

// Seek sets the position of the next read or write, as os.File.Seek does
// (whence is io.SeekStart, io.SeekCurrent or io.SeekEnd), and returns the
// new position. A file that cannot seek (a pipe) gives the system's error.
func (f *File) Seek(ctx context.Context, offset int64, whence int) (int64, error) {
	if err := f.begin(ctx, f.rlock); err != nil {
		return 0, err
	}
	defer func() { <-f.rlock }()
	if whence == io.SeekCurrent {
		offset -= int64(f.buffered())
	}
	pos, err := f.f.Seek(offset, whence)
	if err != nil {
		return 0, f.mapErr(err)
	}
	f.buf, f.r = f.buf[:0], 0
	return pos, nil
}

// Tell returns the current position in the file: where the next read
// starts.
func (f *File) Tell(ctx context.Context) (int64, error) {
	if err := f.begin(ctx, f.rlock); err != nil {
		return 0, err
	}
	defer func() { <-f.rlock }()
	pos, err := f.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, f.mapErr(err)
	}
	return pos - int64(f.buffered()), nil
}

// Truncate changes the size of the file to size bytes, as os.File.Truncate
// does; the position does not move. A negative size is an error matching
// [ErrNegativeSize].
func (f *File) Truncate(ctx context.Context, size int64) error {
	if size < 0 {
		return ErrNegativeSize
	}
	if err := f.begin(ctx, f.rlock); err != nil {
		return err
	}
	defer func() { <-f.rlock }()
	f.dropReadAhead()
	return f.mapErr(f.f.Truncate(size))
}

// Sync commits the file's content to stable storage (fsync), what Python's
// flush followed by os.fsync does; a File keeps no written data of its own.
func (f *File) Sync(ctx context.Context) error {
	if f.closed.Load() {
		return ErrClosed
	}
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	return f.mapErr(f.f.Sync())
}

// Close closes the file, and removes it when it is a temporary file that
// is removed on close ([NamedTemporaryFile]). It does so also when ctx is
// cancelled, without waiting. A read or write blocked on a pollable file
// returns [ErrClosed]. Close is idempotent: later calls return nil.
func (f *File) Close(ctx context.Context) error {
	if f.closed.Swap(true) {
		return nil
	}
	err := f.f.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil // closed through Wrapped
	}
	f.rfd.Release()
	f.wfd.Release()
	if f.onClose != nil {
		err = errors.Join(err, f.onClose())
	}
	return err
}
