package fileio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fileio"
)

// The tests of this file port AnyIO's tests/test_fileio.py TestAsyncFile
// (each names the test it ports) and test what the Go File adds:
// cancellation of pollable files, read-ahead, Lines.

// testdata is AnyIO's fixture: 10,000 bytes, a thousand of each value 0..9.
func testdata() []byte {
	var b []byte
	for i := range 10 {
		b = append(b, bytes.Repeat([]byte{byte(i)}, 1000)...)
	}
	return b
}

func testdataFile(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "testdata")
	if err := os.WriteFile(name, testdata(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestFileOpenClose(t *testing.T) { // test_open_close
	anyiotest.Run(t, func(ctx context.Context) error {
		f, err := fileio.Open(ctx, testdataFile(t), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		if err := f.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := f.Close(ctx); err != nil {
			t.Errorf("second Close = %v", err)
		}
		return nil
	})
}

func TestFileRead(t *testing.T) { // test_read
	anyiotest.Run(t, func(ctx context.Context) error {
		f, err := fileio.Open(ctx, testdataFile(t), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		data, err := f.ReadAll(ctx)
		f.Close(ctx)
		if err != nil || !bytes.Equal(data, testdata()) {
			t.Errorf("ReadAll = %d bytes, %v", len(data), err)
		}
		if _, err := f.Read(ctx, make([]byte, 1)); !errors.Is(err, fileio.ErrClosed) || !errors.Is(err, anyio.ErrClosedResource) || !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close = %v, want ErrClosed (anyio.ErrClosedResource, os.ErrClosed)", err)
		}
		return nil
	})
}

func TestFileReadInto(t *testing.T) { // test_readinto, test_readinto1
	anyiotest.Run(t, func(ctx context.Context) error {
		f, err := fileio.Open(ctx, testdataFile(t), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		buf := make([]byte, 100)
		if n, err := f.Read(ctx, buf); n != 100 || err != nil || !bytes.Equal(buf, testdata()[:100]) {
			t.Errorf("Read(100) = %d, %v", n, err)
		}
		if n, err := f.Read(ctx, nil); n != 0 || err != nil {
			t.Errorf("Read(empty) = %d, %v", n, err)
		}
		f.Seek(ctx, 0, io.SeekEnd)
		if n, err := f.Read(ctx, buf); n != 0 || err != io.EOF {
			t.Errorf("Read at the end = %d, %v; want 0, io.EOF", n, err)
		}
		return nil
	})
}

func TestFileWrite(t *testing.T) { // test_write
	anyiotest.Run(t, func(ctx context.Context) error {
		name := testdataFile(t)
		f, err := fileio.Open(ctx, name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		if n, err := f.Write(ctx, bytes.Repeat([]byte("f"), 1000)); n != 1000 || err != nil {
			t.Errorf("Write = %d, %v", n, err)
		}
		if n, err := f.WriteString(ctx, "gg"); n != 2 || err != nil {
			t.Errorf("WriteString = %d, %v", n, err)
		}
		f.Close(ctx)
		if fi, _ := os.Stat(name); fi.Size() != 10000+1002 {
			t.Errorf("size after writing = %d", fi.Size())
		}
		if _, err := f.Write(ctx, []byte("x")); !errors.Is(err, fileio.ErrClosed) {
			t.Errorf("Write after Close = %v, want ErrClosed", err)
		}
		return nil
	})
}

func TestFileLines(t *testing.T) { // test_async_iteration
	anyiotest.Run(t, func(ctx context.Context) error {
		lines := []string{"blah blah\n", "foo foo\n", "bar bar"}
		name := filepath.Join(t.TempDir(), "testfile")
		os.WriteFile(name, []byte(strings.Join(lines, "")), 0o644)
		f, err := fileio.Open(ctx, name, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		var got []string
		for line, err := range f.Lines(ctx) {
			if err != nil {
				t.Fatalf("Lines yielded %v", err)
			}
			got = append(got, line)
		}
		checkStrings(t, "Lines", got, lines)
		return nil
	})
}

func TestFileLinesStopEarly(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		name := filepath.Join(t.TempDir(), "testfile")
		os.WriteFile(name, []byte("one\ntwo\nthree\nfour"), 0o644)
		f, err := fileio.Open(ctx, name, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		for line := range f.Lines(ctx) {
			if line != "one\n" {
				t.Errorf("first line = %q", line)
			}
			break
		}
		// The rest is still there, for the next loop and the next read.
		for line := range f.Lines(ctx) {
			if line != "two\n" {
				t.Errorf("line after the break = %q", line)
			}
			break
		}
		if pos, _ := f.Tell(ctx); pos != 8 {
			t.Errorf("Tell after two lines = %d, want 8", pos)
		}
		rest, _ := f.ReadAll(ctx)
		if string(rest) != "three\nfour" {
			t.Errorf("ReadAll after the lines = %q", rest)
		}
		return nil
	})
}

func TestFileReadLine(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		name := filepath.Join(t.TempDir(), "lines")
		long := strings.Repeat("x", 20000)
		os.WriteFile(name, []byte("a\n\n"+long+"\nlast"), 0o644)
		f, err := fileio.Open(ctx, name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		for _, want := range []string{"a\n", "\n", long + "\n", "last"} {
			if got, err := f.ReadLine(ctx); got != want || err != nil {
				t.Fatalf("ReadLine = %.20q (%d bytes), %v; want %.20q", got, len(got), err, want)
			}
		}
		if got, err := f.ReadLine(ctx); got != "" || err != io.EOF {
			t.Errorf("ReadLine at the end = %q, %v; want io.EOF", got, err)
		}
		return nil
	})
}

// TestFileReadAhead checks that what ReadLine reads ahead is invisible to
// Read, Tell, Seek, Write and Truncate.
func TestFileReadAhead(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		name := filepath.Join(t.TempDir(), "f")
		os.WriteFile(name, []byte("line1\nline2\nline3\n"), 0o644)
		f, err := fileio.Open(ctx, name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		f.ReadLine(ctx)
		if pos, err := f.Tell(ctx); pos != 6 || err != nil {
			t.Errorf("Tell after ReadLine = %d, %v; want 6", pos, err)
		}
		buf := make([]byte, 3)
		if n, _ := f.Read(ctx, buf); string(buf[:n]) != "lin" {
			t.Errorf("Read after ReadLine = %q", buf[:n])
		}
		if pos, _ := f.Seek(ctx, 1, io.SeekCurrent); pos != 10 {
			t.Errorf("Seek(1, current) = %d, want 10", pos)
		}
		if got, _ := f.ReadLine(ctx); got != "2\n" {
			t.Errorf("ReadLine after Seek = %q", got)
		}
		f.Write(ctx, []byte("LINE"))
		f.Truncate(ctx, 16)
		if pos, _ := f.Tell(ctx); pos != 16 {
			t.Errorf("Tell after Write and Truncate = %d", pos)
		}
		if b, _ := os.ReadFile(name); string(b) != "line1\nline2\nLINE" {
			t.Errorf("file = %q", b)
		}
		if err := f.Truncate(ctx, -1); !errors.Is(err, fileio.ErrNegativeSize) {
			t.Errorf("Truncate(-1) = %v", err)
		}
		return f.Sync(ctx)
	})
}

func TestFileWrap(t *testing.T) { // test_wrap_file
	anyiotest.Run(t, func(ctx context.Context) error {
		name := filepath.Join(t.TempDir(), "testdata")
		fp, err := os.Create(name)
		if err != nil {
			return err
		}
		f := fileio.Wrap(fp)
		if f.Wrapped() != fp {
			t.Error("Wrapped is not the wrapped file")
		}
		f.WriteString(ctx, "dummydata")
		f.Close(ctx)
		if b, _ := os.ReadFile(name); string(b) != "dummydata" {
			t.Errorf("file holds %q", b)
		}
		return nil
	})
}

func TestWrapNilPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "anyio/fileio: ") {
			t.Errorf("Wrap(nil) panicked with %v", r)
		}
	}()
	fileio.Wrap(nil)
}

