package text

import (
	"strings"
	"unicode/utf8"
)

// seqState classifies a byte sequence that starts with a non-ASCII byte.
type seqState uint8

const (
	seqValid      seqState = iota // a whole, well-formed character
	seqInvalid                    // a maximal subpart of an ill-formed sequence
	seqIncomplete                 // a well-formed prefix cut short by the end of the input
)

// scanSeq returns the state of the sequence at the start of b and its length:
// the character's length, the length of the maximal subpart of an ill-formed
// sequence (the longest prefix of a well-formed sequence, at least 1: what
// Python's codecs and the Unicode standard replace with one U+FFFD), or the
// length of the incomplete prefix (all of b).
func scanSeq(b []byte) (int, seqState) {
	lead := b[0]
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch {
	case lead < 0x80:
		return 1, seqValid
	case lead < 0xC2: // a continuation byte, or the lead of an overlong form
		return 1, seqInvalid
	case lead < 0xE0:
		need = 2
	case lead < 0xF0:
		need = 3
		if lead == 0xE0 {
			lo = 0xA0 // no overlong forms
		} else if lead == 0xED {
			hi = 0x9F // no surrogates
		}
	case lead < 0xF5:
		need = 4
		if lead == 0xF0 {
			lo = 0x90 // no overlong forms
		} else if lead == 0xF4 {
			hi = 0x8F // nothing above U+10FFFF
		}
	default:
		return 1, seqInvalid
	}
	for k := 1; k < need; k++ {
		if k == len(b) {
			return k, seqIncomplete
		}
		c := b[k]
		if k == 1 && (c < lo || c > hi) || k > 1 && (c < 0x80 || c > 0xBF) {
			return k, seqInvalid
		}
	}
	return need, seqValid
}

// incompleteTail returns the length of the well-formed but incomplete
// sequence at the end of b (0 to 3 bytes), which must wait for the next
// chunk.
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 {
			if _, st := scanSeq(b[len(b)-k:]); st == seqIncomplete {
				return k
			}
			return 0
		}
	}
	return 0
}

// utf8Decoder decodes UTF-8 incrementally: the fast path is one utf8.Valid
// and one conversion to string per chunk.
type utf8Decoder struct {
	mode ErrorMode
	part [4]byte // an incomplete sequence carried over to the next chunk
	np   int
}

func (d *utf8Decoder) pending() bool { return false }

// decode decodes in; at eof, nothing is carried over. It returns the text and
// how many bytes of in it consumed: all of them, except when a strict error
// must be reported after text already decoded, in which case decoding stops
// at the ill-formed bytes and the next call reports them. A strict error
// consumes the ill-formed subpart.
func (d *utf8Decoder) decode(in []byte, eof bool) (string, int, error) {
	var small [4]byte
	out := small[:0] // the carried character; then the slow path's result
	i := 0
	if d.np > 0 {
		var tmp [4]byte
		copy(tmp[:], d.part[:d.np])
		k := copy(tmp[d.np:], in)
		size, st := scanSeq(tmp[:d.np+k])
		if st == seqIncomplete {
			if !eof {
				copy(d.part[d.np:], in)
				d.np += len(in)
				return "", len(in), nil
			}
			st = seqInvalid
		}
		used := size - d.np
		bad := tmp[:size]
		d.np = 0
		if st == seqValid {
			out = append(out, bad...)
		} else {
			switch d.mode {
			case Strict:
				return "", used, &DecodeError{Encoding: "utf-8", Bytes: append([]byte(nil), bad...)}
			case Replace:
				out = append(out, "\uFFFD"...)
			}
		}
		i = used
	}
	rest := in[i:]
	tail := 0
	if !eof {
		tail = incompleteTail(rest)
	}
	if body := rest[:len(rest)-tail]; utf8.Valid(body) {
		var s string
		if len(out) == 0 {
			s = string(body)
		} else {
			var b strings.Builder
			b.Grow(len(out) + len(body))
			b.Write(out)
			b.Write(body)
			s = b.String()
		}
		d.np = copy(d.part[:], rest[len(body):])
		return s, len(in), nil
	}
	start, j := 0, 0
	for j < len(rest) {
		if rest[j] < 0x80 {
			j++
			continue
		}
		size, st := scanSeq(rest[j:])
		if st == seqValid {
			j += size
			continue
		}
		if st == seqIncomplete && !eof {
			out = append(out, rest[start:j]...)
			d.np = copy(d.part[:], rest[j:])
			return string(out), len(in), nil
		}
		out = append(out, rest[start:j]...)
		switch d.mode {
		case Strict:
			if len(out) > 0 {
				return string(out), i + j, nil
			}
			return "", i + j + size, &DecodeError{Encoding: "utf-8", Bytes: append([]byte(nil), rest[j:j+size]...)}
		case Replace:
			out = append(out, "\uFFFD"...)
		}
		j += size
		start = j
	}
	out = append(out, rest[start:]...)
	return string(out), len(in), nil
}

// encodeUTF8 encodes s, which may hold ill-formed UTF-8 (a Go string can):
// each maximal ill-formed subpart is an error, a '?' or nothing, by mode.
func encodeUTF8(s string, mode ErrorMode) ([]byte, error) {
	if utf8.ValidString(s) {
		return []byte(s), nil
	}
	b := []byte(s)
	out := make([]byte, 0, len(b))
	start, j := 0, 0
	for j < len(b) {
		if b[j] < 0x80 {
			j++
			continue
		}
		size, st := scanSeq(b[j:])
		if st == seqValid {
			j += size
			continue
		}
		out = append(out, b[start:j]...)
		switch mode {
		case Strict:
			return nil, &EncodeError{Encoding: "utf-8", Text: string(b[j : j+size])}
		case Replace:
			out = append(out, '?')
		}
		j += size
		start = j
	}
	return append(out, b[start:]...), nil
}
