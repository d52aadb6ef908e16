package toprocess

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/anyio-go/anyio"
)

// Init makes this process serve as a worker process if it was started as
// one, and returns at once otherwise. Call it as the first line of main, and
// of TestMain in a test binary whose tests use toprocess:
//
//	func main() {
//		toprocess.Init()
//		...
//	}
//
// A worker is this same executable started again by RunSync, with the same
// arguments and a marker in its environment: there Init serves calls of the
// registered functions until its parent closes its pipes (it is done with
// the worker, or it died, also in the middle of a call), then exits the
// process without returning. A worker ignores SIGINT (a terminal's Ctrl-C reaches
// the whole process group): its parent decides when it ends. Its stdout is
// its parent's; its stderr passes through its parent to the parent's
// stderr, and the parent keeps the end of it for BrokenWorkerProcessError.
func Init() {
	// A worker's functions may use worker processes of their own.
	initCalled.Store(true)
	if os.Getenv(envWorker) != "1" {
		return
	}
	// Programs the worker starts are no workers, and do not inherit the
	// pipes (which would keep them open after the worker's end).
	os.Unsetenv(envWorker)
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	syscall.CloseOnExec(5)
	signal.Ignore(os.Interrupt)
	in := os.NewFile(3, "anyio-toprocess-requests")
	out := os.NewFile(4, "anyio-toprocess-answers")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "anyio/toprocess: started as a worker process without its pipes")
		os.Exit(2)
	}
	go watchParent(5)
	os.Exit(serve(in, out))
}

// serve is a worker's loop: it says hello, then answers each call read from
// in on out, one at a time, until the end of in. It returns the process's
// exit code: 0 at the end of in (or when out is gone), 2 for a malformed
// request.
func serve(in io.Reader, out io.Writer) int {
	if _, err := out.Write(encodeHello(os.Getpid())); err != nil {
		return 0 // the parent is gone already
	}
	br := bufio.NewReader(in)
	for {
		f, err := readFrame(br)
		if err == io.EOF {
			return 0
		}
		if err == nil && f.kind != kindCall {
			err = protocolErr("a request of kind %q", f.kind)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "anyio/toprocess: worker process:", err)
			return 2
		}
		ans, ok := answer(f.payload)
		if !ok {
			return 2
		}
		if _, err := out.Write(ans); err != nil {
			return 0
		}
	}
}

// answer runs the call in payload and returns the frame that answers it,
// or false for a malformed call. A panic of the function is not
// recovered: it ends the worker, and its parent reports the panic's
// message from stderr.
func answer(payload []byte) ([]byte, bool) {
	name, arg, err := parseCall(payload)
	if err != nil {
		fmt.Fprintln(os.Stderr, "anyio/toprocess: worker process:", err)
		return nil, false
	}
	h, ok := lookup(name)
	if !ok {
		return encodeError(codeUnknown, fmt.Sprintf("no function is registered as %q in the worker", name)), true
	}
	var (
		res  []byte
		code uint64
		ferr error
	)
	// The root task returns nil: the Run fails only by a panic, which
	// ends the worker.
	_ = anyio.Run(context.Background(), func(ctx context.Context) error {
		res, code, ferr = h(ctx, arg)
		return nil
	})
	if ferr != nil {
		return encodeError(code, strings.ToValidUTF8(ferr.Error(), "\uFFFD")), true
	}
	if len(res) >= maxFrame {
		return encodeError(codeEncodeRes, fmt.Sprintf("the result takes %d bytes, more than the limit of %d", len(res), maxFrame-1)), true
	}
	return appendFrame(nil, kindResult, res), true
}
