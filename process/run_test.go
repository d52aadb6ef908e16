//go:build linux

package process_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
)

// Ports AnyIO's test_run_process (shell and exec).
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"exec", helper("reverse")},
		{"shell", process.Shell(strconv.Quote(testBinary()) + " reverse")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				res, err := process.Run(ctx, tc.argv, process.Input([]byte("abc")))
				if err != nil {
					return err
				}
				if res.ReturnCode != 0 {
					t.Errorf("Run: ReturnCode = %d, want 0", res.ReturnCode)
				}
				if got := string(bytes.TrimRight(res.Stdout, "\n")); got != "cba" {
					t.Errorf("Run: Stdout = %q, want %q", got, "cba")
				}
				if !slicesEqual(res.Args, tc.argv) {
					t.Errorf("Run: Args = %q, want %q", res.Args, tc.argv)
				}
				return nil
			})
		})
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// Ports AnyIO's test_run_process_checked.
func TestRunChecked(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		argv := outErrExit(1)
		res, err := process.Run(ctx, argv, process.Check(true))
		if res != nil {
			t.Errorf("Run: Completed = %+v, want nil with the error", res)
		}
		var ce *process.CalledError
		if !errors.As(err, &ce) {
			t.Fatalf("Run: error = %v, want a *process.CalledError", err)
		}
		if ce.ReturnCode != 1 {
			t.Errorf("CalledError.ReturnCode = %d, want 1", ce.ReturnCode)
		}
		if got := string(bytes.TrimSpace(ce.Stdout)); got != "stdout-text" {
			t.Errorf("CalledError.Stdout = %q, want %q", got, "stdout-text")
		}
		if got := string(bytes.TrimSpace(ce.Stderr)); got != "stderr-text" {
			t.Errorf("CalledError.Stderr = %q, want %q", got, "stderr-text")
		}
		if !slicesEqual(ce.Args, argv) {
			t.Errorf("CalledError.Args = %q, want %q", ce.Args, argv)
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("errors.As(err, *exec.ExitError) = %v (%v), want the child's exit error with code 1", exit, err)
		}
		if want := "returned non-zero exit status 1"; !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "anyio/process: ") {
			t.Errorf("Run: error message %q, want it to start with \"anyio/process: \" and contain %q", err, want)
		}
		return nil
	})
}

// Check is on by default; Check(false) reports the code in Completed.
func TestRunCheckDefaultAndOff(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := process.Run(ctx, process.Shell("exit 3"))
		var ce *process.CalledError
		if !errors.As(err, &ce) || ce.ReturnCode != 3 {
			t.Errorf("Run with the default Check: error = %v, want a *process.CalledError with code 3", err)
		}
		res, err := process.Run(ctx, process.Shell("exit 3"), process.Check(false))
		if err != nil {
			t.Fatalf("Run with Check(false): %v", err)
		}
		if res.ReturnCode != 3 {
			t.Errorf("Run with Check(false): ReturnCode = %d, want 3", res.ReturnCode)
		}
		return nil
	})
}

// A child killed by a signal reports the negative signal number.
func TestRunKilledBySignal(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		argv := process.Shell("kill -TERM $$")
		res, err := process.Run(ctx, argv, process.Check(false))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.ReturnCode != -int(syscall.SIGTERM) {
			t.Errorf("Run: ReturnCode = %d, want %d", res.ReturnCode, -int(syscall.SIGTERM))
		}
		_, err = process.Run(ctx, argv)
		var ce *process.CalledError
		if !errors.As(err, &ce) || ce.ReturnCode != -15 {
			t.Fatalf("Run with Check: error = %v, want a *process.CalledError with code -15", err)
		}
		if !strings.Contains(err.Error(), "died with signal 15") {
			t.Errorf("CalledError message %q, want it to say that the child died with signal 15", err)
		}
		return nil
	})
}

