package buffered_test

// BenchmarkReceiveUntil pairs ReceiveUntil with its yardstick,
// bufio.Reader.ReadBytes: both split 64 MiB of 80-byte lines delivered in
// 64 KiB chunks, and both return a fresh slice per line.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/buffered"
)

const (
	benchCorpus = 64 << 20
	benchChunk  = 64 << 10
	benchLine   = 80
)

var corpus = func() []byte {
	b := make([]byte, benchCorpus)
	for i := range b {
		if i%benchLine == benchLine-1 {
			b[i] = '\n'
		} else {
			b[i] = 'a' + byte(i%26)
		}
	}
	return b
}()

// chunkSource delivers corpus in chunks of at most benchChunk bytes, as a
// byte stream and as an io.Reader.
type chunkSource struct{ off int }

func (c *chunkSource) next(p []byte) int {
	end := min(len(corpus), (c.off/benchChunk+1)*benchChunk)
	n := copy(p, corpus[c.off:end])
	c.off += n
	return n
}

func (c *chunkSource) Read(p []byte) (int, error) {
	if c.off == len(corpus) {
		return 0, io.EOF
	}
	return c.next(p), nil
}

func (c *chunkSource) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	if c.off == len(corpus) {
		return 0, anyio.ErrEndOfStream
	}
	return c.next(p), nil
}

func (c *chunkSource) Close(ctx context.Context) error     { return nil }
func (c *chunkSource) ExtraAttributes() map[any]func() any { return nil }

func BenchmarkReceiveUntil(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(benchCorpus)
		ctx := context.Background()
		delim := []byte("\n")
		for b.Loop() {
			s := buffered.NewReceiveStream(&chunkSource{})
			lines := 0
			for {
				line, err := s.ReceiveUntil(ctx, delim, 1024)
				if err != nil {
					if errors.Is(err, anyio.ErrIncompleteRead) {
						break
					}
					b.Fatal(err)
				}
				if len(line) != benchLine-1 {
					b.Fatalf("line of %d bytes", len(line))
				}
				lines++
			}
			if lines != benchCorpus/benchLine {
				b.Fatalf("%d lines", lines)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(benchCorpus)
		for b.Loop() {
			r := bufio.NewReader(&chunkSource{})
			lines := 0
			for {
				line, err := r.ReadBytes('\n')
				if err != nil {
					if err == io.EOF {
						break
					}
					b.Fatal(err)
				}
				if len(line) != benchLine {
					b.Fatalf("line of %d bytes", len(line))
				}
				lines++
			}
			if lines != benchCorpus/benchLine {
				b.Fatalf("%d lines", lines)
			}
		}
	})
}
