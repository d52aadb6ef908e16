// Package text wraps byte streams into streams of strings, decoding received
// bytes and encoding sent strings (AnyIO's anyio.streams.text).
//
// UTF-8 is the default encoding and has a fast path; any encoding of
// golang.org/x/text/encoding can be chosen with [Encoding]. Decoding is
// incremental: a character split across chunks comes out whole, in the string
// returned once its last byte has arrived. [Errors] chooses what happens to
// ill-formed input, as Python's codecs do: [Strict] (the default) reports it,
// [Replace] turns it into U+FFFD when decoding and '?' when encoding,
// [Ignore] drops it.
//
// Wrap a stream of byte slices (such as a memory object stream) with
// anyio.ObjectToByteReceiveStream or anyio.ObjectToByteSendStream first.
package text

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// Option configures a text stream ([NewReceiveStream], [NewSendStream],
// [NewStream], [NewConnectable]): [Encoding], [Errors]. When an option is
// given twice, the last one wins; a nil Option is ignored.
type Option interface{ applyText(*config) }

type config struct {
	enc  encoding.Encoding
	mode ErrorMode
}

// Encoding sets the character encoding (default: UTF-8). A nil enc means
// UTF-8.
func Encoding(enc encoding.Encoding) Option { return encodingOption{enc} }

type encodingOption struct{ enc encoding.Encoding }

func (o encodingOption) applyText(c *config) { c.enc = o.enc }

// ErrorMode is what a text stream does with ill-formed input: Python's
// errors argument of a codec.
type ErrorMode uint8

const (
	// Strict reports ill-formed input: a *DecodeError when receiving, an
	// *EncodeError when sending (the default).
	Strict ErrorMode = iota
	// Replace turns ill-formed input into U+FFFD when decoding, and text
	// the encoding cannot represent into '?' when encoding.
	Replace
	// Ignore drops ill-formed input.
	Ignore
)

// String returns Python's name of the mode: "strict", "replace" or
// "ignore".
func (m ErrorMode) String() string {
	switch m {
	case Strict:
		return "strict"
	case Replace:
		return "replace"
	case Ignore:
		return "ignore"
	}
	return fmt.Sprintf("ErrorMode(%d)", uint8(m))
}

// Errors sets the handling of ill-formed input: [Strict] (the default),
// [Replace] or [Ignore]. It panics if mode is none of these.
func Errors(mode ErrorMode) Option {
	if mode > Ignore {
		panic(fmt.Sprintf("anyio/text: Errors(%v): the mode must be text.Strict, text.Replace or text.Ignore", mode))
	}
	return errorsOption(mode)
}

type errorsOption ErrorMode

func (m errorsOption) applyText(c *config) { c.mode = ErrorMode(m) }

// codec is a configured encoding.
type codec struct {
	enc         encoding.Encoding // nil for the UTF-8 fast path
	name        string
	mode        ErrorMode
	replacement []byte // '?' in the encoding; nil if it has none
}

func newCodec(opts []Option) *codec {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.applyText(&cfg)
		}
	}
	c := &codec{name: "utf-8", mode: cfg.mode}
	if cfg.enc != nil && cfg.enc != unicode.UTF8 {
		c.enc = cfg.enc
		c.name = fmt.Sprint(cfg.enc)
		if _, ok := cfg.enc.(fmt.Stringer); !ok {
			c.name = fmt.Sprintf("%T", cfg.enc)
		}
		if r, err := cfg.enc.NewEncoder().Bytes([]byte("?")); err == nil {
			c.replacement = r
		}
	}
	return c
}

type decoder interface {
	decode(in []byte, eof bool) (string, int, error)
	pending() bool
}

func (c *codec) newDecoder() decoder {
	if c.enc == nil {
		return &utf8Decoder{mode: c.mode}
	}
	return &xDecoder{name: c.name, t: c.enc.NewDecoder(), mode: c.mode}
}

