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
// registered functions until its parent closes the pipe (it is done with the
// worker, or it died), then exits the process without returning. A worker
// ignores SIGINT (a terminal's Ctrl-C reaches the whole process group): its
// parent decides when it ends. Its stdout and stderr are its parent's
// (stderr passes through the parent, which keeps its end for
// BrokenWorkerProcessError).
func Init() {
	if os.Getenv(envWorker) != "1" {
		initCalled.Store(true)
		return
	}
	// Programs the worker starts are no workers, and do not inherit the
	// pipes (which would keep them open after the worker's end).
	os.Unsetenv(envWorker)
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	signal.Ignore(os.Interrupt)
	in := os.NewFile(3, "anyio-toprocess-requests")
	out := os.NewFile(4, "anyio-toprocess-answers")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "anyio/toprocess: started as a worker process without its pipes")
		os.Exit(2)
	}
	os.Exit(serve(in, out, func(code int) { os.Exit(code) }))
}

// serve is a worker's loop: it says hello, then answers each call read from
// in on out, one at a time. Requests are read in a goroutine of their own,
// so that the end of in (the parent is gone) is seen at once, also during
// a long call: serve then calls exit(0). A malformed request calls exit(2).
// serve returns the exit code when it cannot write to out.
func serve(in io.Reader, out io.Writer, exit func(code int)) int {
	if _, err := out.Write(encodeHello(os.Getpid())); err != nil {
		return 0 // the parent is gone already
	}
	calls := make(chan frame)
	go func() {
		br := bufio.NewReader(in)
		for {
			f, err := readFrame(br)
			if err == io.EOF {
				exit(0)
				close(calls) // reached only where exit returns (tests)
				return
			}
			if err == nil && f.kind != kindCall {
				err = protocolErr("a request of kind %q", f.kind)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "anyio/toprocess: worker process:", err)
				exit(2)
				close(calls)
				return
			}
			calls <- f
		}
	}()
	for f := range calls {
		if _, err := out.Write(answer(f.payload)); err != nil {
			return 0
		}
	}
	return 0
}

// answer runs the call in payload and returns the frame that answers it.
// A panic of the function is not recovered: it ends the worker, and its
// parent reports the panic's message from stderr.
func answer(payload []byte) []byte {
	name, arg, err := parseCall(payload)
	if err != nil {
		fmt.Fprintln(os.Stderr, "anyio/toprocess: worker process:", err)
		os.Exit(2)
	}
	h, ok := lookup(name)
	if !ok {
		return encodeError(codeUnknown, fmt.Sprintf("no function is registered as %q in the worker", name))
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
		return encodeError(code, strings.ToValidUTF8(ferr.Error(), "\uFFFD"))
	}
	if len(res) >= maxFrame {
		return encodeError(codeEncodeRes, fmt.Sprintf("the result takes %d bytes, more than the limit of %d", len(res), maxFrame-1))
	}
	return appendFrame(nil, kindResult, res)
}
