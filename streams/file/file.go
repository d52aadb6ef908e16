// Package file turns files into byte streams (AnyIO's anyio.streams.file): a
// [ReadStream] receives a file's content, a [WriteStream] sends to a file.
//
// Reads and writes of pollable files (pipes, FIFOs, terminals) return
// promptly when their context is cancelled; those of regular files, which the
// system completes quickly, run to the end once started.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// Attribute holds the typed attributes of file streams (AnyIO's
// FileStreamAttribute).
var Attribute = struct {
	// File is the *os.File the stream reads or writes.
	File *anyio.TypedAttribute[*os.File]
	// Fileno is the file's descriptor (present when the file has one).
	Fileno *anyio.TypedAttribute[int]
	// Path is the file's name as given to os.Open or os.NewFile.
	Path *anyio.TypedAttribute[string]
}{
	File:   anyio.NewTypedAttribute[*os.File]("file.Attribute.File"),
	Fileno: anyio.NewTypedAttribute[int]("file.Attribute.Fileno"),
	Path:   anyio.NewTypedAttribute[string]("file.Attribute.Path"),
}

// base is what both streams share.
type base struct {
	f        *os.File
	pollable bool // the file has deadlines: its calls can be interrupted
	busy     atomic.Bool
	closed   atomic.Bool
	fd       cancelio.FD // the reads or the writes of a pollable file
	attrs    map[any]func() any
}

func (b *base) init(f *os.File, write bool, setDeadline func(time.Time) error) {
	b.f, b.pollable = f, setDeadline(time.Time{}) == nil
	if b.pollable {
		what := "file.ReadStream.Receive of "
		if write {
			what = "file.WriteStream.Send of "
		}
		b.fd.InitFile(f, write, func() string { return what + f.Name() })
	}
	b.attrs = map[any]func() any{
		Attribute.File: func() any { return f },
		Attribute.Path: func() any { return f.Name() },
	}
	if sc, err := f.SyscallConn(); err == nil {
		fd := -1
		sc.Control(func(u uintptr) { fd = int(u) })
		if fd >= 0 {
			b.attrs[Attribute.Fileno] = func() any { return fd }
		}
	}
}

// enter starts a call of the stream's one direction.
func (b *base) enter(ctx context.Context, action string) error {
	if b.closed.Load() {
		return anyio.ErrClosedResource
	}
	if !b.busy.CompareAndSwap(false, true) {
		return &anyio.BusyResourceError{Action: action}
	}
	if ctx.Err() != nil {
		b.busy.Store(false)
		return core.CancelErr(ctx)
	}
	return nil
}

// read reads into p, interruptibly when the file is pollable.
func (b *base) read(ctx context.Context, p []byte) (int, error, bool) {
	if !b.pollable {
		n, err := b.f.Read(p)
		return n, err, false
	}
	return b.fd.ReadFile(ctx, b.f, p)
}

// write writes p, interruptibly when the file is pollable.
func (b *base) write(ctx context.Context, p []byte) (int, error, bool) {
	if !b.pollable {
		n, err := b.f.Write(p)
		return n, err, false
	}
	return b.fd.WriteFile(ctx, b.f, p)
}

func (b *base) mapErr(err error) error {
	switch {
	case b.closed.Load() || errors.Is(err, os.ErrClosed):
		return anyio.ErrClosedResource
	case errors.Is(err, io.EOF):
		return anyio.ErrEndOfStream
	}
	return fmt.Errorf("%w: %w", anyio.ErrBrokenResource, err)
}

