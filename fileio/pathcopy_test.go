package fileio_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fileio"
)

func readText(t *testing.T, ctx context.Context, p fileio.Path) string {
	t.Helper()
	s, err := p.ReadText(ctx)
	if err != nil {
		t.Fatalf("ReadText(%v): %v", p, err)
	}
	return s
}

func TestPathCopy(t *testing.T) { // test_copy, test_copy_into
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		src, dst := dir.JoinPath("source"), dir.JoinPath("destination")
		src.WriteText(ctx, "hello")
		got, err := src.Copy(ctx, dst)
		if err != nil || got != dst || readText(t, ctx, got) != "hello" {
			t.Fatalf("Copy = %v, %v", got, err)
		}
		into := dir.JoinPath("into")
		into.Mkdir(ctx)
		got, err = src.CopyInto(ctx, into)
		if err != nil || got != into.JoinPath("source") || readText(t, ctx, got) != "hello" {
			t.Fatalf("CopyInto = %v, %v", got, err)
		}
		// An existing target file is truncated and overwritten.
		src.WriteText(ctx, "hi")
		if _, err := src.Copy(ctx, dst); err != nil || readText(t, ctx, dst) != "hi" {
			t.Errorf("Copy over a file: %v, %q", err, readText(t, ctx, dst))
		}
		if _, err := fileio.NewPath("/").CopyInto(ctx, into); !errors.Is(err, fileio.ErrInvalidName) {
			t.Errorf("CopyInto of / = %v, want ErrInvalidName", err)
		}
		return nil
	})
}

func TestPathCopyTree(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		dst := tmp(t).JoinPath("copy")
		if _, err := p.Copy(ctx, dst); err != nil {
			t.Fatal(err)
		}
		// Links followed: the copy of subdir/symlink is a directory.
		if ok, _ := dst.JoinPath("subdir/symlink").IsSymlink(ctx); ok {
			t.Error("Copy kept a link although links are followed")
		}
		checkStrings(t, "the copied tree", collect(t, dst, dst.Rglob(ctx, "*.txt")),
			sorted(append(slices.Clone(dummies), "subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt")))

		// FollowSymlinks(false) copies the link itself.
		dst2 := tmp(t).JoinPath("copy")
		if _, err := p.Copy(ctx, dst2, fileio.FollowSymlinks(false)); err != nil {
			t.Fatal(err)
		}
		if target, err := dst2.JoinPath("subdir/symlink").Readlink(ctx); err != nil || target != p.JoinPath("sibdir") {
			t.Errorf("the copied link points to %v, %v", target, err)
		}
		// A directory's target must not exist.
		if _, err := p.Copy(ctx, dst2); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Copy of a tree onto an existing one = %v, want ErrExist", err)
		}
		return nil
	})
}

func TestPathCopySamePath(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		f := dir.JoinPath("f")
		f.WriteText(ctx, "x")
		link := dir.JoinPath("hard")
		link.HardlinkTo(ctx, f)
		for name, c := range map[string]struct{ src, dst fileio.Path }{
			"itself":      {f, f},
			"a hard link": {f, link},
			"into itself": {dir, dir.JoinPath("sub/copy")},
		} {
			_, err := c.src.Copy(ctx, c.dst)
			var le *os.LinkError
			if !errors.Is(err, fileio.ErrSamePath) || !errors.Is(err, syscall.EINVAL) || !errors.As(err, &le) {
				t.Errorf("Copy onto %s = %v, want an *os.LinkError matching ErrSamePath and EINVAL", name, err)
			}
		}
		if readText(t, ctx, f) != "x" {
			t.Error("a refused Copy changed the file")
		}
		if _, err := f.Move(ctx, link); !errors.Is(err, fileio.ErrSamePath) {
			t.Errorf("Move onto a hard link of itself = %v, want ErrSamePath", err)
		}
		return nil
	})
}

func TestPathCopyPreserveMetadata(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		src := dir.JoinPath("src")
		src.WriteText(ctx, "x")
		src.Chmod(ctx, 0o640)
		old := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
		os.Chtimes(src.String(), old, old)
		plain, _ := src.Copy(ctx, dir.JoinPath("plain"))
		kept, err := src.Copy(ctx, dir.JoinPath("kept"), fileio.PreserveMetadata())
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := kept.Stat(ctx)
		if fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(old) {
			t.Errorf("PreserveMetadata copy has mode %v, time %v; want 0640, %v", fi.Mode(), fi.ModTime(), old)
		}
		if fi, _ := plain.Stat(ctx); fi.ModTime().Equal(old) {
			t.Error("a copy without PreserveMetadata kept the modification time")
		}
		return nil
	})
}

func TestPathMove(t *testing.T) { // test_move, test_move_into
	anyiotest.Run(t, func(ctx context.Context) error {
		dir := tmp(t)
		src, dst := dir.JoinPath("source"), dir.JoinPath("destination")
		src.WriteText(ctx, "hello")
		got, err := src.Move(ctx, dst)
		if err != nil || got != dst || readText(t, ctx, got) != "hello" {
			t.Fatalf("Move = %v, %v", got, err)
		}
		check(t, "Exists(source) after Move", false)(src.Exists(ctx))
		into := dir.JoinPath("into")
		into.Mkdir(ctx)
		got, err = dst.MoveInto(ctx, into)
		if err != nil || got != into.JoinPath("destination") || readText(t, ctx, got) != "hello" {
			t.Fatalf("MoveInto = %v, %v", got, err)
		}
		check(t, "Exists(source) after MoveInto", false)(dst.Exists(ctx))
		if _, err := dir.JoinPath("missing").Move(ctx, dst); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Move of a missing file = %v, want ErrNotExist", err)
		}
		return nil
	})
}

// TestPathMoveAcrossFileSystems moves a tree from the temporary directory
// to /dev/shm, which is another file system on most Linux systems: the
// move is then a copy and a removal.
func TestPathMoveAcrossFileSystems(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "fileio-test-")
	if err != nil {
		t.Skipf("no /dev/shm to move to: %v", err)
	}
	defer os.RemoveAll(shm)
	var a, b syscall.Stat_t
	syscall.Stat(shm, &a)
	syscall.Stat(t.TempDir(), &b)
	if a.Dev == b.Dev {
		t.Skip("/dev/shm is on the file system of the temporary directory: no cross-device move to test")
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		p := populated(t, ctx)
		old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
		os.Chtimes(p.JoinPath("testfile").String(), old, old)
		dst := fileio.NewPath(shm, "moved")
		if _, err := p.Move(ctx, dst); err != nil {
			t.Fatal(err)
		}
		check(t, "Exists(source) after the move", false)(p.Exists(ctx))
		if target, err := dst.JoinPath("subdir/symlink").Readlink(ctx); err != nil || target != p.JoinPath("sibdir") {
			t.Errorf("the moved link points to %v, %v; want it kept as a link", target, err)
		}
		if fi, _ := dst.JoinPath("testfile").Stat(ctx); fi == nil || !fi.ModTime().Equal(old) {
			t.Errorf("the moved file lost its modification time: %v", fi)
		}
		checkStrings(t, "the moved files", collect(t, dst, dst.Rglob(ctx, "*.txt")), dummies)
		return nil
	})
}
