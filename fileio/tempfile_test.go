package fileio_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fileio"
)

// The tests of this file port AnyIO's tests/test_tempfile.py; each names
// the test it ports.

func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestTemporaryFile(t *testing.T) { // test_temporary_file
	anyiotest.Run(t, func(ctx context.Context) error {
		data := []byte("temporary file data")
		f, err := fileio.TemporaryFile(ctx)
		if err != nil {
			return err
		}
		if exists(f.Name()) {
			t.Errorf("the temporary file %s has a name in its directory", f.Name())
		}
		f.Write(ctx, data)
		f.Seek(ctx, 0, io.SeekStart)
		got, err := f.ReadAll(ctx)
		if string(got) != string(data) || err != nil {
			t.Errorf("ReadAll = %q, %v", got, err)
		}
		if err := f.Close(cancelled()); err != nil {
			t.Errorf("Close = %v", err)
		}
		if _, err := f.Read(ctx, make([]byte, 1)); !errors.Is(err, fileio.ErrClosed) {
			t.Errorf("Read after Close = %v", err)
		}
		return nil
	})
}

func TestNamedTemporaryFile(t *testing.T) { // test_named_temporary_file, test_exception_handling
	anyiotest.Run(t, func(ctx context.Context) error {
		data := []byte("named temporary file data")
		f, err := fileio.NamedTemporaryFile(ctx)
		if err != nil {
			return err
		}
		name := f.Name()
		if !exists(name) || !filepath.IsAbs(name) || !strings.HasPrefix(filepath.Base(name), "tmp") {
			t.Errorf("the named temporary file is %q", name)
		}
		f.Write(ctx, data)
		f.Seek(ctx, 0, io.SeekStart)
		if got, _ := f.ReadAll(ctx); string(got) != string(data) {
			t.Errorf("ReadAll = %q", got)
		}
		// Closed with a cancelled context: still removed.
		if err := f.Close(cancelled()); err != nil {
			t.Errorf("Close = %v", err)
		}
		if exists(name) {
			t.Errorf("%s still exists after Close", name)
		}
		if _, err := f.Write(ctx, []byte("should fail")); !errors.Is(err, fileio.ErrClosed) {
			t.Errorf("Write after Close = %v, want ErrClosed", err)
		}
		return nil
	})
}

func TestNamedTemporaryFileOptions(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := t.TempDir()
		f, err := fileio.NamedTemporaryFile(ctx, fileio.Dir(dir), fileio.Prefix("pre_"), fileio.Suffix(".txt"), fileio.Delete(false))
		if err != nil {
			return err
		}
		name := f.Name()
		base := filepath.Base(name)
		if filepath.Dir(name) != dir || !strings.HasPrefix(base, "pre_") || !strings.HasSuffix(base, ".txt") || len(base) != len("pre_.txt")+8 {
			t.Errorf("name = %q", name)
		}
		if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, want 0600", fi.Mode())
		}
		f.Close(ctx)
		if !exists(name) {
			t.Error("Delete(false): the file was removed")
		}
		return nil
	})
}

func TestTemporaryDirectory(t *testing.T) { // test_context_manager, test_cleanup_method, test_exception_handling
	anyiotest.Run(t, func(ctx context.Context) error {
		d, err := fileio.TemporaryDirectory(ctx)
		if err != nil {
			return err
		}
		p := d.Path()
		if ok, _ := p.IsDir(ctx); !ok || d.Name() != p.String() {
			t.Fatalf("the temporary directory %v is not a directory", p)
		}
		p.JoinPath("test.txt").WriteText(ctx, "temp dir test")
		// A whole tree, with a directory that refuses writes.
		deep := p.JoinPath("a/b/c")
		deep.Mkdir(ctx, fileio.Parents())
		deep.JoinPath("f").Touch(ctx)
		p.JoinPath("a/b").Chmod(ctx, 0o500)
		if err := d.Close(cancelled()); err != nil {
			t.Errorf("Close = %v", err)
		}
		if exists(p.String()) {
			t.Errorf("%v still exists after Close", p)
		}
		if _, err := p.JoinPath("nonexistent.txt").WriteText(ctx, "should fail"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("writing into the removed directory = %v, want ErrNotExist", err)
		}
		if err := d.Close(ctx); err != nil {
			t.Errorf("second Close = %v", err)
		}
		return nil
	})
}