func (c *codec) encoder() func(s string) ([]byte, error) {
	if c.enc == nil {
		return func(s string) ([]byte, error) { return encodeUTF8(s, c.mode) }
	}
	e := c.enc.NewEncoder()
	return func(s string) ([]byte, error) { return xEncode(e, c.name, c.replacement, s, c.mode) }
}

// DecodeError reports ill-formed input received in [Strict] mode. The text
// before it has been returned; receiving goes on after the ill-formed bytes.
type DecodeError struct {
	Encoding string
	Bytes    []byte // the ill-formed bytes, when known
	err      error
}

// Error describes the ill-formed input.
func (e *DecodeError) Error() string {
	if len(e.Bytes) > 0 {
		return fmt.Sprintf("anyio/text: cannot decode bytes % x as %s", e.Bytes, e.Encoding)
	}
	if e.err != nil {
		return fmt.Sprintf("anyio/text: cannot decode input as %s: %v", e.Encoding, e.err)
	}
	return fmt.Sprintf("anyio/text: cannot decode input as %s", e.Encoding)
}

// Unwrap returns the decoder's own error, if it reported one.
func (e *DecodeError) Unwrap() error { return e.err }

// EncodeError reports, in [Strict] mode, text that the encoding cannot
// represent (or ill-formed UTF-8 in the string); in [Replace] mode, such text
// when the encoding cannot represent the replacement '?' either. Nothing was
// sent.
type EncodeError struct {
	Encoding string
	Text     string // the character that cannot be encoded
}

// Error names the text that cannot be encoded.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("anyio/text: cannot encode %q as %s", e.Text, e.Encoding)
}

// readSize is the size of the buffer a ReceiveStream reads into.
const readSize = 64 << 10

// ReceiveStream receives strings decoded from a byte stream (AnyIO's
// TextReceiveStream). It serves one Receive at a time: a concurrent call gets
// *anyio.BusyResourceError.
type ReceiveStream struct {
	s      anyio.ByteReceiveStream
	dec    decoder
	buf    []byte
	in     []byte // received bytes not yet decoded
	eof    bool
	busy   atomic.Bool
	closed atomic.Bool
}

var _ anyio.ObjectReceiveStream[string] = (*ReceiveStream)(nil)

// NewReceiveStream returns a stream that decodes what it receives from s.
func NewReceiveStream(s anyio.ByteReceiveStream, opts ...Option) *ReceiveStream {
	return &ReceiveStream{s: s, dec: newCodec(opts).newDecoder()}
}

// Receive blocks until at least one character has been decoded and returns
// all the text decoded from what has arrived (never an empty string).
//
// It returns anyio.ErrEndOfStream at the end of the stream, after the text;
// a truncated character at the very end is ill-formed input. In [Strict]
// mode, ill-formed input gives a *DecodeError, after the text that precedes
// it. It returns anyio.ErrClosedResource once the stream is closed, and a
// cancellation error once ctx is cancelled; bytes received meanwhile are kept
// for the next call.
func (r *ReceiveStream) Receive(ctx context.Context) (string, error) {
	if r.closed.Load() {
		return "", anyio.ErrClosedResource
	}
	if !r.busy.CompareAndSwap(false, true) {
		return "", &anyio.BusyResourceError{Action: "reading from"}
	}
	defer r.busy.Store(false)
	if ctx.Err() != nil {
		return "", core.CancelErr(ctx)
	}
	for {
		if len(r.in) > 0 || r.dec.pending() {
			s, n, err := r.dec.decode(r.in, false)
			r.in = r.in[n:]
			if s != "" || err != nil {
				return s, err
			}
			continue
		}
		if r.eof {
			s, _, err := r.dec.decode(nil, true)
			if s != "" || err != nil {
				return s, err
			}
			return "", anyio.ErrEndOfStream
		}
		if r.buf == nil {
			r.buf = make([]byte, readSize)
		}
		n, err := r.s.Receive(ctx, r.buf)
		if err != nil {
			if errors.Is(err, anyio.ErrEndOfStream) {
				r.eof = true
				continue
			}
			if r.closed.Load() {
				return "", anyio.ErrClosedResource
			}
			return "", err
		}
		r.in = r.buf[:n]
	}
}

