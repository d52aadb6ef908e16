package toprocess

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReadFrame feeds the frame decoder arbitrary bytes: it must never
// panic nor allocate for bytes that do not arrive, and whatever it accepts
// must survive a round trip through the encoders.
func FuzzReadFrame(f *testing.F) {
	f.Add(encodeHello(1234))
	f.Add(encodeCall("pkg.fn", []byte{3, 4, 0, 6}))
	f.Add(appendFrame(nil, kindResult, []byte("gob bytes")))
	f.Add(encodeError(codeFunc, "it failed"))
	f.Add(append(encodeHello(1), encodeCall("a", nil)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			fr, err := readFrame(r)
			if err != nil {
				if err != io.EOF && !errors.Is(err, errProtocol) {
					t.Fatalf("readFrame: an error that is neither io.EOF nor errProtocol: %v", err)
				}
				return
			}
			var again []byte
			switch fr.kind {
			case kindHello:
				v, pid, err := parseHello(fr.payload)
				if err != nil {
					continue
				}
				if v != protocolVersion {
					continue // encodeHello writes only the current version
				}
				again = encodeHello(pid)
			case kindCall:
				name, arg, err := parseCall(fr.payload)
				if err != nil {
					continue
				}
				again = encodeCall(name, arg)
			case kindResult:
				again = appendFrame(nil, kindResult, fr.payload)
			case kindError:
				code, msg, err := parseError(fr.payload)
				if err != nil {
					continue
				}
				again = encodeError(code, msg)
			default:
				t.Fatalf("readFrame returned a frame of unknown kind %q", fr.kind)
			}
			back, err := readFrame(bytes.NewReader(again))
			if err != nil || back.kind != fr.kind {
				t.Fatalf("re-encoded frame does not decode: %v (kind %q, want %q)", err, back.kind, fr.kind)
			}
			switch fr.kind {
			case kindCall:
				n1, a1, _ := parseCall(fr.payload)
				n2, a2, err := parseCall(back.payload)
				if err != nil || n1 != n2 || !bytes.Equal(a1, a2) {
					t.Fatalf("call round trip: %q %x -> %q %x (%v)", n1, a1, n2, a2, err)
				}
			case kindError:
				c1, m1, _ := parseError(fr.payload)
				c2, m2, err := parseError(back.payload)
				if err != nil || c1 != c2 || m1 != m2 {
					t.Fatalf("error round trip: %d %q -> %d %q (%v)", c1, m1, c2, m2, err)
				}
			case kindHello:
				_, p1, _ := parseHello(fr.payload)
				_, p2, err := parseHello(back.payload)
				if err != nil || p1 != p2 {
					t.Fatalf("hello round trip: %d -> %d (%v)", p1, p2, err)
				}
			case kindResult:
				if !bytes.Equal(fr.payload, back.payload) {
					t.Fatal("result round trip changed the payload")
				}
			}
		}
	})
}

func frameHeader(n uint32, kind byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), kind)
}

// readFrame's errors for malformed input.
func TestReadFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []byte
		wantEOF bool   // io.EOF itself: a clean end
		want    string // else an errProtocol naming this
	}{
		{"empty", nil, true, ""},
		{"cut header", []byte{0, 0}, false, "header was cut short"},
		{"zero length", []byte{0, 0, 0, 0}, false, "length 0"},
		{"too long", frameHeader(maxFrame+1, kindCall), false, "more than the limit"},
		{"no kind", []byte{0, 0, 0, 1}, false, "cut short"},
		{"unknown kind", frameHeader(1, 'x'), false, "unknown kind"},
		{"cut payload", append(frameHeader(10, kindResult), 1, 2, 3), false, "cut short"},
		{"lying length", append(frameHeader(maxFrame, kindResult), make([]byte, 100<<10)...), false, "cut short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readFrame(bytes.NewReader(tc.data))
			if tc.wantEOF {
				if err != io.EOF {
					t.Errorf("readFrame = %v, want io.EOF", err)
				}
				return
			}
			if !errors.Is(err, errProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readFrame = %v, want errProtocol saying %q", err, tc.want)
			}
		})
	}
	// A large frame that arrives whole decodes.
	big := bytes.Repeat([]byte{7}, 200<<10)
	f, err := readFrame(bytes.NewReader(appendFrame(nil, kindResult, big)))
	if err != nil || !bytes.Equal(f.payload, big) {
		t.Errorf("readFrame of a 200 KiB result = %d bytes, %v", len(f.payload), err)
	}
}

// The payload parsers refuse what the encoders never write.
func TestParseErrors(t *testing.T) {
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	for _, tc := range []struct {
		name  string
		parse func() error
	}{
		{"hello empty", func() error { _, _, err := parseHello(nil); return err }},
		{"hello no pid", func() error { _, _, err := parseHello(uv(1)); return err }},
		{"hello pid 0", func() error { _, _, err := parseHello(append(uv(1), uv(0)...)); return err }},
		{"hello trailing", func() error { _, _, err := parseHello(append(append(uv(1), uv(5)...), 9)); return err }},
		{"call empty", func() error { _, _, err := parseCall(nil); return err }},
		{"call empty name", func() error { _, _, err := parseCall(uv(0)); return err }},
		{"call long name", func() error { _, _, err := parseCall(append(uv(maxName+1), make([]byte, maxName+1)...)); return err }},
		{"call cut name", func() error { _, _, err := parseCall(append(uv(5), 'a')); return err }},
		{"call bad UTF-8", func() error { _, _, err := parseCall(append(uv(1), 0xff)); return err }},
		{"error empty", func() error { _, _, err := parseError(nil); return err }},
		{"error unknown code", func() error { _, _, err := parseError(uv(99)); return err }},
		{"error bad UTF-8", func() error { _, _, err := parseError(append(uv(codeFunc), 0xff)); return err }},
	} {
		if err := tc.parse(); !errors.Is(err, errProtocol) {
			t.Errorf("%s: %v, want errProtocol", tc.name, err)
		}
	}
}

// gobBytes encodes v as RunSync does.
func gobBytes(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
