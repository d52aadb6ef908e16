package process

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

var (
	// ErrInvalidArgument is matched by the errors that [Run], [RunCmd],
	// [Open] and [OpenCmd] return for arguments they cannot use, before
	// anything is started: an empty argv, an unknown redirect, both [Input]
	// and [Stdin], a closed file, an [Env] entry without "=", a [Umask] out
	// of range, an unknown user or group. The message says which.
	ErrInvalidArgument = errors.New("anyio/process: invalid argument")

	// ErrUmaskUnsupported is matched by the error that [Run] and [Open]
	// return when [Umask] is given on a system where anyio cannot set a
	// child's umask without changing the parent's (see [Umask]). Nothing is
	// started.
	ErrUmaskUnsupported = errors.New("anyio/process: Umask is not supported on this system")
)

// invalidError is an error matching ErrInvalidArgument with its own
// message, and wrapping the error that revealed the problem, if any.
type invalidError struct {
	msg   string
	cause error
}

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

func (e *invalidError) Error() string {
	if e.cause != nil {
		return "anyio/process: " + e.msg + ": " + e.cause.Error()
	}
	return "anyio/process: " + e.msg
}

// Is reports whether target is ErrInvalidArgument.
func (e *invalidError) Is(target error) bool { return target == ErrInvalidArgument }

func (e *invalidError) Unwrap() error { return e.cause }

// CalledError is returned by [Run] and [RunCmd] when the child exits with a
// return code other than 0 and [Check] is on, as it is by default (AnyIO's
// and Python's CalledProcessError). It carries what [Completed] would have,
// and unwraps to the *exec.ExitError of the child, so errors.As(err,
// &exitErr) works as it does with os/exec.
type CalledError struct {
	// ReturnCode is the child's exit status, or the negative number of the
	// signal that killed it (-9 for SIGKILL).
	ReturnCode int
	// Args is the command line that was run, as exec.Cmd.Args.
	Args []string
	// Stdout and Stderr hold what the child wrote to them, when they were
	// piped ([Pipe], the default); nil otherwise.
	Stdout, Stderr []byte

	exit *exec.ExitError
}

// Error says which command failed and how, for instance
// `anyio/process: command ["false"] returned non-zero exit status 1`.
func (e *CalledError) Error() string {
	if e.ReturnCode < 0 {
		return fmt.Sprintf("anyio/process: command %q died with signal %d (%v)",
			e.Args, -e.ReturnCode, syscall.Signal(-e.ReturnCode))
	}
	return fmt.Sprintf("anyio/process: command %q returned non-zero exit status %d", e.Args, e.ReturnCode)
}

// Unwrap returns the *exec.ExitError of the child.
func (e *CalledError) Unwrap() error {
	if e.exit == nil {
		return nil
	}
	return e.exit
}
