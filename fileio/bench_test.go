package fileio_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fileio"
)

// runBench runs fn as an anyio task, so that the anyio side pays for the
// context of a real task. It calls anyio.Run directly: anyiotest.Run's
// goroutine snapshots before and after the body would be timed with it.
func runBench(b *testing.B, fn func(ctx context.Context) error) {
	b.Helper()
	if err := anyio.Run(context.Background(), fn); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReadBytes reads a 64 MiB file: Path.ReadBytes against
// os.ReadFile.
func BenchmarkReadBytes(b *testing.B) {
	name := filepath.Join(b.TempDir(), "big")
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		runBench(b, func(ctx context.Context) error {
			p := fileio.NewPath(name)
			for b.Loop() {
				got, err := p.ReadBytes(ctx)
				if err != nil || len(got) != len(data) {
					b.Fatalf("ReadBytes = %d bytes, %v", len(got), err)
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			got, err := os.ReadFile(name)
			if err != nil || len(got) != len(data) {
				b.Fatalf("os.ReadFile = %d bytes, %v", len(got), err)
			}
		}
	})
}

// rglobTree makes 100 directories of 1,000 files each (100,100 entries)
// under dir.
func rglobTree(b *testing.B, dir string) int {
	b.Helper()
	for d := range 100 {
		sub := filepath.Join(dir, "d"+strconv.Itoa(d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 1000 {
			fd, err := os.Create(filepath.Join(sub, "f"+strconv.Itoa(f)+".txt"))
			if err != nil {
				b.Fatal(err)
			}
			fd.Close()
		}
	}
	return 100 + 100*1000
}

// BenchmarkRglob lists a tree of 100,000 files: Path.Rglob("*") against
// filepath.WalkDir.
func BenchmarkRglob(b *testing.B) {
	dir := b.TempDir()
	want := rglobTree(b, dir)
	b.Run("anyio", func(b *testing.B) {
		runBench(b, func(ctx context.Context) error {
			root := fileio.NewPath(dir)
			for b.Loop() {
				n := 0
				for _, err := range root.Rglob(ctx, "*") {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != want {
					b.Fatalf("Rglob yielded %d paths, want %d", n, want)
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			n := -1 // WalkDir visits the root too
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				n++
				return nil
			})
			if err != nil || n != want {
				b.Fatalf("WalkDir visited %d paths, %v; want %d", n, err, want)
			}
		}
	})
}
