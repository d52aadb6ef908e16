package fileio

import (
	"bytes"
	"context"
	"io"
	"iter"
	"os"
	"sync"

	"github.com/anyio-go/anyio/internal/core"
)

// SpooledFile is a temporary file kept in memory until it grows past its
// maximum size, and then rolled over to a [TemporaryFile] on disk (AnyIO's
// SpooledTemporaryFile). Its methods are those of [File]; in memory they
// never block, and only check their context. Its methods may be called from
// several goroutines; they are serialized.
type SpooledFile struct {
	mu      sync.Mutex
	maxSize int64
	opts    []TempOption
	mem     []byte
	pos     int64
	file    *File // set once rolled over
	closed  bool
}

// SpooledTemporaryFile returns an empty spooled temporary file that rolls
// over to disk when a write leaves its position past maxSize bytes (a
// maxSize of 0 rolls over at the first write of any data). The options
// configure the file on disk. A negative maxSize is an error matching
// [ErrNegativeSize].
func SpooledTemporaryFile(ctx context.Context, maxSize int64, opts ...TempOption) (*SpooledFile, error) {
	if maxSize < 0 {
		return nil, ErrNegativeSize
	}
	if err := live(ctx); err != nil {
		return nil, err
	}
	return &SpooledFile{maxSize: maxSize, opts: opts}, nil
}

// enter checks the file and ctx; it returns the file on disk when rolled
// over, with s.mu unlocked, or nil with s.mu locked.
func (s *SpooledFile) enter(ctx context.Context) (*File, error) {
	s.mu.Lock()
	if s.file != nil {
		f := s.file
		s.mu.Unlock()
		return f, nil
	}
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if ctx.Err() != nil {
		s.mu.Unlock()
		return nil, core.CancelErr(ctx)
	}
	return nil, nil
}

// Rolled reports whether the file was rolled over to disk.
func (s *SpooledFile) Rolled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file != nil
}

// Wrapped returns the *os.File on disk, or nil while the file is in
// memory.
func (s *SpooledFile) Wrapped() *os.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil
	}
	return s.file.Wrapped()
}

// Rollover moves the file to disk now, keeping its content and position.
// It does nothing if it is there already.
func (s *SpooledFile) Rollover(ctx context.Context) error {
	f, err := s.enter(ctx)
	if f != nil || err != nil {
		return err
	}
	defer s.mu.Unlock()
	return s.rollover(ctx)
}

// rollover moves the content to a temporary file; s.mu is held.
func (s *SpooledFile) rollover(ctx context.Context) error {
	f, err := TemporaryFile(ctx, s.opts...)
	if err != nil {
		return err
	}
	if _, err := f.Write(ctx, s.mem); err != nil {
		f.Close(ctx)
		return err
	}
	if _, err := f.Seek(ctx, s.pos, io.SeekStart); err != nil {
		f.Close(ctx)
		return err
	}
	s.file, s.mem = f, nil
	return nil
}

// Read reads as [File.Read] does.
func (s *SpooledFile) Read(ctx context.Context, p []byte) (int, error) {
	f, err := s.enter(ctx)
	if f != nil {
		return f.Read(ctx, p)
	}
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if s.pos >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[s.pos:])
	s.pos += int64(n)
	return n, nil
}

// ReadAll reads to the end as [File.ReadAll] does.
func (s *SpooledFile) ReadAll(ctx context.Context) ([]byte, error) {
	f, err := s.enter(ctx)
	if f != nil {
		return f.ReadAll(ctx)
	}
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if s.pos >= int64(len(s.mem)) {
		return []byte{}, nil
	}
	b := bytes.Clone(s.mem[s.pos:])
	s.pos = int64(len(s.mem))
	return b, nil
}

// ReadLine reads one line as [File.ReadLine] does.
func (s *SpooledFile) ReadLine(ctx context.Context) (string, error) {
	f, err := s.enter(ctx)
	if f != nil {
		return f.ReadLine(ctx)
	}
	if err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	if s.pos >= int64(len(s.mem)) {
		return "", io.EOF
	}
	rest := s.mem[s.pos:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i+1]
	}
	s.pos += int64(len(rest))
	return string(rest), nil
}

// Lines iterates over the lines as [File.Lines] does.
func (s *SpooledFile) Lines(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for {
			line, err := s.ReadLine(ctx)
			if err == io.EOF {
				return
			}
			if !yield(line, err) || err != nil {
				return
			}
		}
	}
}

// Write writes all of p as [File.Write] does; in memory, a write that
// leaves the position past the maximum size rolls the file over to disk.
// If that fails, p stays written (in memory) and the error is returned.
func (s *SpooledFile) Write(ctx context.Context, p []byte) (int, error) {
	f, err := s.enter(ctx)
	if f != nil {
		return f.Write(ctx, p)
	}
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	end := s.pos + int64(len(p))
	if end > int64(len(s.mem)) {
		if end > int64(cap(s.mem)) {
			grown := make([]byte, len(s.mem), max(end, 2*int64(cap(s.mem))))
			copy(grown, s.mem)
			s.mem = grown
		}
		clear(s.mem[len(s.mem):end])
		s.mem = s.mem[:end]
	}
	copy(s.mem[s.pos:], p)
	s.pos = end
	if s.pos > s.maxSize {
		if err := s.rollover(ctx); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// WriteString writes s as [SpooledFile.Write] does.
func (s *SpooledFile) WriteString(ctx context.Context, str string) (int, error) {
	return s.Write(ctx, []byte(str))
}

// Seek sets the position as [File.Seek] does.
func (s *SpooledFile) Seek(ctx context.Context, offset int64, whence int) (int64, error) {
	f, err := s.enter(ctx)
	if f != nil {
		return f.Seek(ctx, offset, whence)
	}
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = s.pos
	case io.SeekEnd:
		base = int64(len(s.mem))
	default:
		return 0, &os.PathError{Op: "seek", Path: "spooled temporary file", Err: os.ErrInvalid}
	}
	if base+offset < 0 {
		return 0, &os.PathError{Op: "seek", Path: "spooled temporary file", Err: os.ErrInvalid}
	}
	s.pos = base + offset
	return s.pos, nil
}

// Tell returns the position as [File.Tell] does.
func (s *SpooledFile) Tell(ctx context.Context) (int64, error) {
	return s.Seek(ctx, 0, io.SeekCurrent)
}

// Truncate changes the size as [File.Truncate] does: the position does not
// move, and growing the file adds zero bytes.
func (s *SpooledFile) Truncate(ctx context.Context, size int64) error {
	if size < 0 {
		return ErrNegativeSize
	}
	f, err := s.enter(ctx)
	if f != nil {
		return f.Truncate(ctx, size)
	}
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if size <= int64(len(s.mem)) {
		s.mem = s.mem[:size]
	} else {
		s.mem = append(s.mem, make([]byte, size-int64(len(s.mem)))...)
	}
	return nil
}

// Sync commits the file to disk once it is there ([File.Sync]); in memory
// it does nothing.
func (s *SpooledFile) Sync(ctx context.Context) error {
	f, err := s.enter(ctx)
	if f != nil {
		return f.Sync(ctx)
	}
	if err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close frees the memory, or closes (and so removes) the file on disk,
// also with a cancelled context. Close is idempotent.
func (s *SpooledFile) Close(ctx context.Context) error {
	s.mu.Lock()
	f := s.file
	s.closed, s.mem = true, nil
	s.mu.Unlock()
	if f != nil {
		return f.Close(ctx)
	}
	return nil
}
