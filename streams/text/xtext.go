package text

import (
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// xDecoder decodes with a golang.org/x/text decoder. Those decoders turn
// ill-formed input into U+FFFD themselves, so the error modes act on the
// U+FFFD in their output: Replace keeps it, Ignore drops it, Strict
// reports it as a *DecodeError in its place.
type xDecoder struct {
	name  string
	t     transform.Transformer
	mode  ErrorMode
	carry []byte // input bytes the decoder left for more to come
	out   string // decoded text not yet returned (strict mode)
	dst   []byte
}

func (d *xDecoder) pending() bool { return d.out != "" }

func (d *xDecoder) decode(in []byte, eof bool) (string, int, error) {
	n := 0
	if d.out == "" {
		if len(in) == 0 && !eof {
			return "", 0, nil
		}
		src := in
		if len(d.carry) > 0 {
			src = append(d.carry, in...)
			d.carry = nil
		}
		n = len(in)
		s, err := d.transform(src, eof)
		if err != nil {
			return "", n, err
		}
		switch d.mode {
		case Ignore:
			return strings.ReplaceAll(s, "\uFFFD", ""), n, nil
		case Replace:
			return s, n, nil
		}
		d.out = s
	}
	// Strict: hand out the text up to the next U+FFFD, then the error.
	i := strings.IndexRune(d.out, utf8.RuneError)
	switch {
	case i < 0:
		s := d.out
		d.out = ""
		return s, n, nil
	case i == 0:
		d.out = d.out[len("\uFFFD"):]
		return "", n, &DecodeError{Encoding: d.name}
	}
	s := d.out[:i]
	d.out = d.out[i:]
	return s, n, nil
}

// transform decodes src; what the decoder cannot finish yet is carried.
func (d *xDecoder) transform(src []byte, eof bool) (string, error) {
	if d.dst == nil {
		d.dst = make([]byte, 4096)
	}
	var out []byte
	for {
		nDst, nSrc, err := d.t.Transform(d.dst, src, eof)
		out = append(out, d.dst[:nDst]...)
		src = src[nSrc:]
		switch {
		case err == nil:
			return string(out), nil
		case errors.Is(err, transform.ErrShortDst):
			if nDst == 0 && nSrc == 0 {
				d.dst = make([]byte, 2*len(d.dst))
			}
		case errors.Is(err, transform.ErrShortSrc):
			d.carry = append([]byte(nil), src...)
			return string(out), nil
		default:
			return "", &DecodeError{Encoding: d.name, err: err}
		}
	}
}

// xEncode encodes s with a golang.org/x/text encoder; a character the encoding
// cannot represent is an error, the encoded replacement (a '?') or nothing,
// by mode. An empty replacement means the encoding has no '?': such a
// character is an error in Replace mode too.
func xEncode(e *encoding.Encoder, name string, replacement []byte, s string, mode ErrorMode) ([]byte, error) {
	src := []byte(s)
	dst := make([]byte, len(src)+16)
	var out []byte
	for {
		nDst, nSrc, err := e.Transform(dst, src, true)
		out = append(out, dst[:nDst]...)
		src = src[nSrc:]
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, transform.ErrShortDst):
			if nDst == 0 && nSrc == 0 {
				dst = make([]byte, 2*len(dst))
			}
			continue
		}
		// The character at src[0] cannot be encoded.
		_, size := utf8.DecodeRune(src)
		switch mode {
		case Strict:
			return nil, &EncodeError{Encoding: name, Text: string(src[:size])}
		case Replace:
			if len(replacement) == 0 {
				// The encoding cannot represent '?' either (Python fails too).
				return nil, &EncodeError{Encoding: name, Text: string(src[:size])}
			}
			out = append(out, replacement...)
		}
		src = src[size:]
	}
}
