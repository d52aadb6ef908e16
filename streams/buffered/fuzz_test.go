package buffered_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/buffered"
)

// chunked returns a buffered stream over data cut into chunks: each byte of
// cuts gives the length of the next chunk (1 to 64 bytes, the last byte of
// cuts repeating); the stream then ends.
func chunked(t *testing.T, data, cuts []byte) *buffered.ReceiveStream {
	send, recv := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	for i := 0; len(data) > 0; i++ {
		n := 1
		if len(cuts) > 0 {
			n += int(cuts[min(i, len(cuts)-1)] % 64)
		}
		n = min(n, len(data))
		if err := send.TrySend(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	send.Close(context.Background())
	return buffered.NewReceiveStream(anyio.ObjectToByteReceiveStream(recv))
}

// FuzzReceiveUntil checks ReceiveUntil against a model that sees the whole
// data at once: the result must not depend on how the data was chunked.
func FuzzReceiveUntil(f *testing.F) {
	f.Add([]byte("abc\ndef\n\nghi"), []byte{2, 0, 5}, []byte("\n"), uint16(10))
	f.Add([]byte("ab\r\ncd\r\n"), []byte{0}, []byte("\r\n"), uint16(2))
	f.Add([]byte("aaaaab"), []byte{1}, []byte("aab"), uint16(3))
	f.Add([]byte("0123456789\n"), []byte{3}, []byte("\n"), uint16(9))
	f.Fuzz(func(t *testing.T, data, cuts, delim []byte, maxBytes uint16) {
		if len(delim) == 0 || len(delim) > 8 {
			delim = []byte{'\n'}
		}
		max := 1 + int(maxBytes%200)
		ctx := context.Background()
		b := chunked(t, data, cuts)
		rem := data
		for {
			got, err := b.ReceiveUntil(ctx, delim, max)
			i := bytes.Index(rem, delim)
			switch {
			case i >= 0 && i <= max:
				if err != nil || !bytes.Equal(got, rem[:i]) {
					t.Fatalf("ReceiveUntil = %q, %v; want %q", got, err, rem[:i])
				}
				rem = rem[i+len(delim):]
				continue
			case i < 0 && len(rem) < max+len(delim):
				if !errors.Is(err, anyio.ErrIncompleteRead) {
					t.Fatalf("ReceiveUntil at the end = %q, %v; want ErrIncompleteRead", got, err)
				}
				if !bytes.Equal(b.Buffer(), rem) {
					t.Fatalf("Buffer() = %q after ErrIncompleteRead, want %q", b.Buffer(), rem)
				}
			default:
				var dnf *anyio.DelimiterNotFoundError
				if !errors.As(err, &dnf) || dnf.MaxBytes != max {
					t.Fatalf("ReceiveUntil with no delimiter in the first %d bytes = %q, %v; want DelimiterNotFoundError", max, got, err)
				}
				buf := b.Buffer()
				if !bytes.HasPrefix(rem, buf) || len(buf) < max+len(delim) {
					t.Fatalf("Buffer() = %q after DelimiterNotFoundError: want a prefix of %q of at least %d bytes", buf, rem, max+len(delim))
				}
			}
			return
		}
	})
}

// FuzzReceiveExactly checks a sequence of ReceiveExactly calls (sizes from
// sizes) against the data, whatever its chunking.
func FuzzReceiveExactly(f *testing.F) {
	f.Add([]byte("abcdefgh"), []byte{3}, []byte{1, 2, 3})
	f.Add([]byte("x"), []byte{0}, []byte{2})
	f.Add(bytes.Repeat([]byte("0123456789"), 20), []byte{7, 63, 0}, []byte{50, 0, 99, 13})
	f.Fuzz(func(t *testing.T, data, cuts, sizes []byte) {
		ctx := context.Background()
		b := chunked(t, data, cuts)
		rem := data
		for i := 0; ; i++ {
			n := 1
			if len(sizes) > 0 {
				n += int(sizes[i%len(sizes)] % 100)
			}
			got, err := b.ReceiveExactly(ctx, n)
			if n > len(rem) {
				if !errors.Is(err, anyio.ErrIncompleteRead) || !bytes.Equal(b.Buffer(), rem) {
					t.Fatalf("ReceiveExactly(%d) with %d bytes left = %q, %v; Buffer() = %q", n, len(rem), got, err, b.Buffer())
				}
				return
			}
			if err != nil || !bytes.Equal(got, rem[:n]) {
				t.Fatalf("ReceiveExactly(%d) = %q, %v; want %q", n, got, err, rem[:n])
			}
			rem = rem[n:]
		}
	})
}
