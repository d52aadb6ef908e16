package toprocess

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// MaxIdleTime is how long an idle worker process waits for its next call
// before it exits (AnyIO's WORKER_MAX_IDLE_TIME).
const MaxIdleTime = 5 * time.Minute

// StartTimeout bounds the start of a worker process, until it says it is
// ready (AnyIO waits as long for its READY line). A worker that takes longer
// most likely runs main instead of serving: Init is not main's first line.
const StartTimeout = 20 * time.Second

// envWorker marks the environment of a worker process.
const envWorker = "ANYIO_TOPROCESS_WORKER"

// stderrTail is how much of a worker's stderr a BrokenWorkerProcessError
// keeps.
const stderrTail = 4 << 10

var (
	maxIdle = MaxIdleTime // tests shorten it
	// stderrSink receives the workers' stderr (nil: os.Stderr); tests
	// replace it.
	stderrSink io.Writer
	// onExpire, if set, is called with the PID of a worker whose idle
	// time is up (tests wait for it).
	onExpire func(pid int)
)

// BrokenWorkerProcessError is returned by RunSync when the worker process
// died before it answered: it crashed, panicked, called os.Exit, was killed
// from outside, did not start, or sent a malformed answer (AnyIO's
// BrokenWorkerProcess).
type BrokenWorkerProcessError struct {
	Func     string // the function being run; "" if the worker died starting
	PID      int    // the worker's process ID (0 if it never started)
	ExitCode int    // its exit status; -N if signal N killed it
	Stderr   []byte // the end of what it wrote to stderr (at most 4 KiB)
	Err      error  // what the parent saw: the end of the pipe, a malformed message
}

func (e *BrokenWorkerProcessError) Error() string {
	what := "while starting"
	if e.Func != "" {
		what = "while running " + e.Func
	}
	msg := fmt.Sprintf("anyio/toprocess: worker process %d broke %s (exit status %d): %v", e.PID, what, e.ExitCode, e.Err)
	if len(e.Stderr) > 0 {
		msg += "; the end of its stderr:\n" + string(e.Stderr)
	}
	return msg
}

// Unwrap returns Err.
func (e *BrokenWorkerProcessError) Unwrap() error { return e.Err }

// worker is a worker process, seen from its parent. One task at a time
// uses it: it writes a call and reads the answer itself, so that an answer
// reaches the waiting task with no goroutine in between.
type worker struct {
	cmd    *exec.Cmd
	pid    int
	reqW   *os.File // the worker's descriptor 3 is the other end
	respR  *os.File // the worker's descriptor 4 is the other end
	lifeW  *os.File // never written: the worker's descriptor 5 hangs up when it closes
	br     *bufio.Reader
	stderr *tailWriter
	onDead func() // runs once the process is reaped

	exited   chan struct{} // closed once the process is reaped
	exitCode int           // set before exited closes
	broken   bool          // a call failed: the worker is of no use

	// Guarded by the pool's mu: when the worker last went idle, and the
	// timer that ends its idle time.
	idleSince time.Time
	idleTimer *time.Timer
}

var waitInfo = &core.WaitInfo{What: "toprocess.RunSync"}

