package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
	"github.com/anyio-go/anyio/internal/wait"
)

// Process is a running child process started by [Open] or [OpenCmd]
// (AnyIO's Process). Its methods are safe for concurrent use.
//
// Close it when done, as AnyIO's "async with" does: [Process.Close] closes
// the pipes and waits for the child, killing it if its context is
// cancelled. Until the child has been waited for, a goroutine of the
// package waits for it, so that it is reaped as soon as it exits, whether
// or not anybody calls Wait.
type Process struct {
	cmd         *exec.Cmd
	pid         int
	name        string // the base name of argv[0], for DumpTasks
	groupLeader bool   // the child leads its own process group
	stdin       *pipeSend
	stdout      *pipeReceive
	stderr      *pipeReceive

	mu      sync.Mutex
	reaping bool // the child is being reaped: its pid may name another process soon
	exited  bool
	code    int
	waitErr error // of exec.Cmd.Wait: an *exec.ExitError for a code other than 0
	q       wait.Queue[struct{}]
	info    core.WaitInfo
	done    chan struct{} // closed once the child is reaped
}

// Open starts argv[0] with the arguments argv[1:] (AnyIO's open_process) and
// returns at once. The program is looked up in $PATH as exec.Command does;
// use [Shell] for a shell command line.
//
// By default the child's standard input, output and error are pipes, read
// and written through [Process.Stdin], [Process.Stdout] and
// [Process.Stderr]; [Stdin], [Stdout] and [Stderr] connect them elsewhere.
// The other options are those of [Run] but [Input] and [Check].
//
// Open returns an error matching [ErrInvalidArgument] for arguments it
// cannot use, a cancellation error when ctx is cancelled, and an error that
// names the program when it cannot be started (matching exec.ErrNotFound
// when it is not in $PATH, fs.ErrNotExist when its path does not exist); in
// each of these cases nothing was started and no descriptor is left open.
func Open(ctx context.Context, argv []string, opts ...OpenOption) (*Process, error) {
	cfg := newConfig()
	for _, o := range opts {
		if o != nil {
			o.applyOpen(cfg)
		}
	}
	cmd, err := command(argv)
	if err != nil {
		return nil, err
	}
	return start(ctx, cmd, cfg, false)
}

// OpenCmd is [Open] for an *exec.Cmd that the caller made, for instance with
// exec.Command: its Path, Args, Dir, Env, ExtraFiles and SysProcAttr are
// kept, and the options given override them. Its Stdin, Stdout and Stderr
// must be nil (the defaults of Open apply) or *os.File values (used as
// [Stdin] with that file would be); other readers and writers are an error
// matching [ErrInvalidArgument]. OpenCmd starts cmd itself: afterwards
// cmd.Process is set, and cmd.ProcessState once the child was reaped. Do
// not call cmd's Start, Wait, Run or Output.
func OpenCmd(ctx context.Context, cmd *exec.Cmd, opts ...OpenOption) (*Process, error) {
	cfg := newConfig()
	for _, o := range opts {
		if o != nil {
			o.applyOpen(cfg)
		}
	}
	return start(ctx, cmd, cfg, false)
}

// reap waits for the child to exit, reaps it and wakes the tasks in Wait.
func (p *Process) reap() {
	if waitExited(p.pid) {
		// The child is a zombie: from here on, its process group ID may
		// not outlive the reap below, so no group kill any more.
		p.mu.Lock()
		p.reaping = true
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	code := -1
	if st := p.cmd.ProcessState; st != nil {
		code = returnCode(st)
	}
	p.mu.Lock()
	p.reaping, p.exited = true, true
	p.code, p.waitErr = code, err
	for w := p.q.PopReady(); w != nil; w = p.q.PopReady() {
		w.Hand(struct{}{})
	}
	p.mu.Unlock()
	close(p.done)
}

// returnCode is AnyIO's return code: the exit status, or the negative number
// of the signal that killed the child.
func returnCode(st *os.ProcessState) int {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return st.ExitCode()
}

// PID returns the child's process ID.
func (p *Process) PID() int { return p.pid }

// ReturnCode returns the child's return code and true once it has exited and
// been reaped: its exit status, or the negative number of the signal that
// killed it (-15 after [Process.Terminate], -9 after [Process.Kill]). Until
// then it returns 0 and false. It never blocks.
func (p *Process) ReturnCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, p.exited
}

