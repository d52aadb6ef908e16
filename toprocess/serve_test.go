package toprocess

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

var (
	double = Register("toprocess.internal_test.double", func(ctx context.Context, n int) (int, error) { return 2 * n, nil })
	fail   = Register("toprocess.internal_test.fail", func(ctx context.Context, s string) (int, error) { return 0, errors.New(s) })
)

// The worker's loop, run in this process over pipes: it says hello,
// answers calls, reports unknown functions and undecodable arguments, and
// ends at the end of its input.
func TestServe(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	exited := make(chan int, 1)
	go func() { exited <- serve(inR, outW) }()
	br := bufio.NewReader(outR)
	f, err := readFrame(br)
	if err != nil || f.kind != kindHello {
		t.Fatalf("first frame = %q, %v; want a hello", f.kind, err)
	}
	if v, pid, err := parseHello(f.payload); v != protocolVersion || pid != os.Getpid() || err != nil {
		t.Errorf("hello = version %d, PID %d, %v", v, pid, err)
	}
	roundTrip := func(name string, arg []byte) frame {
		t.Helper()
		if _, err := inW.Write(encodeCall(name, arg)); err != nil {
			t.Fatal(err)
		}
		f, err := readFrame(br)
		if err != nil {
			t.Fatalf("reading the answer to %s: %v", name, err)
		}
		return f
	}
	f = roundTrip(double.Name(), gobBytes(t, 21))
	var got int
	if f.kind != kindResult || gob.NewDecoder(bytes.NewReader(f.payload)).Decode(&got) != nil || got != 42 {
		t.Errorf("double(21) = %q frame, %d; want a result of 42", f.kind, got)
	}
	for _, tc := range []struct {
		name, fn string
		arg      []byte
		code     uint64
		msg      string
	}{
		{"unknown", "no.such.function", nil, codeUnknown, `"no.such.function"`},
		{"bad argument", double.Name(), []byte{1, 2, 3}, codeDecodeArg, ""},
		{"function error", fail.Name(), gobBytes(t, "it failed\xff"), codeFunc, "it failed\uFFFD"},
	} {
		f := roundTrip(tc.fn, tc.arg)
		code, msg, err := parseError(f.payload)
		if f.kind != kindError || err != nil || code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: answer %q: code %d, %q, %v; want code %d saying %q", tc.name, f.kind, code, msg, err, tc.code, tc.msg)
		}
	}
	inW.Close()
	if code := <-exited; code != 0 {
		t.Errorf("exit code at the end of the input = %d, want 0", code)
	}
	outW.Close()
}

// A request of another kind than a call ends the worker with code 2.
func TestServeMalformedRequest(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	exited := make(chan int, 1)
	go func() { exited <- serve(inR, outW) }()
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if _, err := inW.Write(encodeHello(1)); err != nil {
		t.Fatal(err)
	}
	if code := <-exited; code != 2 {
		t.Errorf("exit code after a hello sent to the worker = %d, want 2", code)
	}
	inW.Close()
	outW.Close()
}
