package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/anyio-go/anyio/internal/core"
)

var stdioNames = [3]string{"Stdin", "Stdout", "Stderr"}

// stdio is where one standard stream of the child goes: a redirect, or a
// file when kind is 0.
type stdio struct {
	kind Redirect
	file *os.File
}

// command checks argv and makes the exec.Cmd for Run and Open.
func command(argv []string) (*exec.Cmd, error) {
	if len(argv) == 0 {
		return nil, invalid("the command line is empty: give the program to run as argv[0]")
	}
	if argv[0] == "" {
		return nil, invalid("argv[0] is empty: give the program to run")
	}
	return exec.Command(argv[0], argv[1:]...), nil
}

// start checks cmd and cfg, then starts cmd with the options of cfg applied
// over cmd's own settings. forRun selects Run's defaults. Nothing is started
// when an argument is wrong or ctx is cancelled.
func start(ctx context.Context, cmd *exec.Cmd, cfg *config, forRun bool) (*Process, error) {
	if cmd == nil {
		return nil, invalid("the *exec.Cmd is nil")
	}
	if cmd.Process != nil {
		return nil, invalid("the *exec.Cmd was already started: make a new one for each run")
	}
	if cmd.Path == "" && cmd.Err == nil {
		return nil, invalid("the *exec.Cmd has no Path: make it with exec.Command")
	}
	if len(cmd.Args) == 0 {
		cmd.Args = []string{cmd.Path}
	}
	targets, err := stdioTargets(cmd, cfg, forRun)
	if err != nil {
		return nil, err
	}
	if cfg.dirSet {
		cmd.Dir = cfg.dir
	}
	if cfg.envSet {
		cmd.Env = cfg.env
	}
	for _, e := range cmd.Env {
		if !strings.Contains(e, "=") {
			return nil, invalid("environment entry %q has no \"=\": write each entry as KEY=value", e)
		}
	}
	if cfg.extraSet {
		cmd.ExtraFiles = cfg.extraFiles
	}
	for i, f := range cmd.ExtraFiles {
		if f != nil && !isOpen(f) {
			return nil, invalid("ExtraFiles: file %d (%s) is closed: pass open files (a nil entry leaves descriptor %d closed)", i, f.Name(), 3+i)
		}
	}
	if cfg.umaskSet && (cfg.umask < 0 || cfg.umask > 0o777) {
		return nil, invalid("Umask(%#o) is out of range: give a mask from 0 to 0o777", cfg.umask)
	}
	leader, err := prepareSys(cmd, cfg)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	if cmd.Err != nil { // exec.Command did not find the program
		return nil, fmt.Errorf("anyio/process: cannot start %q: %w", cmd.Args[0], cmd.Err)
	}

	p := &Process{cmd: cmd, groupLeader: leader, done: make(chan struct{})}
	var childEnds []*os.File
	fail := func(err error) (*Process, error) {
		for _, f := range childEnds {
			f.Close()
		}
		p.closePipes()
		return nil, err
	}
	var files [3]*os.File
	for i, t := range targets {
		switch t.kind {
		case 0:
			files[i] = t.file
		case Inherit:
			files[i] = [3]*os.File{os.Stdin, os.Stdout, os.Stderr}[i]
		case Pipe:
			r, w, err := os.Pipe()
			if err != nil {
				return fail(fmt.Errorf("anyio/process: making a pipe for %s: %w", stdioNames[i], err))
			}
			if i == 0 {
				files[i] = r
				childEnds = append(childEnds, r)
				p.stdin = newPipeSend(w)
			} else {
				files[i] = w
				childEnds = append(childEnds, w)
				rs := newPipeReceive(r, stdioNames[i])
				if i == 1 {
					p.stdout = rs
				} else {
					p.stderr = rs
				}
			}
		case ToStdout:
			files[i] = files[1]
		}
		// DevNull: a nil file, which exec.Cmd opens as the null device.
	}
	// Only *os.File values go to exec.Cmd, so that it starts no goroutine
	// to copy, and its Wait returns as soon as the child is reaped.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if files[0] != nil {
		cmd.Stdin = files[0]
	}
	if files[1] != nil {
		cmd.Stdout = files[1]
	}
	if files[2] != nil {
		cmd.Stderr = files[2]
	}
	if err := startCmd(cmd, cfg); err != nil {
		if errors.Is(err, ErrUmaskUnsupported) {
			return fail(err)
		}
		return fail(fmt.Errorf("anyio/process: cannot start %q: %w", cmd.Args[0], err))
	}
	for _, f := range childEnds {
		f.Close()
	}
	p.pid = cmd.Process.Pid
	p.name = filepath.Base(cmd.Args[0])
	p.info.What = fmt.Sprintf("Process.Wait (pid %d, %s)", p.pid, p.name)
	p.info.Obj = p
	for _, s := range []*pipeReceive{p.stdout, p.stderr} {
		if s != nil {
			s.named(p)
		}
	}
	if p.stdin != nil {
		p.stdin.named(p)
	}
	go p.reap()
	return p, nil
}

// stdioTargets works out where each standard stream of the child goes:
// cfg's options first, then cmd's own *os.File fields, then the defaults
// of Run or Open.
func stdioTargets(cmd *exec.Cmd, cfg *config, forRun bool) ([3]stdio, error) {
	var out [3]stdio
	own := [3]any{cmd.Stdin, cmd.Stdout, cmd.Stderr}
	for i := range out {
		v, set := cfg.stdio[i], cfg.stdioSet[i]
		if !set && !isNil(own[i]) {
			f, ok := own[i].(*os.File)
			if !ok {
				return out, invalid("cmd.%s is a %T: the process package connects the standard streams itself; leave it nil and use the %s option (process.Pipe, process.DevNull, process.Inherit or an *os.File)", stdioNames[i], own[i], stdioNames[i])
			}
			v, set = f, true
		}
		if i == 0 && cfg.hasInput {
			if set {
				return out, invalid("give only one of Input and Stdin (or cmd.Stdin)")
			}
			v, set = Pipe, true
		}
		if !set {
			v = Pipe
			if forRun && i == 0 {
				v = Inherit
			}
		}
		switch t := v.(type) {
		case Redirect:
			switch {
			case t == Pipe || t == DevNull || t == Inherit:
			case t == ToStdout && i == 2:
			case t == ToStdout:
				return out, invalid("%s(process.ToStdout): only Stderr can be sent to the standard output", stdioNames[i])
			default:
				return out, invalid("%s(%v): unknown redirect: use process.Pipe, process.DevNull, process.Inherit or an *os.File", stdioNames[i], t)
			}
			out[i] = stdio{kind: t}
		case *os.File:
			if t == nil {
				return out, invalid("%s: the *os.File is nil", stdioNames[i])
			}
			if !isOpen(t) {
				return out, invalid("%s: file %s is closed", stdioNames[i], t.Name())
			}
			out[i] = stdio{file: t}
		default:
			hint := ""
			if i == 0 {
				hint = " (to feed bytes to Run, use process.Input)"
			}
			return out, invalid("%s(%T): unknown redirect: use process.Pipe, process.DevNull, process.Inherit or an *os.File%s", stdioNames[i], v, hint)
		}
	}
	return out, nil
}

// isNil reports whether v is nil or a typed nil *os.File.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	f, ok := v.(*os.File)
	return ok && f == nil
}

// isOpen reports whether f is an open file, without changing it (f.Fd()
// would put it in blocking mode).
func isOpen(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	return rc.Control(func(uintptr) {}) == nil
}