func TestFileOpenErrors(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		if _, err := fileio.Open(ctx, filepath.Join(t.TempDir(), "missing"), os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of a missing file = %v, want ErrNotExist", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		name := filepath.Join(t.TempDir(), "x")
		if _, err := fileio.Open(cctx, name, os.O_CREATE|os.O_WRONLY, 0o644); !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("Open with a cancelled context = %v, want a cancellation", err)
		}
		if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Error("a cancelled Open created the file")
		}
		f, _ := fileio.Open(ctx, testdataFile(t), os.O_RDONLY, 0)
		defer f.Close(ctx)
		for what, err := range map[string]error{
			"Read":    func() error { _, err := f.Read(cctx, make([]byte, 1)); return err }(),
			"ReadAll": func() error { _, err := f.ReadAll(cctx); return err }(),
			"Seek":    func() error { _, err := f.Seek(cctx, 0, 0); return err }(),
			"Sync":    f.Sync(cctx),
		} {
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("%s with a cancelled context = %v", what, err)
			}
		}
		return nil
	})
}

// fifo makes a named pipe and opens it for reading and writing without
// blocking on the open: the reader first (non-blocking, so that its open
// does not wait), then the writer.
func fifo(t *testing.T, ctx context.Context) (r, w *fileio.File) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := fileio.Open(ctx, name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err = fileio.Open(ctx, name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close(context.Background())
		w.Close(context.Background())
	})
	return r, w
}