func TestTemporaryDirectoryOptions(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		parent := t.TempDir()
		d, err := fileio.TemporaryDirectory(ctx, fileio.Dir(parent), fileio.Prefix("p"), fileio.Suffix("s"), fileio.Delete(false), fileio.IgnoreCleanupErrors())
		if err != nil {
			return err
		}
		base := filepath.Base(d.Name())
		if filepath.Dir(d.Name()) != parent || base[0] != 'p' || base[len(base)-1] != 's' {
			t.Errorf("name = %q", d.Name())
		}
		if fi, _ := os.Stat(d.Name()); fi.Mode().Perm() != 0o700 {
			t.Errorf("mode = %v, want 0700", fi.Mode())
		}
		d.Close(ctx)
		if !exists(d.Name()) {
			t.Error("Delete(false): the directory was removed")
		}
		return nil
	})
}

func TestMkstemp(t *testing.T) { // test_mkstemp
	anyiotest.Run(t, func(ctx context.Context) error {
		f, err := fileio.Mkstemp(ctx, fileio.Suffix(".txt"), fileio.Prefix("mkstemp_"))
		if err != nil {
			return err
		}
		name := f.Name()
		defer os.Remove(name)
		if !strings.HasPrefix(filepath.Base(name), "mkstemp_") || !strings.HasSuffix(name, ".txt") {
			t.Errorf("name = %q", name)
		}
		f.WriteString(ctx, "mkstemp")
		f.Close(ctx)
		if b, _ := os.ReadFile(name); string(b) != "mkstemp" {
			t.Errorf("file holds %q", b)
		}
		return nil
	})
}

func TestMkdtemp(t *testing.T) { // test_mkdtemp
	anyiotest.Run(t, func(ctx context.Context) error {
		d, err := fileio.Mkdtemp(ctx, fileio.Prefix("mkdtemp_"))
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || !strings.HasPrefix(filepath.Base(d), "mkdtemp_") {
			t.Errorf("Mkdtemp made %q: %v, %v", d, fi, err)
		}
		return nil
	})
}

func TestTempDir(t *testing.T) { // test_gettemp_functions
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	anyiotest.Run(t, func(ctx context.Context) error {
		if got, err := fileio.TempDir(ctx); got != dir || err != nil {
			t.Errorf("TempDir with TMPDIR=%s = %q, %v", dir, got, err)
		}
		t.Setenv("TMPDIR", filepath.Join(dir, "missing"))
		t.Setenv("TEMP", dir)
		if got, _ := fileio.TempDir(ctx); got != dir {
			t.Errorf("TempDir skips a missing $TMPDIR for $TEMP: got %q", got)
		}
		f, err := fileio.NamedTemporaryFile(ctx)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		if filepath.Dir(f.Name()) != dir {
			t.Errorf("NamedTemporaryFile made %s, not in TempDir %s", f.Name(), dir)
		}
		return nil
	})
}

func TestTempCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx := cancelled()
	if _, err := fileio.NamedTemporaryFile(ctx, fileio.Dir(dir)); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("NamedTemporaryFile with a cancelled context = %v", err)
	}
	if _, err := fileio.TemporaryDirectory(ctx, fileio.Dir(dir)); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("TemporaryDirectory with a cancelled context = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("cancelled calls left %d entries", len(entries))
	}
}

