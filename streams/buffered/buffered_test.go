package buffered_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/buffered"
	"github.com/anyio-go/anyio/streams/stapled"
)

// chunks returns a receive stream that yields each of the given chunks, then
// the end of the stream, with the memory object stream that feeds it.
func chunks(t *testing.T, cs ...string) anyio.ByteReceiveStream {
	t.Helper()
	send, recv := anyio.NewMemoryObjectStream[[]byte](len(cs))
	for _, c := range cs {
		if err := send.TrySend([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	send.Close(context.Background())
	return anyio.ObjectToByteReceiveStream(recv)
}

func TestReceiveExactly(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "abcd", "efgh"))
	got, err := b.ReceiveExactly(ctx, 8)
	if err != nil || string(got) != "abcdefgh" {
		t.Fatalf("ReceiveExactly(8) = %q, %v", got, err)
	}
}

func TestReceiveExactlyIncomplete(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "abcd"))
	_, err := b.ReceiveExactly(ctx, 8)
	if !errors.Is(err, anyio.ErrIncompleteRead) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReceiveExactly past the end = %v, want ErrIncompleteRead", err)
	}
	if got := b.Buffer(); string(got) != "abcd" {
		t.Errorf("Buffer() = %q, want the bytes that did arrive", got)
	}
}

func TestReceiveUntil(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "abcd", "efgh"))
	if got, err := b.ReceiveUntil(ctx, []byte("de"), 10); err != nil || string(got) != "abc" {
		t.Fatalf("ReceiveUntil(de) = %q, %v; want abc", got, err)
	}
	if got, err := b.ReceiveUntil(ctx, []byte("h"), 10); err != nil || string(got) != "fg" {
		t.Fatalf("ReceiveUntil(h) = %q, %v; want fg", got, err)
	}
}

func TestReceiveUntilIncomplete(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "abcd"))
	_, err := b.ReceiveUntil(ctx, []byte("de"), 10)
	if !errors.Is(err, anyio.ErrIncompleteRead) {
		t.Fatalf("ReceiveUntil past the end = %v, want ErrIncompleteRead", err)
	}
	if got := b.Buffer(); string(got) != "abcd" {
		t.Errorf("Buffer() = %q, want abcd", got)
	}
}

func TestReceiveUntilDelimiterSplit(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		chunks []string
		delim  string
		want   []string
	}{
		{"split across chunks", []string{"ab\r", "\ncd\r", "\n"}, "\r\n", []string{"ab", "cd"}},
		{"at a chunk edge", []string{"ab", "\r\n", "cd\r\n"}, "\r\n", []string{"ab", "cd"}},
		{"one byte per chunk", strings.Split("x::y::", ""), "::", []string{"x", "y"}},
		{"empty lines", []string{"\n\n", "a\n"}, "\n", []string{"", "", "a"}},
		{"overlapping", []string{"aaab"}, "aab", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buffered.NewReceiveStream(chunks(t, tt.chunks...))
			for _, want := range tt.want {
				got, err := b.ReceiveUntil(ctx, []byte(tt.delim), 100)
				if err != nil || string(got) != want {
					t.Fatalf("ReceiveUntil = %q, %v; want %q", got, err, want)
				}
			}
			if _, err := b.ReceiveUntil(ctx, []byte(tt.delim), 100); !errors.Is(err, anyio.ErrIncompleteRead) {
				t.Fatalf("ReceiveUntil at the end = %v, want ErrIncompleteRead", err)
			}
		})
	}
}

func TestReceiveUntilMaxBytes(t *testing.T) {
	ctx := context.Background()
	// A line of exactly maxBytes bytes is fine; one more is not.
	b := buffered.NewReceiveStream(chunks(t, "12345", "\n1234", "56\nrest"))
	if got, err := b.ReceiveUntil(ctx, []byte("\n"), 5); err != nil || string(got) != "12345" {
		t.Fatalf("ReceiveUntil = %q, %v", got, err)
	}
	_, err := b.ReceiveUntil(ctx, []byte("\n"), 5)
	var dnf *anyio.DelimiterNotFoundError
	if !errors.As(err, &dnf) || dnf.MaxBytes != 5 || !errors.Is(err, anyio.ErrDelimiterNotFound) {
		t.Fatalf("ReceiveUntil of a 6-byte line = %v, want *DelimiterNotFoundError{MaxBytes: 5}", err)
	}
	// The data stays for the next call.
	if got, err := b.ReceiveUntil(ctx, []byte("\n"), 100); err != nil || string(got) != "123456" {
		t.Fatalf("ReceiveUntil after DelimiterNotFound = %q, %v", got, err)
	}
	if got := b.Buffer(); string(got) != "rest" {
		t.Errorf("leftover Buffer() = %q, want rest", got)
	}
}

func TestBadArguments(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "abc"))
	for _, n := range []int{0, -1} {
		if _, err := b.ReceiveExactly(ctx, n); err == nil || !strings.Contains(err.Error(), "positive") {
			t.Errorf("ReceiveExactly(%d) = %v, want an error", n, err)
		}
		if _, err := b.ReceiveUntil(ctx, []byte("\n"), n); err == nil || !strings.Contains(err.Error(), "maxBytes") {
			t.Errorf("ReceiveUntil(maxBytes %d) = %v, want an error", n, err)
		}
	}
	if _, err := b.ReceiveUntil(ctx, nil, 10); err == nil || !strings.Contains(err.Error(), "delimiter") {
		t.Errorf("ReceiveUntil with an empty delimiter = %v, want an error", err)
	}
	for _, p := range [][]byte{nil, {}} {
		if _, err := b.Receive(ctx, p); !errors.Is(err, anyio.ErrEmptyBuffer) {
			t.Errorf("Receive(empty) = %v, want ErrEmptyBuffer", err)
		}
	}
}