// Ports AnyIO's test_process_cwd.
func TestRunDir(t *testing.T) {
	leakCheck(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, process.Shell("pwd -P"), process.Dir(dir))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(res.Stdout)); got != dir {
			t.Errorf("child's working directory = %q, want %q", got, dir)
		}
		return nil
	})
}

// Ports AnyIO's test_process_env; an empty environment is not the
// inherited one.
func TestRunEnv(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, process.Shell(`echo "foo=$foo"`), process.Env(append(os.Environ(), "foo=bar")))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(res.Stdout)); got != "foo=bar" {
			t.Errorf("child's environment: %q, want foo=bar", got)
		}
		res, err = process.Run(ctx, []string{"/bin/sh", "-c", `echo "[$ONLY][$HOME]"`}, process.Env([]string{"ONLY=1"}))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(res.Stdout)); got != "[1][]" {
			t.Errorf("child with Env([ONLY=1]) printed %q, want [1][]", got)
		}
		t.Setenv("ANYIO_INHERITED", "yes")
		res, err = process.Run(ctx, process.Shell(`echo "ANYIO_INHERITED=$ANYIO_INHERITED"`), process.Env(nil))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(res.Stdout)); got != "ANYIO_INHERITED=yes" {
			t.Errorf("child with Env(nil) printed %q, want the inherited ANYIO_INHERITED=yes", got)
		}
		return nil
	})
}

// Ports AnyIO's test_process_new_session_sid.
func TestRunStartNewSession(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		sid, err := unixGetsid()
		if err != nil {
			t.Fatal(err)
		}
		res, err := process.Run(ctx, sessionArgv)
		if err != nil {
			return err
		}
		f := strings.Fields(string(res.Stdout))
		if f[0] != strconv.Itoa(sid) {
			t.Errorf("child's session = %s, want the parent's %d", f[0], sid)
		}
		res, err = process.Run(ctx, sessionArgv, process.StartNewSession())
		if err != nil {
			return err
		}
		f = strings.Fields(string(res.Stdout))
		if f[0] == strconv.Itoa(sid) {
			t.Errorf("child with StartNewSession has the parent's session %d", sid)
		}
		if f[0] != f[1] {
			t.Errorf("child with StartNewSession: session %s, process group %s: want it to lead both", f[0], f[1])
		}
		return nil
	})
}

// connectToFile sets up AnyIO's test_*_connect_to_file: a file for each
// standard stream.
func connectToFile(t *testing.T) (in, out, errf *os.File, check func()) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stdin"), []byte("Hello, process!\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	open := func(name string, flag int) *os.File {
		f, err := os.OpenFile(filepath.Join(dir, name), flag, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	in = open("stdin", os.O_RDONLY)
	out = open("stdout", os.O_WRONLY|os.O_CREATE)
	errf = open("stderr", os.O_WRONLY|os.O_CREATE)
	check = func() {
		t.Helper()
		for name, want := range map[string]string{
			"stdout": "stdin says \"Hello, process!\" and stdout says YES!\n",
			"stderr": "stdin says \"Hello, process!\" but stderr says NO!\n",
		} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("the child's %s file holds %q, want %q", name, got, want)
			}
		}
	}
	return in, out, errf, check
}

// Ports AnyIO's test_run_process_connect_to_file.
func TestRunConnectToFile(t *testing.T) {
	in, out, errf, check := connectToFile(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, stdinSaysArgv, process.Stdin(in), process.Stdout(out), process.Stderr(errf))
		if err != nil {
			return err
		}
		if res.Stdout != nil || res.Stderr != nil {
			t.Errorf("Run: Stdout, Stderr = %q, %q, want nil for streams sent to files", res.Stdout, res.Stderr)
		}
		return nil
	})
	check()
}

