package toprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The wire protocol between a parent and its worker processes, over two
// pipes (the worker's descriptors 3 and 4; a third, 5, is the worker's
// lifeline, on which nothing is written). Each message is a frame:
//
//	length  uint32, big endian: the bytes that follow (kind and payload)
//	kind    one byte
//	payload length-1 bytes
//
// The worker sends kindHello once it is ready, then answers each kindCall
// with one kindResult or kindError. Names and messages are UTF-8; arguments
// and results are encoding/gob streams of one value each.
const (
	kindHello  = 'h' // payload: uvarint protocol version, uvarint PID
	kindCall   = 'c' // payload: uvarint name length, name, argument
	kindResult = 'r' // payload: the result
	kindError  = 'e' // payload: uvarint error code, message
)

// protocolVersion is the version a worker announces in its hello.
const protocolVersion = 1

// maxFrame bounds the length of a frame (and so of an argument or result).
const maxFrame = 1 << 30

// maxName bounds the length of a function's name.
const maxName = 1024

// Error codes of kindError.
const (
	codeFunc      = 1 // the function returned an error
	codeUnknown   = 2 // the worker has no function of that name
	codeDecodeArg = 3 // the worker could not decode the argument
	codeEncodeRes = 4 // the worker could not encode the result
)

// errProtocol is matched by every error of the frame decoder.
var errProtocol = errors.New("anyio/toprocess: malformed message between a parent and its worker process")

func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errProtocol}, args...)...)
}

// frame is one decoded message.
type frame struct {
	kind    byte
	payload []byte
}

// appendFrame appends a frame of kind with the parts of its payload to b.
func appendFrame(b []byte, kind byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, kind)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// readFrame reads one frame. At the end of r before a frame begins it
// returns io.EOF; a frame cut short or malformed is an error matching
// errProtocol (io.ErrUnexpectedEOF for a cut). A lying length costs no
// memory beyond the bytes that actually arrive.
func readFrame(r io.Reader) (frame, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return frame{}, protocolErr("a frame header was cut short: %w", err)
		}
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n == 0 {
		return frame{}, protocolErr("a frame of length 0 (no kind)")
	}
	if n > maxFrame {
		return frame{}, protocolErr("a frame of %d bytes, more than the limit of %d", n, maxFrame)
	}
	if _, err := io.ReadFull(r, hdr[4:5]); err != nil {
		return frame{}, protocolErr("a frame was cut short: %w", io.ErrUnexpectedEOF)
	}
	f := frame{kind: hdr[4]}
	switch f.kind {
	case kindHello, kindCall, kindResult, kindError:
	default:
		return frame{}, protocolErr("a frame of unknown kind %q", f.kind)
	}
	rest := int64(n - 1)
	if rest <= 64<<10 {
		f.payload = make([]byte, rest)
		if _, err := io.ReadFull(r, f.payload); err != nil {
			return frame{}, protocolErr("a frame was cut short: %w", io.ErrUnexpectedEOF)
		}
		return f, nil
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, rest)
	if got < rest {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, protocolErr("a frame was cut short: %w", err)
	}
	f.payload = buf.Bytes()
	return f, nil
}

// encodeHello returns a hello frame.
func encodeHello(pid int) []byte {
	p := binary.AppendUvarint(nil, protocolVersion)
	p = binary.AppendUvarint(p, uint64(pid))
	return appendFrame(nil, kindHello, p)
}

// parseHello decodes a hello's payload.
func parseHello(p []byte) (version uint64, pid int, err error) {
	version, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, 0, protocolErr("a hello without a protocol version")
	}
	id, m := binary.Uvarint(p[n:])
	if m <= 0 || id == 0 || id > 1<<31 {
		return 0, 0, protocolErr("a hello without a valid process ID")
	}
	if n+m != len(p) {
		return 0, 0, protocolErr("a hello with %d bytes too many", len(p)-n-m)
	}
	return version, int(id), nil
}

// encodeCall returns a call frame.
func encodeCall(name string, arg []byte) []byte {
	return appendFrame(nil, kindCall, binary.AppendUvarint(nil, uint64(len(name))), []byte(name), arg)
}

// parseCall decodes a call's payload. arg aliases p.
func parseCall(p []byte) (name string, arg []byte, err error) {
	l, n := binary.Uvarint(p)
	if n <= 0 {
		return "", nil, protocolErr("a call without a name length")
	}
	if l == 0 || l > maxName || l > uint64(len(p)-n) {
		return "", nil, protocolErr("a call with a name of %d bytes (%d left)", l, len(p)-n)
	}
	b := p[n : n+int(l)]
	if !utf8.Valid(b) {
		return "", nil, protocolErr("a call with a name that is not UTF-8")
	}
	return string(b), p[n+int(l):], nil
}

// encodeError returns an error frame.
func encodeError(code uint64, msg string) []byte {
	return appendFrame(nil, kindError, binary.AppendUvarint(nil, code), []byte(msg))
}

// parseError decodes an error's payload.
func parseError(p []byte) (code uint64, msg string, err error) {
	code, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, "", protocolErr("an error without a code")
	}
	switch code {
	case codeFunc, codeUnknown, codeDecodeArg, codeEncodeRes:
	default:
		return 0, "", protocolErr("an error of unknown code %d", code)
	}
	if !utf8.Valid(p[n:]) {
		return 0, "", protocolErr("an error message that is not UTF-8")
	}
	return code, string(p[n:]), nil
}
