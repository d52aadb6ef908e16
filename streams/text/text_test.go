package text_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/text"
)

// source returns a byte stream that yields each chunk, then ends.
func source(t *testing.T, chunks ...string) anyio.ByteReceiveStream {
	t.Helper()
	send, recv := anyio.NewMemoryObjectStream[[]byte](anyio.Unbounded)
	for _, c := range chunks {
		send.TrySend([]byte(c))
	}
	send.Close(context.Background())
	return anyio.ObjectToByteReceiveStream(recv)
}

// receiveAll returns what Receive returns until the end, each error as
// "<err>".
func receiveAll(t *testing.T, r *text.ReceiveStream) []string {
	t.Helper()
	var out []string
	for range 1000 {
		s, err := r.Receive(context.Background())
		switch {
		case errors.Is(err, anyio.ErrEndOfStream):
			return out
		case err != nil:
			var de *text.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Receive = %v, want a *text.DecodeError", err)
			}
			out = append(out, "<err>")
		case s == "":
			t.Fatal("Receive returned an empty string and no error")
		default:
			out = append(out, s)
		}
	}
	t.Fatal("Receive never ended")
	return nil
}

func newReceive(t *testing.T, s anyio.ByteReceiveStream, opts ...text.Option) *text.ReceiveStream {
	t.Helper()
	return text.NewReceiveStream(s, opts...)
}

func TestReceive(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	r := newReceive(t, anyio.ObjectToByteReceiveStream(recv))
	defer r.Close(ctx)
	send.Send(ctx, []byte("\xc3\xa5\xc3\xa4\xc3")) // ends with half of "ö"
	if s, err := r.Receive(ctx); s != "åä" || err != nil {
		t.Fatalf("Receive = %q, %v; want åä", s, err)
	}
	send.Send(ctx, []byte("\xb6"))
	if s, err := r.Receive(ctx); s != "ö" || err != nil {
		t.Fatalf("Receive = %q, %v; want ö", s, err)
	}
}

func TestSend(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	w := text.NewSendStream(anyio.ObjectToByteSendStream(send))
	defer w.Close(ctx)
	if err := w.Send(ctx, "åäö"); err != nil {
		t.Fatal(err)
	}
	if b, err := recv.Receive(ctx); string(b) != "\xc3\xa5\xc3\xa4\xc3\xb6" || err != nil {
		t.Fatalf("received %q, %v", b, err)
	}
}

func TestReceiveEncodingErrorReplace(t *testing.T) {
	r := newReceive(t, source(t, "\xe5\xe4\xf6"), text.Errors(text.Replace)) // "åäö" in Latin-1
	if got := receiveAll(t, r); strings.Join(got, "") != "\uFFFD\uFFFD\uFFFD" {
		t.Fatalf("received %q, want three U+FFFD", got)
	}
}

// AnyIO's test_receive_encoding_error, as AnyIO runs it: the sending end
// stays open, and one Receive returns a replacement for each of the three
// bad bytes at once. None of them can start a valid character (0xe5 and
// 0xe4 are followed by a byte that is no continuation byte, 0xf6 is never a
// lead byte), so the decoder has no reason to wait for more input (one that
// held bytes back would block until anyiotest.Run's timeout).
// TestReceiveEncodingErrorReplace checks the same input on a stream that
// has ended and joins what several Receives return.
func TestReceiveEncodingErrorOpenStream(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[[]byte](1)
		defer send.Close(ctx)
		r := newReceive(t, anyio.ObjectToByteReceiveStream(recv), text.Errors(text.Replace))
		defer r.Close(ctx)
		if err := send.Send(ctx, []byte("\xe5\xe4\xf6")); err != nil { // "åäö" in Latin-1
			return err
		}
		got, err := r.Receive(ctx)
		if err != nil || got != "\uFFFD\uFFFD\uFFFD" {
			t.Fatalf("Receive = %q, %v; want three U+FFFD from one Receive", got, err)
		}
		return nil
	})
}