// startWorker starts a worker process and waits until it is ready.
// onDead runs once the worker process has ended and been reaped.
func startWorker(ctx context.Context, onDead func()) (*worker, error) {
	exe, err := os.Executable()
	if err != nil {
		onDead()
		return nil, fmt.Errorf("anyio/toprocess: cannot find this program's executable to start a worker: %w", err)
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		onDead()
		return nil, fmt.Errorf("anyio/toprocess: cannot start a worker process: %w", err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		onDead()
		return nil, fmt.Errorf("anyio/toprocess: cannot start a worker process: %w", err)
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		respR.Close()
		respW.Close()
		onDead()
		return nil, fmt.Errorf("anyio/toprocess: cannot start a worker process: %w", err)
	}
	sink := stderrSink
	if sink == nil {
		sink = os.Stderr
	}
	w := &worker{
		reqW: reqW, respR: respR, lifeW: lifeW, br: bufio.NewReader(respR), stderr: &tailWriter{dst: sink},
		onDead: onDead, exited: make(chan struct{}),
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envWorker+"=1")
	if raceEnabled {
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	cmd.ExtraFiles = []*os.File{reqR, respW, lifeR}
	cmd.Stdout = os.Stdout
	cmd.Stderr = w.stderr
	cmd.WaitDelay = time.Second // a grandchild holding its stderr delays no one
	w.cmd = cmd
	err = cmd.Start()
	reqR.Close()
	respW.Close()
	lifeR.Close()
	if err != nil {
		reqW.Close()
		respR.Close()
		lifeW.Close()
		onDead()
		return nil, fmt.Errorf("anyio/toprocess: cannot start a worker process: %w", err)
	}
	w.pid = cmd.Process.Pid
	go w.reap()

	timeout := time.AfterFunc(StartTimeout, w.kill)
	f, err := w.receive(ctx, true, "")
	if !timeout.Stop() {
		w.kill() // wait for the timer's kill
		if err == nil || ctx.Err() == nil {
			err = w.brokenErr("", fmt.Errorf("the worker was not ready within %v: is toprocess.Init the first line of main?", StartTimeout))
		}
	}
	if err != nil {
		return nil, err
	}
	if f.kind != kindHello {
		return nil, w.breakOff("", protocolErr("the worker's first message is of kind %q, not a hello", f.kind))
	}
	version, pid, err := parseHello(f.payload)
	if err == nil && (version != protocolVersion || pid != w.pid) {
		err = protocolErr("a hello of protocol %d from process %d; want protocol %d from process %d", version, pid, protocolVersion, w.pid)
	}
	if err != nil {
		return nil, w.breakOff("", err)
	}
	return w, nil
}

// reap waits for the process to end; then a read of its answers drains
// what the process wrote before it ended, but waits no more (a grandchild
// may hold the pipe).
func (w *worker) reap() {
	_ = w.cmd.Wait()
	w.exitCode = exitCode(w.cmd.ProcessState)
	_ = w.respR.SetReadDeadline(time.Now().Add(time.Second))
	w.reqW.Close()
	w.lifeW.Close()
	w.onDead()
	close(w.exited)
}

func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return ps.ExitCode()
}

// receive parks the task of ctx until it has read the worker's next frame.
// With cancellable, a cancellation of ctx kills the worker. An error other
// than the cancellation means that the worker is dead (and reaped): it is
// a *BrokenWorkerProcessError.
//
// The task parks in a read of a pipe: between the answer's arrival and the
// task's return from the read, WaitAllTasksBlocked may count it as blocked
// still.
func (w *worker) receive(ctx context.Context, cancellable bool, fn string) (frame, error) {
	t := core.TaskOf(ctx)
	stop := func() bool { return true }
	if cancellable {
		stop = context.AfterFunc(ctx, w.kill)
		t.ParkDone(ctx.Done(), waitInfo)
	} else {
		t.Park(waitInfo)
	}
	f, err := readFrame(w.br)
	t.Unpark()
	if !stop() {
		// Cancelled: the worker is being killed, whatever it answered.
		w.kill()
		w.broken = true
		return frame{}, core.CancelErr(ctx)
	}
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, os.ErrDeadlineExceeded) {
		// Nonsense: the worker is of no use any more.
		return frame{}, w.breakOff(fn, err)
	}
	// The process ended (or closed its end of the pipe: it will).
	w.kill()
	return frame{}, w.brokenErr(fn, io.ErrUnexpectedEOF)
}

// breakOff kills the worker for err and returns the error to report.
func (w *worker) breakOff(fn string, err error) error {
	w.kill()
	return w.brokenErr(fn, err)
}

// kill kills the process and waits until it is reaped.
func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	<-w.exited
}

// stop asks an idle worker to exit: it exits once its pipes close.
func (w *worker) stop() {
	w.reqW.Close()
	w.lifeW.Close()
}

func (w *worker) isDead() bool {
	select {
	case <-w.exited:
		return true
	default:
		return false
	}
}

// brokenErr returns the error for a worker that died; it is reaped.
func (w *worker) brokenErr(fn string, err error) error {
	w.broken = true
	return &BrokenWorkerProcessError{Func: fn, PID: w.pid, ExitCode: w.exitCode, Stderr: w.stderr.tail(), Err: err}
}

// call runs a call on the worker; see the package's call.
func (w *worker) call(ctx context.Context, name string, arg []byte, cancellable bool) ([]byte, error) {
	if _, err := w.reqW.Write(encodeCall(name, arg)); err != nil {
		// The worker is gone: report what killed it.
		return nil, w.breakOff(name, err)
	}
	f, err := w.receive(ctx, cancellable, name)
	if err != nil {
		return nil, err
	}
	var res []byte
	switch f.kind {
	case kindResult:
		res = f.payload
	case kindError:
		code, msg, perr := parseError(f.payload)
		switch {
		case perr != nil:
			return nil, w.breakOff(name, perr)
		case code == codeFunc:
			err = &FuncError{Func: name, Message: msg}
		case code == codeUnknown:
			err = fmt.Errorf("%w: the worker process says: %s", ErrNotRegistered, msg)
		default:
			err = fmt.Errorf("%w: the worker process says: %s", ErrDecode, msg)
		}
	default:
		return nil, w.breakOff(name, protocolErr("an answer of kind %q", f.kind))
	}
	if ctx.Err() != nil {
		// Not cancellable: the call ran to its end, and the caller is
		// told about the cancellation that came meanwhile.
		if err != nil {
			return res, errors.Join(err, core.CancelErr(ctx))
		}
		return res, core.CancelErr(ctx)
	}
	return res, err
}

// tailWriter passes a worker's stderr on and keeps its last bytes.
type tailWriter struct {
	dst io.Writer
	mu  sync.Mutex
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > stderrTail {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-stderrTail:]...)
	}
	t.mu.Unlock()
	// The parent's stderr failing is no reason to stop the worker.
	_, _ = t.dst.Write(p)
	return len(p), nil
}

func (t *tailWriter) tail() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