// Wait blocks until the child exits and returns its return code (see
// [Process.ReturnCode]). It returns as soon as the child has exited, even
// when a process it started still holds its pipes open. Any number of tasks
// may wait at once.
//
// When ctx is cancelled, Wait kills the child (SIGKILL; its whole process
// group when it was started with [StartNewSession]), waits until it is
// reaped, and returns a cancellation error. As everywhere in anyio,
// cancellation is level-triggered: in a cancelled scope, Wait returns the
// cancellation error also when the child has already exited (its code is
// then in ReturnCode).
func (p *Process) Wait(ctx context.Context) (int, error) {
	if ctx.Err() == nil && p.waitExit(ctx) {
		code, _ := p.ReturnCode()
		return code, nil
	}
	p.killForCancel()
	<-p.done // prompt: the child was killed
	return 0, core.CancelErr(ctx)
}

// waitExit parks until the child is reaped (true) or ctx is cancelled
// (false).
func (p *Process) waitExit(ctx context.Context) bool {
	p.mu.Lock()
	if p.exited {
		p.mu.Unlock()
		return true
	}
	w := wait.New[struct{}](ctx)
	p.q.Push(w)
	p.mu.Unlock()
	if w.Await(&p.mu, &p.q, &p.info) {
		w.Free()
		return true
	}
	handed := w.Handed // p.mu is held
	p.mu.Unlock()
	w.Free()
	return handed
}

// killForCancel kills the child, and its process group when it leads one,
// unless it was reaped already.
func (p *Process) killForCancel() {
	p.mu.Lock()
	if p.groupLeader && !p.reaping {
		killGroup(p.pid)
	}
	exited := p.exited
	p.mu.Unlock()
	if !exited {
		p.cmd.Process.Kill() // the child may have left its group
	}
}

// Kill kills the child with SIGKILL (on Windows, TerminateProcess). It
// does not wait: call [Process.Wait] for that. After the child has exited
// it does nothing and returns nil, as Python's Popen.kill does.
func (p *Process) Kill() error { return p.signalErr(p.cmd.Process.Kill()) }

// Terminate asks the child to end with SIGTERM (on Windows it kills it). It
// does not wait; after the child has exited it does nothing.
func (p *Process) Terminate() error { return p.signalErr(terminate(p.cmd.Process)) }

// Signal sends sig to the child (AnyIO's send_signal); after the child has
// exited it does nothing. It does not wait.
func (p *Process) Signal(sig os.Signal) error { return p.signalErr(p.cmd.Process.Signal(sig)) }

func (p *Process) signalErr(err error) error {
	if err == nil || errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return fmt.Errorf("anyio/process: signalling process %d (%s): %w", p.pid, p.name, err)
}

// Stdin returns the stream that writes to the child's standard input, or
// nil when it is not a pipe. Closing it gives the child the end of its
// input. Send returns an error matching anyio.ErrBrokenResource once the
// child has closed its end (exited), and anyio.ErrClosedResource once the
// stream or the process was closed.
func (p *Process) Stdin() anyio.ByteSendStream {
	if p.stdin == nil {
		return nil
	}
	return p.stdin
}

// Stdout returns the stream that reads the child's standard output, or nil
// when it is not a pipe. Receive returns anyio.ErrEndOfStream once the child
// (and every process that inherited the pipe) has closed it, and
// anyio.ErrClosedResource once the stream or the process was closed.
// Closing it makes the child's later writes fail (SIGPIPE).
func (p *Process) Stdout() anyio.ByteReceiveStream {
	if p.stdout == nil {
		return nil
	}
	return p.stdout
}

// Stderr returns the stream that reads the child's standard error, or nil
// when it is not a pipe; it behaves as [Process.Stdout].
func (p *Process) Stderr() anyio.ByteReceiveStream {
	if p.stderr == nil {
		return nil
	}
	return p.stderr
}

// Close closes the pipes to and from the child, then waits for it to exit
// (AnyIO's aclose). Closing the output pipes first means that a child
// blocked writing to a full pipe gets SIGPIPE rather than blocking Close
// forever; a child that runs on regardless is waited for. When ctx is
// cancelled (also before the call, as with anyio.CloseForcefully), Close
// kills the child (its process group with [StartNewSession]), waits until it
// is reaped and returns a cancellation error. Close is idempotent: once the
// child is reaped it returns nil.
func (p *Process) Close(ctx context.Context) error {
	p.closePipes()
	if ctx.Err() == nil && p.waitExit(ctx) {
		return nil
	}
	if _, exited := p.ReturnCode(); exited {
		return nil
	}
	p.killForCancel()
	<-p.done
	return core.CancelErr(ctx)
}

// closePipes closes the parent's ends of the pipes.
func (p *Process) closePipes() {
	if p.stdin != nil {
		p.stdin.Close(context.Background())
	}
	if p.stdout != nil {
		p.stdout.Close(context.Background())
	}
	if p.stderr != nil {
		p.stderr.Close(context.Background())
	}
}

// String describes the process, e.g. "process 1234 (cat)".
func (p *Process) String() string { return fmt.Sprintf("process %d (%s)", p.pid, p.name) }