func TestBufferedStream(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	b := buffered.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(send, recv)))
	send.TrySend([]byte("abcd"))
	for _, want := range []string{"ab", "cd"} {
		if got, err := b.ReceiveExactly(ctx, 2); err != nil || string(got) != want {
			t.Fatalf("ReceiveExactly(2) = %q, %v; want %q", got, err, want)
		}
	}
	// SendEOF closes only the sending end.
	if err := b.SendEOF(ctx); err != nil {
		t.Fatal(err)
	}
	if err := send.TrySend([]byte("abc")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("TrySend after SendEOF = %v, want ErrClosedResource", err)
	}
	if _, err := recv.TryReceive(); !errors.Is(err, anyio.ErrEndOfStream) {
		t.Errorf("TryReceive after SendEOF = %v, want ErrEndOfStream", err)
	}
	// Close closes the receiving end too.
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := recv.TryReceive(); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("TryReceive after Close = %v, want ErrClosedResource", err)
	}
	if err := b.Send(ctx, []byte("x")); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after Close = %v, want ErrClosedResource", err)
	}
}

func TestFeedData(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	b := buffered.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(send, recv)))
	defer b.Close(ctx)
	send.TrySend([]byte("abcd"))
	// Fed data comes out first: the stream has not received "abcd" yet.
	b.FeedData([]byte("xxx"))
	b.FeedData([]byte("foo"))
	if got, err := b.ReceiveExactly(ctx, 10); err != nil || string(got) != "xxxfooabcd" {
		t.Fatalf("ReceiveExactly(10) = %q, %v; want xxxfooabcd", got, err)
	}
}

func TestReceiveFromBuffer(t *testing.T) {
	ctx := context.Background()
	b := buffered.NewReceiveStream(chunks(t, "line\nrest of it", "more"))
	if _, err := b.ReceiveUntil(ctx, []byte("\n"), 10); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	var got []string
	for {
		n, err := b.Receive(ctx, buf)
		if errors.Is(err, anyio.ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	if strings.Join(got, "") != "rest of itmore" || got[0] != "rest" {
		t.Errorf("Receive after ReceiveUntil returned %q", got)
	}
}

func TestCancelledReceiveUntilKeepsData(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[[]byte](4)
		b := buffered.NewReceiveStream(anyio.ObjectToByteReceiveStream(recv))
		defer b.Close(ctx)
		send.TrySend([]byte("partial "))
		scope := anyio.NewCancelScope()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			done := make(chan error, 1)
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, err := b.ReceiveUntil(ctx, []byte("\n"), 100)
					done <- err
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := <-done; !errors.Is(err, anyio.ErrCancelled) {
				t.Errorf("cancelled ReceiveUntil = %v", err)
			}
			send.TrySend([]byte("line\n"))
			got, err := b.ReceiveUntil(ctx, []byte("\n"), 100)
			if err != nil || string(got) != "partial line" {
				t.Errorf("ReceiveUntil after a cancelled one = %q, %v; want the data kept", got, err)
			}
			return nil
		})
	})
}

func TestAttributesFlowUp(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c2.Close()
	b := buffered.NewStream(anyio.WrapConn(c1))
	defer b.Close(context.Background())
	if addr, err := anyio.Extra(b, anyio.SocketAttribute.LocalAddress); err != nil || addr != c1.LocalAddr() {
		t.Errorf("LocalAddress through the buffered stream = %v, %v", addr, err)
	}
}

type fakeConnectable struct{ s anyio.ByteStream }

func (c fakeConnectable) Connect(ctx context.Context) (anyio.ByteStream, error) { return c.s, nil }

func TestConnectable(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	c := buffered.NewConnectable(fakeConnectable{anyio.ObjectToByteStream(stapled.NewObjectStream(send, recv))})
	s, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	bs, ok := s.(*buffered.Stream)
	if !ok {
		t.Fatalf("Connect returned %T, want *buffered.Stream", s)
	}
	if err := bs.Send(ctx, []byte("abcd")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ab", "cd"} {
		if got, err := bs.ReceiveExactly(ctx, 2); err != nil || string(got) != want {
			t.Fatalf("ReceiveExactly = %q, %v; want %q", got, err, want)
		}
	}
}

func TestConformance(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
			s1, r1 := anyio.NewMemoryObjectStream[[]byte](2)
			s2, r2 := anyio.NewMemoryObjectStream[[]byte](2)
			return buffered.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(s1, r2))),
				buffered.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(s2, r1)))
		})
	})
	t.Run("TCP", func(t *testing.T) {
		anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, _ := l.Accept()
				accepted <- c
			}()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			s := <-accepted
			if s == nil {
				t.Fatal("accept failed")
			}
			return buffered.NewStream(anyio.WrapConn(c)), buffered.NewStream(anyio.WrapConn(s))
		})
	})
}

func TestBufferReturnsCopy(t *testing.T) {
	b := buffered.NewReceiveStream(chunks(t))
	b.FeedData([]byte("abc"))
	got := b.Buffer()
	got[0] = 'X'
	if again := b.Buffer(); !bytes.Equal(again, []byte("abc")) {
		t.Errorf("Buffer() = %q after changing an earlier result", again)
	}
}