// Close closes the wrapped stream.
func (r *ReceiveStream) Close(ctx context.Context) error {
	r.closed.Store(true)
	return r.s.Close(ctx)
}

// ExtraAttributes returns the wrapped stream's typed attributes.
func (r *ReceiveStream) ExtraAttributes() map[any]func() any { return r.s.ExtraAttributes() }

// SendStream sends strings encoded onto a byte stream (AnyIO's
// TextSendStream).
type SendStream struct {
	s      anyio.ByteSendStream
	encode func(string) ([]byte, error)
	closed atomic.Bool
}

var _ anyio.ObjectSendStream[string] = (*SendStream)(nil)

// NewSendStream returns a stream that encodes what it sends to s.
func NewSendStream(s anyio.ByteSendStream, opts ...Option) *SendStream {
	return &SendStream{s: s, encode: newCodec(opts).encoder()}
}

// Send encodes item and sends it, blocking as the wrapped stream's Send does.
// In [Strict] mode, text the encoding cannot represent gives an
// *EncodeError and nothing is sent. It returns anyio.ErrClosedResource once
// the stream is closed, and the wrapped stream's errors otherwise. Like the
// wrapped stream, it serves one Send at a time.
func (w *SendStream) Send(ctx context.Context, item string) error {
	if w.closed.Load() {
		return anyio.ErrClosedResource
	}
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	p, err := w.encode(item)
	if err != nil {
		return err
	}
	return w.s.Send(ctx, p)
}

// Close closes the wrapped stream.
func (w *SendStream) Close(ctx context.Context) error {
	w.closed.Store(true)
	return w.s.Close(ctx)
}

// ExtraAttributes returns the wrapped stream's typed attributes.
func (w *SendStream) ExtraAttributes() map[any]func() any { return w.s.ExtraAttributes() }

// Stream is a bidirectional text stream over a byte stream (AnyIO's
// TextStream): Receive as a [ReceiveStream], Send as a [SendStream], with the
// same encoding and error mode.
type Stream struct {
	ReceiveStream
	send SendStream
	s    anyio.ByteStream
}

var _ anyio.ObjectStream[string] = (*Stream)(nil)

// NewStream returns a text stream over s.
func NewStream(s anyio.ByteStream, opts ...Option) *Stream {
	return newStream(s, newCodec(opts))
}

func newStream(s anyio.ByteStream, c *codec) *Stream {
	t := &Stream{s: s}
	t.ReceiveStream = ReceiveStream{s: s, dec: c.newDecoder()}
	t.send = SendStream{s: s, encode: c.encoder()}
	return t
}

// Send encodes item and sends it (see [SendStream.Send]).
func (t *Stream) Send(ctx context.Context, item string) error {
	if t.ReceiveStream.closed.Load() {
		return anyio.ErrClosedResource
	}
	return t.send.Send(ctx, item)
}

// SendEOF closes the sending direction of the wrapped stream; receiving goes
// on.
func (t *Stream) SendEOF(ctx context.Context) error {
	if t.ReceiveStream.closed.Load() {
		return anyio.ErrClosedResource
	}
	return t.s.SendEOF(ctx)
}

// Close closes the wrapped stream.
func (t *Stream) Close(ctx context.Context) error {
	t.ReceiveStream.closed.Store(true)
	t.send.closed.Store(true)
	return t.s.Close(ctx)
}

// Connectable makes text connections: each connection of the wrapped
// connectable comes wrapped in a [Stream] (AnyIO 4.10's TextConnectable).
type Connectable struct {
	c     anyio.ByteStreamConnectable
	codec *codec
}

// NewConnectable returns a connectable over c whose streams use opts.
func NewConnectable(c anyio.ByteStreamConnectable, opts ...Option) *Connectable {
	return &Connectable{c: c, codec: newCodec(opts)}
}

// Connect connects with the wrapped connectable and returns the connection
// as a *Stream. It blocks as the wrapped Connect does.
func (c *Connectable) Connect(ctx context.Context) (*Stream, error) {
	s, err := c.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStream(s, c.codec), nil
}
