//go:build linux

package process_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
)

// Bad input is a clear error matching ErrInvalidArgument, and nothing is
// started: no child, no descriptor left open.
func TestBadInput(t *testing.T) {
	closed, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	var nilFile *os.File
	ok := process.Shell("exit 0")
	for _, tc := range []struct {
		name string
		argv []string
		opts []process.CommonOption
		want string // in the message
	}{
		{"nil argv", nil, nil, "command line is empty"},
		{"empty argv", []string{}, nil, "command line is empty"},
		{"empty argv[0]", []string{"", "x"}, nil, "argv[0] is empty"},
		{"unknown redirect value", ok, []process.CommonOption{process.Stdout(process.Redirect(42))}, "unknown redirect"},
		{"zero redirect", ok, []process.CommonOption{process.Stdin(process.Redirect(0))}, "unknown redirect"},
		{"redirect of another type", ok, []process.CommonOption{process.Stdin("input.txt")}, "unknown redirect"},
		{"bytes to Stdin", ok, []process.CommonOption{process.Stdin([]byte("abc"))}, "process.Input"},
		{"int to Stderr", ok, []process.CommonOption{process.Stderr(2)}, "unknown redirect"},
		{"Stdout(ToStdout)", ok, []process.CommonOption{process.Stdout(process.ToStdout)}, "only Stderr"},
		{"Stdin(ToStdout)", ok, []process.CommonOption{process.Stdin(process.ToStdout)}, "only Stderr"},
		{"nil file", ok, []process.CommonOption{process.Stdout(nilFile)}, "nil"},
		{"closed file", ok, []process.CommonOption{process.Stdin(closed)}, "closed"},
		{"closed extra file", ok, []process.CommonOption{process.ExtraFiles(os.Stdin, closed)}, "ExtraFiles: file 1"},
		{"env entry without =", ok, []process.CommonOption{process.Env([]string{"A=1", "NOEQUALS"})}, `"NOEQUALS" has no "="`},
		{"negative umask", ok, []process.CommonOption{process.Umask(-1)}, "out of range"},
		{"umask too big", ok, []process.CommonOption{process.Umask(0o1000)}, "out of range"},
		{"unknown user", ok, []process.CommonOption{process.User("anyio-no-such-user")}, `User("anyio-no-such-user")`},
		{"unknown group", ok, []process.CommonOption{process.Group("anyio-no-such-group")}, `Group("anyio-no-such-group")`},
		{"unknown extra group", ok, []process.CommonOption{process.ExtraGroups("0", "anyio-no-such-group")}, `ExtraGroups("anyio-no-such-group")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				var runOpts []process.Option
				var openOpts []process.OpenOption
				for _, o := range tc.opts {
					runOpts = append(runOpts, o)
					openOpts = append(openOpts, o)
				}
				check := func(call string, err error) {
					t.Helper()
					if !errors.Is(err, process.ErrInvalidArgument) {
						t.Errorf("%s: error = %v, want one matching ErrInvalidArgument", call, err)
						return
					}
					if !strings.HasPrefix(err.Error(), "anyio/process: ") || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("%s: error %q, want it to start with \"anyio/process: \" and say %q", call, err, tc.want)
					}
				}
				res, err := process.Run(ctx, tc.argv, runOpts...)
				if res != nil {
					t.Errorf("Run: Completed = %+v, want nil", res)
				}
				check("Run", err)
				p, err := process.Open(ctx, tc.argv, openOpts...)
				if p != nil {
					t.Errorf("Open: Process = %v, want nil", p)
				}
				check("Open", err)
				return nil
			})
		})
	}
}

// The *exec.Cmd given to RunCmd and OpenCmd is checked too.
func TestBadCmd(t *testing.T) {
	started := exec.Command("/bin/sh", "-c", "exit 0")
	if err := started.Run(); err != nil {
		t.Fatal(err)
	}
	withWriter := exec.Command("/bin/sh", "-c", "exit 0")
	withWriter.Stdout = new(bytes.Buffer)
	withReader := exec.Command("/bin/sh", "-c", "exit 0")
	withReader.Stdin = strings.NewReader("abc")
	badEnv := exec.Command("/bin/sh", "-c", "exit 0")
	badEnv.Env = []string{"X"}
	for _, tc := range []struct {
		name string
		cmd  *exec.Cmd
		want string
	}{
		{"nil", nil, "nil"},
		{"started", started, "already started"},
		{"zero", &exec.Cmd{}, "no Path"},
		{"writer", withWriter, "cmd.Stdout is a *bytes.Buffer"},
		{"reader", withReader, "cmd.Stdin is a *strings.Reader"},
		{"env", badEnv, `"X" has no "="`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				_, err := process.RunCmd(ctx, tc.cmd)
				if !errors.Is(err, process.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("RunCmd: error = %v, want ErrInvalidArgument saying %q", err, tc.want)
				}
				return nil
			})
		})
	}
}

// RunCmd and OpenCmd keep the *exec.Cmd's own settings; options override
// them.
func TestRunCmdKeepsSettings(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	anyiotest.Run(t, func(ctx context.Context) error {
		cmd := exec.Command("/bin/sh", "-c", `echo "$PWD $FOO $(cut -d" " -f6 /proc/$$/stat) $$"; [ -e /proc/$$/fd/3 ] && echo fd3`)
		cmd.Dir = dir
		cmd.Env = []string{"FOO=bar", "PATH=" + os.Getenv("PATH")}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		cmd.ExtraFiles = []*os.File{f}
		res, err := process.RunCmd(ctx, cmd)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
		fields := strings.Fields(lines[0])
		if len(fields) != 4 || fields[0] != dir || fields[1] != "bar" || fields[2] != fields[3] {
			t.Errorf("RunCmd child printed %q, want Dir %s, FOO=bar, and a session it leads", lines[0], dir)
		}
		if len(lines) != 2 || lines[1] != "fd3" {
			t.Errorf("RunCmd child's descriptor 3: %q, want it open (cmd.ExtraFiles)", lines[1:])
		}
		if cmd.ProcessState == nil || !cmd.ProcessState.Exited() {
			t.Errorf("cmd.ProcessState after RunCmd = %v, want the exited state", cmd.ProcessState)
		}
		if cmd.SysProcAttr.Credential != nil || !cmd.SysProcAttr.Setsid {
			t.Errorf("RunCmd changed the caller's SysProcAttr: %+v", cmd.SysProcAttr)
		}

		// Options override.
		cmd = exec.Command("/bin/sh", "-c", `echo "$PWD $FOO"`)
		cmd.Dir = "/"
		cmd.Env = []string{"FOO=bar"}
		res, err = process.RunCmd(ctx, cmd, process.Dir(dir), process.Env([]string{"FOO=baz"}))
		if err != nil {
			return err
		}
		if got, want := strings.TrimSpace(string(res.Stdout)), dir+" baz"; got != want {
			t.Errorf("RunCmd with Dir and Env options printed %q, want %q", got, want)
		}

		// A cmd's *os.File streams are kept.
		out, err := os.CreateTemp(dir, "out")
		if err != nil {
			return err
		}
		defer out.Close()
		cmd = exec.Command("/bin/sh", "-c", "echo to-file")
		cmd.Stdout = out
		res, err = process.RunCmd(ctx, cmd)
		if err != nil {
			return err
		}
		if res.Stdout != nil {
			t.Errorf("RunCmd with cmd.Stdout a file: Completed.Stdout = %q, want nil", res.Stdout)
		}
		if data, _ := os.ReadFile(out.Name()); string(data) != "to-file\n" {
			t.Errorf("cmd.Stdout file holds %q, want %q", data, "to-file\n")
		}

		// OpenCmd.
		cmd = exec.Command("/bin/sh", "-c", `echo "$FOO"`)
		cmd.Env = []string{"FOO=open"}
		p, err := process.OpenCmd(ctx, cmd)
		if err != nil {
			return err
		}
		if line := readLine(t, ctx, p.Stdout()); line != "open" {
			t.Errorf("OpenCmd child printed %q, want open", line)
		}
		return p.Close(ctx)
	})
}
