package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/anyio-go/anyio"
)

// Completed is the result of [Run]: the child has exited and its output was
// read to the end (AnyIO's and Python's CompletedProcess).
type Completed struct {
	// Args is the command line that was run, as exec.Cmd.Args.
	Args []string
	// ReturnCode is the child's exit status, or the negative number of the
	// signal that killed it.
	ReturnCode int
	// Stdout and Stderr hold what the child wrote to them, when they were
	// piped ([Pipe], the default); nil otherwise.
	Stdout, Stderr []byte
}

// Shell returns the argv that runs cmd with the system shell, for [Run] and
// [Open]: /bin/sh -c cmd (on Windows, cmd.exe /c cmd). Quoting is the
// caller's job: never paste untrusted text into cmd.
func Shell(cmd string) []string { return shellArgv(cmd) }

// Run runs argv[0] with the arguments argv[1:], waits until it exits, and
// returns its return code and output (AnyIO's run_process). The program is
// looked up in $PATH as exec.Command does; use [Shell] for a shell command
// line.
//
// By default the child inherits the standard input, and its standard output
// and error are collected into [Completed]; [Input] feeds it bytes, and
// [Stdin], [Stdout] and [Stderr] connect its streams elsewhere. With
// [Check] on (the default), a return code other than 0 is a *[CalledError],
// which holds the code and the output and unwraps to the *exec.ExitError.
// Run reads the output to its end: a process that the child started and that
// keeps the output pipes open keeps Run waiting, until ctx is cancelled.
//
// When ctx is cancelled, Run kills the child (SIGKILL; its whole process
// group with [StartNewSession]), waits until it is reaped, closes the pipes
// and returns a cancellation error: nothing is left running or open.
//
// Run returns an error matching [ErrInvalidArgument] for arguments it cannot
// use, and an error that names the program when it cannot be started
// (matching exec.ErrNotFound when it is not in $PATH, fs.ErrNotExist when its
// path does not exist); in those cases nothing was started.
func Run(ctx context.Context, argv []string, opts ...Option) (*Completed, error) {
	cfg := newConfig()
	for _, o := range opts {
		if o != nil {
			o.applyRun(cfg)
		}
	}
	cmd, err := command(argv)
	if err != nil {
		return nil, err
	}
	return run(ctx, cmd, cfg)
}

// RunCmd is [Run] for an *exec.Cmd that the caller made, for instance with
// exec.Command: its Path, Args, Dir, Env, ExtraFiles and SysProcAttr are
// kept, and the options given override them. Its Stdin, Stdout and Stderr
// must be nil (the defaults of Run apply) or *os.File values; other readers
// and writers are an error matching [ErrInvalidArgument]. RunCmd starts cmd
// itself: afterwards cmd.Process and cmd.ProcessState are set, as after
// cmd.Run.
func RunCmd(ctx context.Context, cmd *exec.Cmd, opts ...Option) (*Completed, error) {
	cfg := newConfig()
	for _, o := range opts {
		if o != nil {
			o.applyRun(cfg)
		}
	}
	return run(ctx, cmd, cfg)
}

func run(ctx context.Context, cmd *exec.Cmd, cfg *config) (*Completed, error) {
	p, err := start(ctx, cmd, cfg, true)
	if err != nil {
		return nil, err
	}
	var stdout, stderr *bytes.Buffer
	err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		if p.stdout != nil {
			stdout = new(bytes.Buffer)
			tg.StartSoon(func(ctx context.Context) error { return drain(ctx, p.stdout, stdout) },
				anyio.TaskName(fmt.Sprintf("process.Run: reading the stdout of %v", p)))
		}
		if p.stderr != nil {
			stderr = new(bytes.Buffer)
			tg.StartSoon(func(ctx context.Context) error { return drain(ctx, p.stderr, stderr) },
				anyio.TaskName(fmt.Sprintf("process.Run: reading the stderr of %v", p)))
		}
		if p.stdin != nil {
			tg.StartSoon(func(ctx context.Context) error { return feed(ctx, p.stdin, cfg.input) },
				anyio.TaskName(fmt.Sprintf("process.Run: writing the stdin of %v", p)))
		}
		_, err := p.Wait(ctx)
		return err
	})
	if err != nil {
		// Cancelled, or a pipe failed: the child must not outlive Run.
		p.Close(cancelledCtx)
		return nil, err
	}
	p.closePipes()
	code, _ := p.ReturnCode()
	c := &Completed{Args: cmd.Args, ReturnCode: code}
	if stdout != nil {
		c.Stdout = stdout.Bytes()
	}
	if stderr != nil {
		c.Stderr = stderr.Bytes()
	}
	if cfg.check && code != 0 {
		var exit *exec.ExitError
		errors.As(p.waitErr, &exit)
		return nil, &CalledError{ReturnCode: code, Args: c.Args, Stdout: c.Stdout, Stderr: c.Stderr, exit: exit}
	}
	return c, nil
}

// cancelledCtx closes a process forcefully.
var cancelledCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// drain reads s to its end into buf, receiving straight into buf's spare
// room, which grows as bytes.Buffer.ReadFrom grows it.
func drain(ctx context.Context, s *pipeReceive, buf *bytes.Buffer) error {
	for {
		buf.Grow(bytes.MinRead)
		room := buf.AvailableBuffer()
		room = room[:cap(room)]
		n, err := s.Receive(ctx, room)
		buf.Write(room[:n])
		if errors.Is(err, anyio.ErrEndOfStream) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// feed writes input to s and closes it. A child that exits (or closes its
// input) without reading everything is no error, as in Python's
// subprocess.run.
func feed(ctx context.Context, s *pipeSend, input []byte) error {
	err := s.Send(ctx, input)
	if errors.Is(err, anyio.ErrBrokenResource) {
		err = nil
	}
	s.Close(ctx)
	return err
}
