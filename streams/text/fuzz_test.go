package text_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/text"
)

// chunkedSource cuts data into chunks (each byte of cuts gives the next
// length, 1 to 16 bytes, the last one repeating) and returns a stream of
// them.
func chunkedSource(t *testing.T, data, cuts []byte) anyio.ByteReceiveStream {
	var chunks []string
	for i := 0; len(data) > 0; i++ {
		n := 1
		if len(cuts) > 0 {
			n += int(cuts[min(i, len(cuts)-1)] % 16)
		}
		n = min(n, len(data))
		chunks = append(chunks, string(data[:n]))
		data = data[n:]
	}
	return source(t, chunks...)
}

// decodeAll receives everything; a decoding error counts as U+FFFD, which is
// where "replace" puts one.
func decodeAll(t *testing.T, r *text.ReceiveStream) string {
	var b strings.Builder
	for {
		s, err := r.Receive(context.Background())
		switch {
		case errors.Is(err, anyio.ErrEndOfStream):
			return b.String()
		case err != nil:
			var de *text.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Receive = %v", err)
			}
			b.WriteRune(utf8.RuneError)
		case s == "":
			t.Fatal("Receive returned an empty string and no error")
		default:
			if !utf8.ValidString(s) {
				t.Fatalf("Receive returned ill-formed UTF-8 %q", s)
			}
			b.WriteString(s)
		}
	}
}

// referenceDecode decodes b as Python does, written independently of the
// package: each maximal ill-formed subpart (the longest prefix of a
// well-formed sequence, found with utf8.FullRune) is one replacement, or
// nothing when drop is set.
func referenceDecode(b []byte, drop bool) string {
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			out.Write(b[:size])
			b = b[size:]
			continue
		}
		k := 1
		for j := min(3, len(b)); j > 1; j-- {
			if !utf8.FullRune(b[:j]) {
				k = j
				break
			}
		}
		if !drop {
			out.WriteRune(utf8.RuneError)
		}
		b = b[k:]
	}
	return out.String()
}

// FuzzDecodeUTF8 decodes random bytes cut into random chunks in each error
// mode and compares the result with the reference decoding of the whole.
func FuzzDecodeUTF8(f *testing.F) {
	f.Add([]byte("héllo, wörld 😀"), []byte{0})
	f.Add([]byte("\xe2\x82A\xed\xa0\x80\xf0\x9f\x98"), []byte{1, 0, 2})
	f.Add([]byte("\xc0\xaf\xf4\x90\x80\x80\xef\xbf\xbd"), []byte{3})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		want := referenceDecode(data, false)
		for _, mode := range []text.ErrorMode{text.Strict, text.Replace} {
			r := text.NewReceiveStream(chunkedSource(t, data, cuts), text.Errors(mode))
			if got := decodeAll(t, r); got != want {
				t.Fatalf("%s: decoded %q, want %q", mode, got, want)
			}
		}
		r := text.NewReceiveStream(chunkedSource(t, data, cuts), text.Errors(text.Ignore))
		if got, want := decodeAll(t, r), referenceDecode(data, true); got != want {
			t.Fatalf("ignore: decoded %q, want %q", got, want)
		}
	})
}

// FuzzDecodeEncodings decodes random bytes cut into random chunks with
// golang.org/x/text decoders and compares with decoding the whole at once.
func FuzzDecodeEncodings(f *testing.F) {
	f.Add([]byte("\x93\xfa\x96{\x8c\xea"), []byte{0}, uint8(0))
	f.Add([]byte("h\x00\xe9\x00=\xd8\x00\xde"), []byte{1}, uint8(1))
	f.Fuzz(func(t *testing.T, data, cuts []byte, which uint8) {
		enc := japanese.ShiftJIS
		if which%2 == 1 {
			enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		}
		want, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			t.Skip()
		}
		r := text.NewReceiveStream(chunkedSource(t, data, cuts), text.Encoding(enc), text.Errors(text.Replace))
		if got := decodeAll(t, r); got != string(want) {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}