func TestSpooledTemporaryFile(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		// test_writewithout_rolled
		s, err := fileio.SpooledTemporaryFile(ctx, 10)
		if err != nil {
			return err
		}
		if n, err := s.Write(ctx, []byte("12345")); n != 5 || err != nil || s.Rolled() || s.Wrapped() != nil {
			t.Errorf("Write(5 bytes) = %d, %v; rolled %v", n, err, s.Rolled())
		}
		s.Write(ctx, []byte("67890X"))
		if !s.Rolled() || s.Wrapped() == nil {
			t.Error("11 bytes in a 10-byte spooled file: not rolled over")
		}
		if pos, _ := s.Tell(ctx); pos != 11 {
			t.Errorf("Tell after the rollover = %d", pos)
		}
		s.Seek(ctx, 0, io.SeekStart)
		if b, _ := s.ReadAll(ctx); string(b) != "1234567890X" {
			t.Errorf("content after the rollover = %q", b)
		}
		// test_closed_state; closing with a cancelled context.
		if err := s.Close(cancelled()); err != nil {
			t.Errorf("Close = %v", err)
		}
		if _, err := s.Read(ctx, make([]byte, 1)); !errors.Is(err, fileio.ErrClosed) {
			t.Errorf("Read after Close = %v", err)
		}

		// test_exact_boundary_no_rollover
		s, _ = fileio.SpooledTemporaryFile(ctx, 10)
		defer s.Close(ctx)
		s.WriteString(ctx, "0123456789")
		if s.Rolled() {
			t.Error("exactly max_size bytes rolled over")
		}
		s.WriteString(ctx, "x")
		if !s.Rolled() {
			t.Error("max_size+1 bytes did not roll over")
		}
		return nil
	})
}

func TestSpooledTemporaryFileInMemory(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := fileio.SpooledTemporaryFile(ctx, 1024)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		// test_writelines
		s.WriteString(ctx, "hello")
		s.WriteString(ctx, "world")
		s.Seek(ctx, 0, io.SeekStart)
		if b, _ := s.ReadAll(ctx); string(b) != "helloworld" {
			t.Errorf("ReadAll = %q", b)
		}
		// test_readinto, test_readinto1
		s.Seek(ctx, 0, io.SeekStart)
		buf := make([]byte, 5)
		if n, err := s.Read(ctx, buf); n != 5 || err != nil || string(buf) != "hello" {
			t.Errorf("Read = %d %q, %v", n, buf, err)
		}
		// Lines, Seek past the end, Truncate.
		s.Truncate(ctx, 0)
		s.Seek(ctx, 0, io.SeekStart)
		s.WriteString(ctx, "a\nb\nc")
		s.Seek(ctx, 0, io.SeekStart)
		var lines []string
		for l, err := range s.Lines(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		checkStrings(t, "Lines", lines, []string{"a\n", "b\n", "c"})
		if n, err := s.Read(ctx, buf); n != 0 || err != io.EOF {
			t.Errorf("Read at the end = %d, %v", n, err)
		}
		s.Seek(ctx, 2, io.SeekEnd)
		s.WriteString(ctx, "z")
		s.Seek(ctx, 0, io.SeekStart)
		if b, _ := s.ReadAll(ctx); string(b) != "a\nb\nc\x00\x00z" {
			t.Errorf("after a write past the end: %q", b)
		}
		if _, err := s.Seek(ctx, -100, io.SeekCurrent); err == nil {
			t.Error("Seek before the start succeeded")
		}
		if s.Rolled() {
			t.Error("rolled over below max_size")
		}
		// Rollover keeps the content and the position.
		s.Seek(ctx, 3, io.SeekStart)
		if err := s.Rollover(ctx); err != nil || !s.Rolled() {
			t.Fatalf("Rollover = %v", err)
		}
		if line, _ := s.ReadLine(ctx); line != "\n" {
			t.Errorf("ReadLine after Rollover = %q", line)
		}
		return s.Sync(ctx)
	})
}

func TestSpooledTemporaryFileBadSize(t *testing.T) {
	if _, err := fileio.SpooledTemporaryFile(context.Background(), -1); !errors.Is(err, fileio.ErrNegativeSize) {
		t.Errorf("SpooledTemporaryFile(-1) = %v, want ErrNegativeSize", err)
	}
}