func TestSendEncodingErrorReplace(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	w := text.NewSendStream(anyio.ObjectToByteSendStream(send), text.Encoding(charmap.ISO8859_1), text.Errors(text.Replace))
	if err := w.Send(ctx, "€"); err != nil {
		t.Fatal(err)
	}
	if b, _ := recv.Receive(ctx); string(b) != "?" {
		t.Fatalf("received %q, want ?", b)
	}
	if err := w.Send(ctx, "a€é"); err != nil {
		t.Fatal(err)
	}
	if b, _ := recv.Receive(ctx); string(b) != "a?\xe9" {
		t.Fatalf("received %q, want a?\\xe9", b)
	}
}

func TestSendEncodingErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		mode     text.ErrorMode
		in, want string
		err      bool
	}{
		{text.Strict, "a€b", "", true},
		{text.Ignore, "a€b", "ab", false},
		{text.Replace, "a€b", "a?b", false},
	} {
		send, recv := anyio.NewMemoryObjectStream[[]byte](1)
		w := text.NewSendStream(anyio.ObjectToByteSendStream(send), text.Encoding(charmap.ISO8859_1), text.Errors(tt.mode))
		err := w.Send(ctx, tt.in)
		var ee *text.EncodeError
		if tt.err {
			if !errors.As(err, &ee) || ee.Text != "€" {
				t.Errorf("%s: Send = %v, want an EncodeError for €", tt.mode, err)
			}
			if st := recv.Statistics(); st.CurrentBufferUsed != 0 {
				t.Errorf("%s: something was sent despite the error", tt.mode)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Send = %v", tt.mode, err)
			continue
		}
		if b, _ := recv.Receive(ctx); string(b) != tt.want {
			t.Errorf("%s: sent %q, want %q", tt.mode, b, tt.want)
		}
	}
	// UTF-8: ill-formed bytes in a Go string.
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	w := text.NewSendStream(anyio.ObjectToByteSendStream(send))
	var ee *text.EncodeError
	if err := w.Send(ctx, "ok\xff"); !errors.As(err, &ee) {
		t.Errorf("Send of ill-formed UTF-8 = %v, want an EncodeError", err)
	}
	w = text.NewSendStream(anyio.ObjectToByteSendStream(send), text.Errors(text.Replace))
	w.Send(ctx, "a\xe2\x82b")
	if b, _ := recv.Receive(ctx); string(b) != "a?b" {
		t.Errorf("replace of ill-formed UTF-8 sent %q, want a?b", b)
	}
}

func TestDecodeErrorModes(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		mode   text.ErrorMode
		want   []string
	}{
		{"strict mid-chunk", []string{"ab\xffcd"}, text.Strict, []string{"ab", "<err>", "cd"}},
		{"strict first", []string{"\xff", "ok"}, text.Strict, []string{"<err>", "ok"}},
		{"strict truncated at end", []string{"ok\xe2\x82"}, text.Strict, []string{"ok", "<err>"}},
		{"strict split then bad", []string{"\xe2", "\x82", "A"}, text.Strict, []string{"<err>", "A"}},
		{"replace truncated at end", []string{"ok\xe2\x82"}, text.Replace, []string{"ok", "\uFFFD"}},
		{"ignore truncated at end", []string{"ok\xe2\x82"}, text.Ignore, []string{"ok"}},
		{"ignore", []string{"a\xff\xfeb", "\xc0c"}, text.Ignore, []string{"ab", "c"}},
		{"valid U+FFFD is text", []string{"\xef\xbf\xbd"}, text.Strict, []string{"\uFFFD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceive(t, source(t, tt.chunks...), text.Errors(tt.mode))
			got := receiveAll(t, r)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("received %q, want %q", got, tt.want)
			}
		})
	}
}