// Ports AnyIO's test_stdin_input_both_passed.
func TestRunStdinAndInput(t *testing.T) {
	in, _, _, _ := connectToFile(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := process.Run(ctx, catArgv, process.Input([]byte("abc")), process.Stdin(in))
		if !errors.Is(err, process.ErrInvalidArgument) || !strings.Contains(err.Error(), "only one of") {
			t.Errorf("Run with Input and Stdin: error = %v, want ErrInvalidArgument saying only one of them is allowed", err)
		}
		return nil
	})
}

// Ports AnyIO's test_run_process_inherit_stdout: a child that runs Run with
// Inherit, whose own output this test captures.
func TestRunInherit(t *testing.T) {
	cmd := helperCmd("inherit-run")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v; stderr: %s", err, stderr.String())
	}
	if got := stdout.String(); got != "stdout-text\n" {
		t.Errorf("inherited stdout = %q, want %q", got, "stdout-text\n")
	}
	if got := stderr.String(); got != "stderr-text\n" {
		t.Errorf("inherited stderr = %q, want %q", got, "stderr-text\n")
	}
}

// Stderr(ToStdout) and the DevNull redirects.
func TestRunRedirects(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, outErrExit(0), process.Stderr(process.ToStdout))
		if err != nil {
			return err
		}
		if got := string(res.Stdout); got != "stderr-text\nstdout-text\n" {
			t.Errorf("Stderr(ToStdout): Stdout = %q, want both lines in order", got)
		}
		if res.Stderr != nil {
			t.Errorf("Stderr(ToStdout): Stderr = %q, want nil", res.Stderr)
		}
		res, err = process.Run(ctx, outErrExit(0), process.Stdout(process.DevNull), process.Stderr(process.DevNull))
		if err != nil {
			return err
		}
		if res.Stdout != nil || res.Stderr != nil {
			t.Errorf("DevNull: Stdout, Stderr = %q, %q, want nil", res.Stdout, res.Stderr)
		}
		res, err = process.Run(ctx, outErrExit(0), process.Stdout(process.DevNull), process.Stderr(process.ToStdout))
		if err != nil {
			return err
		}
		if res.Stdout != nil || res.Stderr != nil {
			t.Errorf("Stdout(DevNull), Stderr(ToStdout): Stdout, Stderr = %q, %q, want nil", res.Stdout, res.Stderr)
		}
		res, err = process.Run(ctx, catArgv, process.Stdin(process.DevNull))
		if err != nil {
			return err
		}
		if len(res.Stdout) != 0 {
			t.Errorf("Stdin(DevNull): cat printed %q, want nothing", res.Stdout)
		}
		res, err = process.Run(ctx, catArgv, process.Input(nil))
		if err != nil {
			return err
		}
		if len(res.Stdout) != 0 {
			t.Errorf("Input(nil): cat printed %q, want nothing", res.Stdout)
		}
		res, err = process.Run(ctx, catArgv, process.Stdin(process.Pipe))
		if err != nil {
			return err
		}
		if len(res.Stdout) != 0 {
			t.Errorf("Stdin(Pipe) without Input: cat printed %q, want nothing (its input ends at once)", res.Stdout)
		}
		return nil
	})
}

// A big input and a big output at once do not deadlock.
func TestRunLargeInputOutput(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		in := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, far beyond a pipe's buffer
		res, err := process.Run(ctx, catArgv, process.Input(in))
		if err != nil {
			return err
		}
		if !bytes.Equal(res.Stdout, in) {
			t.Errorf("cat of 1 MiB: got %d bytes back, want the same %d bytes", len(res.Stdout), len(in))
		}
		return nil
	})
}

// A child that does not read its input is no error.
func TestRunInputNotRead(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, process.Shell("exit 0"), process.Input(bytes.Repeat([]byte("x"), 1<<20)))
		if err != nil {
			return err
		}
		if res.ReturnCode != 0 {
			t.Errorf("Run: ReturnCode = %d, want 0", res.ReturnCode)
		}
		return nil
	})
}

