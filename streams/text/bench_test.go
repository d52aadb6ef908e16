package text_test

// BenchmarkDecodeUTF8 pairs the UTF-8 decoding of a text.ReceiveStream with
// its yardstick, utf8.Valid(b) + string(b) on the same chunks: 8 MiB of mixed
// ASCII and multibyte text, delivered in 64 KiB chunks that cut characters.

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/text"
)

const (
	textCorpusSize = 8 << 20 // about: the corpus ends on a whole character
	textChunk      = 64 << 10
)

var textCorpus = func() []byte {
	const sample = "The quick brown fox — Der schnelle braune Fuchs — 敏捷的棕色狐狸 — быстрая лиса 🦊 jumps.\n"
	s := strings.Repeat(sample, textCorpusSize/len(sample)+1)[:textCorpusSize]
	for !utf8.ValidString(s) { // end on a whole character
		s = s[:len(s)-1]
	}
	return []byte(s)
}()

// textSource delivers textCorpus in chunks of at most textChunk bytes.
type textSource struct{ off int }

func (c *textSource) Read(p []byte) (int, error) {
	if c.off == len(textCorpus) {
		return 0, io.EOF
	}
	end := min(len(textCorpus), (c.off/textChunk+1)*textChunk)
	n := copy(p, textCorpus[c.off:end])
	c.off += n
	return n, nil
}

func (c *textSource) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	n, err := c.Read(p)
	if err == io.EOF {
		return 0, anyio.ErrEndOfStream
	}
	return n, err
}

func (c *textSource) Close(ctx context.Context) error     { return nil }
func (c *textSource) ExtraAttributes() map[any]func() any { return nil }

var sink string

func BenchmarkDecodeUTF8(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(textCorpusSize)
		ctx := context.Background()
		for b.Loop() {
			r := text.NewReceiveStream(&textSource{})
			total := 0
			for {
				s, err := r.Receive(ctx)
				if err != nil {
					if errors.Is(err, anyio.ErrEndOfStream) {
						break
					}
					b.Fatal(err)
				}
				sink = s
				total += len(s)
			}
			if total != len(textCorpus) {
				b.Fatalf("decoded %d bytes", total)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(textCorpusSize)
		buf := make([]byte, textChunk)
		for b.Loop() {
			src := &textSource{}
			total := 0
			for {
				n, err := src.Read(buf)
				if err == io.EOF {
					break
				}
				if utf8.Valid(buf[:n]) {
					total++
				}
				sink = string(buf[:n])
			}
			if total == 0 {
				b.Fatal("no chunk was valid")
			}
		}
	})
}