// Python's codecs replace each maximal ill-formed subpart with one U+FFFD
// (the Unicode standard's recommended practice); Go's own decoding replaces
// each byte. These are the results of bytes.decode("utf-8", "replace").
func TestReplaceLikePython(t *testing.T) {
	tests := map[string]string{
		"\xe2\x82A":            "\uFFFDA",
		"\xed\xa0\x80":         "\uFFFD\uFFFD\uFFFD",
		"\xf0\x9f\x98":         "\uFFFD",
		"\xf0\x9f\x98A":        "\uFFFDA",
		"\xc0\xaf":             "\uFFFD\uFFFD",
		"\xf4\x90\x80\x80":     "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xe0\x80\x80":         "\uFFFD\uFFFD\uFFFD",
		"\xf8\x88\x80\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD",
		"a\x80b":               "a\uFFFDb",
		"\xf0\x9f\x98\x80\xf0": "😀\uFFFD",
	}
	for in, want := range tests {
		for split := 0; split <= len(in); split++ {
			r := newReceive(t, source(t, in[:split], in[split:]), text.Errors(text.Replace))
			if got := strings.Join(receiveAll(t, r), ""); got != want {
				t.Errorf("%q split at %d: decoded %q, want %q", in, split, got, want)
			}
		}
	}
}

func TestOtherEncodings(t *testing.T) {
	sjis, _ := japanese.ShiftJIS.NewEncoder().String("日本語のテキスト")
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String("héllo 😀")
	tests := []struct {
		name string
		enc  text.Option
		data string
		want string
	}{
		{"Shift_JIS", text.Encoding(japanese.ShiftJIS), sjis, "日本語のテキスト"},
		{"UTF-16LE", text.Encoding(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)), utf16, "héllo 😀"},
		{"Latin-1", text.Encoding(charmap.ISO8859_1), "\xe5\xe4\xf6", "åäö"},
		{"explicit UTF-8", text.Encoding(unicode.UTF8), "åäö", "åäö"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every split point: a character cut in two comes out whole.
			for split := 0; split <= len(tt.data); split++ {
				r := newReceive(t, source(t, tt.data[:split], tt.data[split:]), tt.enc)
				if got := strings.Join(receiveAll(t, r), ""); got != tt.want {
					t.Fatalf("split at %d: decoded %q, want %q", split, got, tt.want)
				}
			}
		})
	}
}

func TestOtherEncodingStrict(t *testing.T) {
	// 0x81 followed by 0x20 is not Shift_JIS.
	r := newReceive(t, source(t, "ab\x81 cd"), text.Encoding(japanese.ShiftJIS))
	got := receiveAll(t, r)
	if strings.Join(got, "|") != "ab|<err>| cd" {
		t.Fatalf("received %q", got)
	}
	r = newReceive(t, source(t, "ab\x81 cd"), text.Encoding(japanese.ShiftJIS), text.Errors(text.Ignore))
	if got := strings.Join(receiveAll(t, r), ""); got != "ab cd" {
		t.Fatalf("ignore: received %q", got)
	}
}

// An ErrorMode that is none of the constants is programmer misuse: Errors
// panics at once, so the constructors cannot fail.
func TestUnknownErrorMode(t *testing.T) {
	defer func() {
		r := recover()
		if msg, ok := r.(string); !ok || !strings.Contains(msg, "text.Strict, text.Replace or text.Ignore") {
			t.Errorf("Errors(ErrorMode(3)) panicked with %v, want a message naming the modes", r)
		}
	}()
	text.Errors(text.ErrorMode(3))
	t.Error("Errors(ErrorMode(3)) did not panic")
}

func TestErrorModeString(t *testing.T) {
	for mode, want := range map[text.ErrorMode]string{
		text.Strict: "strict", text.Replace: "replace", text.Ignore: "ignore", 7: "ErrorMode(7)",
	} {
		if got := mode.String(); got != want {
			t.Errorf("ErrorMode(%d).String() = %q, want %q", uint8(mode), got, want)
		}
	}
}

// digitsOnly is an encoding that can represent nothing but ASCII digits, not
// even the replacement '?'.
type digitsOnly struct{}

func (digitsOnly) NewDecoder() *encoding.Decoder { return encoding.Nop.NewDecoder() }
func (digitsOnly) NewEncoder() *encoding.Encoder { return &encoding.Encoder{Transformer: digitsT{}} }

type digitsT struct{ transform.NopResetter }