// TestFileFIFOReadCancelled: a read from a FIFO that nobody writes to
// returns when it is cancelled, counts as blocked meanwhile, and the File
// stays usable.
func TestFileFIFOReadCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r, w := fifo(t, ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				_, err := r.Read(ctx, make([]byte, 8))
				done <- err
				return nil
			})
			// The reader is blocked in the read: WaitAllTasksBlocked sees it.
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			anyio.DumpTasks(ctx, &dump)
			if !strings.Contains(dump.String(), "fileio.File.Read") {
				t.Errorf("DumpTasks does not show the read:\n%s", dump.String())
			}
			start := time.Now()
			tg.CancelScope().Cancel()
			if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("the cancelled Read returned %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the cancelled Read took %v", d)
			}
			// Usable afterwards.
			rctx := context.Background()
			w.WriteString(rctx, "ok\n")
			if line, err := r.ReadLine(rctx); line != "ok\n" || err != nil {
				t.Errorf("ReadLine after a cancelled Read = %q, %v", line, err)
			}
			return nil
		})
	})
}

// TestFileFIFOReadLineCancelledKeepsData: a ReadLine cancelled halfway
// through a line loses nothing: the next ReadLine returns the whole line.
func TestFileFIFOReadLineCancelledKeepsData(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r, w := fifo(t, ctx)
		w.WriteString(ctx, "half a ")
		scope := anyio.MoveOnAfter(50 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			line, err := r.ReadLine(ctx)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("ReadLine = %q, %v; want a cancellation", line, err)
			}
			return nil
		})
		scope = anyio.MoveOnAfter(50 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := r.ReadAll(ctx)
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("ReadAll = %v; want a cancellation", err)
			}
			return nil
		})
		w.WriteString(ctx, "line\nnext")
		if line, err := r.ReadLine(ctx); line != "half a line\n" || err != nil {
			t.Errorf("ReadLine after the cancellations = %q, %v", line, err)
		}
		w.Close(ctx)
		if rest, err := r.ReadAll(ctx); string(rest) != "next" || err != nil {
			t.Errorf("ReadAll at the end = %q, %v", rest, err)
		}
		return nil
	})
}

// TestFilePipeWriteCancelled: a write to a full pipe returns when
// cancelled, with the count of what it wrote.
func TestFilePipeWriteCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		pr, pw, err := os.Pipe()
		if err != nil {
			return err
		}
		r, w := fileio.Wrap(pr), fileio.Wrap(pw)
		defer r.Close(ctx)
		defer w.Close(ctx)
		big := make([]byte, 1<<20) // more than a pipe holds
		scope := anyio.MoveOnAfter(50 * time.Millisecond)
		var n int
		scope.Run(ctx, func(ctx context.Context) error {
			n, err = w.Write(ctx, big)
			return nil
		})
		if !errors.Is(err, anyio.ErrCancelled) || n <= 0 || n >= len(big) {
			t.Errorf("Write to a full pipe = %d, %v; want part of it and a cancellation", n, err)
		}
		return nil
	})
}

func TestFileCloseWakesRead(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r, _ := fifo(t, ctx)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if _, err := r.Read(ctx, make([]byte, 8)); !errors.Is(err, fileio.ErrClosed) {
					t.Errorf("Read woken by Close = %v, want ErrClosed", err)
				}
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return r.Close(ctx)
		})
	})
}

// TestFileLinesCancelled: Lines over a FIFO yields the lines written, then
// one cancellation error when its scope is cancelled, and ends.
func TestFileLinesCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r, w := fifo(t, ctx)
		w.WriteString(ctx, "a\nb\n")
		var lines []string
		var errs []error
		scope := anyio.MoveOnAfter(50 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			for line, err := range r.Lines(ctx) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				lines = append(lines, line)
			}
			return nil
		})
		checkStrings(t, "Lines", lines, []string{"a\n", "b\n"})
		if len(errs) != 1 || !errors.Is(errs[0], anyio.ErrCancelled) {
			t.Errorf("Lines yielded errors %v, want one cancellation", errs)
		}
		return nil
	})
}
