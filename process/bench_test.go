//go:build unix

package process_test

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/process"
)

// benchRun runs body as the root task of one anyio.Run.
func benchRun(b *testing.B, body func(ctx context.Context) error) {
	b.Helper()
	if err := anyio.Run(context.Background(), body); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRun runs a trivial child to its end and collects its output:
// process.Run against exec.Command(...).Output(), which also pipes the
// standard output and the standard error.
func BenchmarkRun(b *testing.B) {
	argv := []string{"true"}
	b.Run("anyio", func(b *testing.B) {
		benchRun(b, func(ctx context.Context) error {
			for b.Loop() {
				if _, err := process.Run(ctx, argv); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := exec.Command(argv[0], argv[1:]...).Output(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// catBytes is how much BenchmarkCat streams through cat per iteration.
const catBytes = 256 << 20

// catChunk is the size of each write and of the read buffer, on both sides.
const catChunk = 64 << 10

// BenchmarkCat streams 256 MiB through cat (stdin to stdout): the pipes of
// process.Open driven by two tasks, against os/exec's pipes driven by a
// goroutine and io.CopyBuffer.
func BenchmarkCat(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(catBytes)
		benchRun(b, func(ctx context.Context) error {
			chunk := make([]byte, catChunk)
			buf := make([]byte, catChunk)
			for b.Loop() {
				p, err := process.Open(ctx, []string{"cat"}, process.Stderr(process.DevNull))
				if err != nil {
					return err
				}
				err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						for sent := 0; sent < catBytes; sent += len(chunk) {
							if err := p.Stdin().Send(ctx, chunk); err != nil {
								return err
							}
						}
						return p.Stdin().Close(ctx)
					})
					got := 0
					for {
						n, err := p.Stdout().Receive(ctx, buf)
						got += n
						if errors.Is(err, anyio.ErrEndOfStream) {
							break
						}
						if err != nil {
							return err
						}
					}
					if got != catBytes {
						b.Errorf("received %d bytes, want %d", got, catBytes)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if err := p.Close(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(catBytes)
		chunk := make([]byte, catChunk)
		buf := make([]byte, catChunk)
		for b.Loop() {
			cmd := exec.Command("cat")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				src := io.LimitReader(repeatReader(chunk), catBytes)
				if _, err := io.CopyBuffer(onlyWriter{stdin}, src, make([]byte, catChunk)); err != nil {
					b.Error(err)
				}
				stdin.Close()
			})
			n, err := io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{stdout}, buf)
			if err != nil || n != catBytes {
				b.Errorf("copied %d bytes (%v), want %d", n, err, catBytes)
			}
			wg.Wait()
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// repeatReader reads its bytes over and over.
type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) { return copy(p, r), nil }

// onlyWriter and onlyReader hide ReadFrom and WriteTo, so that
// io.CopyBuffer uses the buffer it is given, as the anyio side does.
type onlyWriter struct{ io.Writer }

type onlyReader struct{ io.Reader }
