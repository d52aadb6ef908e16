package file_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/file"
	"github.com/anyio-go/anyio/streams/stapled"
)

func helloFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(path, []byte("Hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkHello(t *testing.T, s anyio.ByteReceiveStream) {
	t.Helper()
	ctx := context.Background()
	buf := make([]byte, 3)
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "Hel" || err != nil {
		t.Fatalf("Receive(3) = %q, %v", buf[:n], err)
	}
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "lo" || err != nil {
		t.Fatalf("Receive(3) = %q, %v", buf[:n], err)
	}
	if _, err := s.Receive(ctx, buf[:1]); !errors.Is(err, anyio.ErrEndOfStream) {
		t.Fatalf("Receive at the end = %v", err)
	}
}

func TestReadFileByPath(t *testing.T) {
	s, err := file.OpenReadStream(context.Background(), helloFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	checkHello(t, s)
}

func TestReadFile(t *testing.T) {
	f, err := os.Open(helloFile(t))
	if err != nil {
		t.Fatal(err)
	}
	s := file.NewReadStream(f)
	defer s.Close(context.Background())
	checkHello(t, s)
}

func TestReadAfterClose(t *testing.T) {
	ctx := context.Background()
	s, err := file.OpenReadStream(ctx, helloFile(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if _, err := s.Receive(ctx, make([]byte, 10)); !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Receive after Close = %v", err)
	}
	if _, err := s.Tell(ctx); !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Tell after Close = %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestReceiveEmptyBuffer(t *testing.T) {
	ctx := context.Background()
	s, err := file.OpenReadStream(ctx, helloFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	for _, p := range [][]byte{nil, {}} {
		if _, err := s.Receive(ctx, p); !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive(empty) = %v, want ErrEmptyBuffer", err)
		}
	}
}

func TestSeekTell(t *testing.T) {
	ctx := context.Background()
	f, err := os.Open(helloFile(t))
	if err != nil {
		t.Fatal(err)
	}
	s := file.NewReadStream(f)
	defer s.Close(ctx)
	if pos, err := s.Seek(ctx, 2, io.SeekStart); pos != 2 || err != nil {
		t.Fatalf("Seek(2) = %d, %v", pos, err)
	}
	if pos, err := s.Tell(ctx); pos != 2 || err != nil {
		t.Fatalf("Tell = %d, %v", pos, err)
	}
	buf := make([]byte, 100)
	if n, err := s.Receive(ctx, buf); string(buf[:n]) != "llo" || err != nil {
		t.Fatalf("Receive = %q, %v", buf[:n], err)
	}
	if pos, err := s.Tell(ctx); pos != 5 || err != nil {
		t.Fatalf("Tell = %d, %v", pos, err)
	}
	if pos, err := s.Seek(ctx, -4, io.SeekEnd); pos != 1 || err != nil {
		t.Fatalf("Seek(-4, end) = %d, %v", pos, err)
	}
}

func TestSeekPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := file.NewReadStream(r)
	defer s.Close(context.Background())
	if _, err := s.Seek(context.Background(), 0, io.SeekStart); err == nil {
		t.Fatal("Seek on a pipe succeeded")
	}
}

func checkAttributes(t *testing.T, s anyio.TypedAttributeProvider, path string) {
	t.Helper()
	if p, err := anyio.Extra(s, file.Attribute.Path); p != path || err != nil {
		t.Errorf("Path = %q, %v; want %q", p, err, path)
	}
	fd, err := anyio.Extra(s, file.Attribute.Fileno)
	if err != nil || fd <= 2 {
		t.Errorf("Fileno = %d, %v", fd, err)
	}
	f, err := anyio.Extra(s, file.Attribute.File)
	if err != nil || int(f.Fd()) != fd {
		t.Errorf("File = %v, %v; its descriptor is not Fileno %d", f, err, fd)
	}
}

func TestReadAttributes(t *testing.T) {
	path := helloFile(t)
	s, err := file.OpenReadStream(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	checkAttributes(t, s, path)
}

func TestWriteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "written.txt")
	s, err := file.OpenWriteStream(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	s.Send(ctx, []byte("Hel"))
	s.Send(ctx, []byte("lo"))
	s.Close(ctx)
	if b, _ := os.ReadFile(path); string(b) != "Hello" {
		t.Fatalf("file holds %q", b)
	}
	// Without append, the file is truncated.
	s, _ = file.OpenWriteStream(ctx, path, false)
	s.Send(ctx, []byte("Bye"))
	s.Close(ctx)
	if b, _ := os.ReadFile(path); string(b) != "Bye" {
		t.Fatalf("file holds %q after truncating", b)
	}
}

func TestAppendFile(t *testing.T) {
	ctx := context.Background()
	path := helloFile(t)
	s, err := file.OpenWriteStream(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	s.Send(ctx, []byte(", World!"))
	s.Close(ctx)
	if b, _ := os.ReadFile(path); string(b) != "Hello, World!" {
		t.Fatalf("file holds %q", b)
	}
}

func TestWriteAfterClose(t *testing.T) {
	ctx := context.Background()
	s, err := file.OpenWriteStream(ctx, filepath.Join(t.TempDir(), "x"), true)
	if err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if err := s.Send(ctx, []byte("foo")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Fatalf("Send after Close = %v", err)
	}
}

func TestWriteAttributes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "written.txt")
	s, err := file.OpenWriteStream(context.Background(), path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	checkAttributes(t, s, path)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := file.OpenReadStream(ctx, filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadStream of a missing file = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := file.OpenWriteStream(cctx, filepath.Join(t.TempDir(), "x"), false); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("OpenWriteStream with a cancelled context = %v", err)
	}
}

func TestCancelPipeRead(t *testing.T) {
	// A read from a pipe is interrupted by cancellation, and the stream stays
	// usable.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rs, ws := file.NewReadStream(r), file.NewWriteStream(w)
	defer rs.Close(context.Background())
	defer ws.Close(context.Background())
	anyiotest.Run(t, func(ctx context.Context) error {
		start := time.Now()
		scope := anyio.MoveOnAfter(20 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := rs.Receive(ctx, make([]byte, 8))
			if !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("Receive when cancelled = %v", err)
			}
			return err
		})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the cancelled Receive took %v", d)
		}
		if err := ws.Send(ctx, []byte("ok")); err != nil {
			return err
		}
		buf := make([]byte, 8)
		n, err := rs.Receive(ctx, buf)
		if err != nil || string(buf[:n]) != "ok" {
			t.Errorf("Receive after a cancelled one = %q, %v", buf[:n], err)
		}
		return nil
	})
}

// pipePair returns two byte streams over a pair of pipes, one each way: a
// file write stream and a file read stream, stapled.
func pipePair(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
	t.Helper()
	r1, w1, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return stapled.NewByteStream(file.NewWriteStream(w1), file.NewReadStream(r2)),
		stapled.NewByteStream(file.NewWriteStream(w2), file.NewReadStream(r1))
}

func TestConformancePipes(t *testing.T) {
	anyiotest.TestByteStream(t, pipePair)
}