// AnyIO's pass_fds: ExtraFiles reach the child from descriptor 3 up.
func TestRunExtraFiles(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	var files []*os.File
	for i, content := range []string{"first", "second"} {
		name := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(name, []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, process.Shell(`echo "fd 3: $(cat <&3)"; echo "fd 4: $(cat <&4)"`), process.ExtraFiles(files...))
		if err != nil {
			return err
		}
		if got, want := string(res.Stdout), "fd 3: first\nfd 4: second\n"; got != want {
			t.Errorf("child read %q from its extra descriptors, want %q", got, want)
		}
		// A nil entry leaves its descriptor closed. (The child shares the
		// file's offset, which its read moved.)
		if _, err := files[0].Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		res, err = process.Run(ctx, process.Shell(`[ -e /proc/$$/fd/3 ] && echo true || echo false; cat <&4`), process.ExtraFiles(nil, files[0]))
		if err != nil {
			return err
		}
		if got := string(res.Stdout); got != "false\nfirst" {
			t.Errorf("ExtraFiles(nil, f): the child printed %q, want descriptor 3 closed and 4 reading f (\"false\\nfirst\")", got)
		}
		return nil
	})
}

// A command that does not exist is a clear error naming it.
func TestRunMissingCommand(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		for _, tc := range []struct {
			name, cmd string
			target    error
		}{
			{"in PATH", "anyio-no-such-command", exec.ErrNotFound},
			{"path", "/nonexistent/anyio-no-such-command", fs.ErrNotExist},
		} {
			_, err := process.Run(ctx, []string{tc.cmd, "arg"})
			if !errors.Is(err, tc.target) {
				t.Errorf("%s: Run(%q): error = %v, want one matching %v", tc.name, tc.cmd, err, tc.target)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.cmd) || !strings.HasPrefix(err.Error(), "anyio/process: ")) {
				t.Errorf("%s: Run(%q): error %q does not name the command", tc.name, tc.cmd, err)
			}
			if err != nil && errors.Is(err, process.ErrInvalidArgument) {
				t.Errorf("%s: a missing command matches ErrInvalidArgument: %v", tc.name, err)
			}
			p, err := process.Open(ctx, []string{tc.cmd})
			if p != nil || !errors.Is(err, tc.target) {
				t.Errorf("%s: Open(%q) = %v, %v; want nil and an error matching %v", tc.name, tc.cmd, p, err, tc.target)
			}
		}
		// A directory that does not exist.
		_, err := process.Run(ctx, process.Shell("pwd -P"), process.Dir("/nonexistent/anyio-dir"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Run with a missing Dir: error = %v, want one matching fs.ErrNotExist", err)
		}
		return nil
	})
}

// A cancelled context starts nothing.
func TestRunCancelledBeforeStart(t *testing.T) {
	leakCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := process.Run(ctx, process.Shell("exit 0"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled ctx: error = %v, want a cancellation", err)
	}
	p, err := process.Open(ctx, process.Shell("exit 0"))
	if p != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled ctx = %v, %v; want nil and a cancellation", p, err)
	}
}

// A nil option is no option; of two values of one option, the last wins.
func TestOptionsNilAndLast(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		res, err := process.Run(ctx, process.Shell("echo $X; exit 2"), nil, process.Check(true), process.Check(false),
			process.Env([]string{"X=1"}), nil, process.Env([]string{"X=2"}))
		if err != nil {
			return err
		}
		if got := string(res.Stdout); got != "2\n" || res.ReturnCode != 2 {
			t.Errorf("Run with nil and repeated options: %q, code %d; want \"2\\n\", code 2", got, res.ReturnCode)
		}
		p, err := process.Open(ctx, process.Shell("exit 0"), nil, process.Stdout(process.DevNull))
		if err != nil {
			return err
		}
		if p.Stdout() != nil {
			t.Errorf("Open(nil, Stdout(DevNull)).Stdout() = %v, want nil", p.Stdout())
		}
		return p.Close(ctx)
	})
}