func (digitsT) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if src[nSrc] < '0' || src[nSrc] > '9' {
			return nDst, nSrc, errors.New("not a digit")
		}
		if nDst == len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = src[nSrc]
		nDst++
		nSrc++
	}
	return nDst, nSrc, nil
}

// Replace mode with an encoding that has no '?' fails as Python's
// "replace" does then: the text cannot be encoded at all.
func TestReplaceWithoutQuestionMark(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	w := text.NewSendStream(anyio.ObjectToByteSendStream(send), text.Encoding(digitsOnly{}), text.Errors(text.Replace))
	if err := w.Send(ctx, "12"); err != nil {
		t.Fatalf("Send(12) = %v", err)
	}
	if b, _ := recv.Receive(ctx); string(b) != "12" {
		t.Fatalf("Send(12) sent %q", b)
	}
	var ee *text.EncodeError
	if err := w.Send(ctx, "1x2"); !errors.As(err, &ee) || ee.Text != "x" {
		t.Errorf("Send(1x2) = %v, want an *EncodeError for x", err)
	}
	if st := recv.Statistics(); st.CurrentBufferUsed != 0 {
		t.Error("Send(1x2) sent something despite the error")
	}
}

func TestBidirectionalStream(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	ts := text.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(send, recv)))
	if err := ts.Send(ctx, "åäö"); err != nil {
		t.Fatal(err)
	}
	if b, _ := recv.Receive(ctx); string(b) != "\xc3\xa5\xc3\xa4\xc3\xb6" {
		t.Fatalf("sent %q", b)
	}
	send.Send(ctx, []byte("\xc3\xa6\xc3\xb8"))
	if s, err := ts.Receive(ctx); s != "æø" || err != nil {
		t.Fatalf("Receive = %q, %v", s, err)
	}
	if attrs := ts.ExtraAttributes(); len(attrs) != 0 {
		t.Errorf("ExtraAttributes() = %v, want none", attrs)
	}
	if err := ts.SendEOF(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := recv.Receive(ctx); !errors.Is(err, anyio.ErrEndOfStream) {
		t.Errorf("after SendEOF the peer got %v, want ErrEndOfStream", err)
	}
	ts.Close(ctx)
	if _, err := ts.Receive(ctx); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Receive after Close = %v", err)
	}
	if err := ts.Send(ctx, "x"); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after Close = %v", err)
	}
}

func TestAttributesFlowUp(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c2.Close()
	ts := text.NewStream(anyio.WrapConn(c1))
	defer ts.Close(context.Background())
	if addr, err := anyio.Extra(ts, anyio.SocketAttribute.LocalAddress); err != nil || addr != c1.LocalAddr() {
		t.Errorf("LocalAddress through the text stream = %v, %v", addr, err)
	}
}

type fakeConnectable struct{ s anyio.ByteStream }

func (c fakeConnectable) Connect(ctx context.Context) (anyio.ByteStream, error) { return c.s, nil }

func TestConnectable(t *testing.T) {
	ctx := context.Background()
	send, recv := anyio.NewMemoryObjectStream[[]byte](1)
	c := text.NewConnectable(fakeConnectable{anyio.ObjectToByteStream(stapled.NewObjectStream(send, recv))})
	s, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.Send(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Receive(ctx); got != "hello" || err != nil {
		t.Fatalf("Receive = %q, %v", got, err)
	}
}

func TestReceiveCancelledKeepsBytes(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		send, recv := anyio.NewMemoryObjectStream[[]byte](4)
		r := newReceive(t, anyio.ObjectToByteReceiveStream(recv))
		defer r.Close(ctx)
		send.TrySend([]byte("\xc3")) // half a character: nothing to return yet
		scope := anyio.NewCancelScope()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, err := r.Receive(ctx)
					if !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("cancelled Receive = %v", err)
					}
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			send.TrySend([]byte("\xb6"))
			if s, err := r.Receive(ctx); s != "ö" || err != nil {
				t.Errorf("Receive after a cancelled one = %q, %v; want ö", s, err)
			}
			return nil
		})
	})
}