// Close closes the file; it is idempotent. A call blocked on a pollable file
// returns anyio.ErrClosedResource.
func (b *base) Close(ctx context.Context) error {
	if b.closed.Swap(true) {
		return nil
	}
	defer b.fd.Release()
	if err := b.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// ExtraAttributes returns Attribute.File, Attribute.Path and, when the file
// has a descriptor, Attribute.Fileno.
func (b *base) ExtraAttributes() map[any]func() any { return b.attrs }

// ReadStream is a byte stream that reads from a file (AnyIO's
// FileReadStream). It serves one Receive at a time.
type ReadStream struct{ base }

var _ anyio.ByteReceiveStream = (*ReadStream)(nil)

// NewReadStream returns a stream that reads from f, which must be open for
// reading. The stream owns f: closing the stream closes it.
func NewReadStream(f *os.File) *ReadStream {
	s := &ReadStream{}
	s.init(f, false, f.SetReadDeadline)
	return s
}

// OpenReadStream opens the file at path for reading and returns a stream
// over it. It returns a cancellation error without opening the file when ctx
// is already cancelled; the open itself is not interruptible.
func OpenReadStream(ctx context.Context, path string) (*ReadStream, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return NewReadStream(f), nil
}

// Receive reads at most len(p) bytes from the file's current position,
// following the anyio.ByteReceiveStream contract: anyio.ErrEmptyBuffer for an
// empty p, anyio.ErrEndOfStream at the end of the file, anyio.ErrClosedResource
// once closed, *anyio.BusyResourceError during another Receive, and errors
// matching anyio.ErrBrokenResource (wrapping the system's) on failure.
func (s *ReadStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	if err := s.enter(ctx, "reading from"); err != nil {
		return 0, err
	}
	defer s.busy.Store(false)
	for {
		n, err, cancelled := s.read(ctx, p)
		switch {
		case n > 0:
			return n, nil
		case cancelled:
			return 0, core.CancelErr(ctx)
		case err != nil:
			return 0, s.mapErr(err)
		}
		if ctx.Err() != nil {
			return 0, core.CancelErr(ctx)
		}
	}
}

// Seek sets the position of the next Receive, as os.File.Seek does, and
// returns the new absolute position. Not every file can seek: a pipe gives
// an error. It returns anyio.ErrClosedResource once the stream is closed.
func (s *ReadStream) Seek(ctx context.Context, offset int64, whence int) (int64, error) {
	if s.closed.Load() {
		return 0, anyio.ErrClosedResource
	}
	if ctx.Err() != nil {
		return 0, core.CancelErr(ctx)
	}
	return s.f.Seek(offset, whence)
}

// Tell returns the current position in the file (see [ReadStream.Seek]).
func (s *ReadStream) Tell(ctx context.Context) (int64, error) {
	return s.Seek(ctx, 0, io.SeekCurrent)
}

// WriteStream is a byte stream that writes to a file (AnyIO's
// FileWriteStream). It serves one Send at a time.
type WriteStream struct{ base }

var _ anyio.ByteSendStream = (*WriteStream)(nil)

// NewWriteStream returns a stream that writes to f, which must be open for
// writing. The stream owns f: closing the stream closes it.
func NewWriteStream(f *os.File) *WriteStream {
	s := &WriteStream{}
	s.init(f, true, f.SetWriteDeadline)
	return s
}

// OpenWriteStream opens the file at path for writing and returns a stream
// over it: the file is created if needed (mode 0o666 before the umask) and
// truncated, or, with appendMode, written at its end. It returns a
// cancellation error without opening the file when ctx is already cancelled.
func OpenWriteStream(ctx context.Context, path string, appendMode bool) (*WriteStream, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o666)
	if err != nil {
		return nil, err
	}
	return NewWriteStream(f), nil
}

// Send writes all of p to the file. It returns anyio.ErrClosedResource once
// closed, *anyio.BusyResourceError during another Send, errors matching
// anyio.ErrBrokenResource on failure (a pipe whose reader is gone), and a
// cancellation error once ctx is cancelled (a pollable file may then have
// taken a prefix of p).
func (s *WriteStream) Send(ctx context.Context, p []byte) error {
	if err := s.enter(ctx, "writing to"); err != nil {
		return err
	}
	defer s.busy.Store(false)
	for len(p) > 0 {
		n, err, cancelled := s.write(ctx, p)
		p = p[n:]
		if cancelled {
			return core.CancelErr(ctx)
		}
		if err != nil {
			if errors.Is(err, syscall.EPIPE) {
				return fmt.Errorf("%w: %w", anyio.ErrBrokenResource, err)
			}
			return s.mapErr(err)
		}
		if len(p) > 0 && ctx.Err() != nil {
			return core.CancelErr(ctx)
		}
	}
	return nil
}
