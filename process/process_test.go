//go:build linux

package process_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
	"github.com/anyio-go/anyio/streams/buffered"
)

// open starts argv with Open and closes the process at the end of the test.
func open(t *testing.T, ctx context.Context, argv []string, opts ...process.OpenOption) *process.Process {
	t.Helper()
	p, err := process.Open(ctx, argv, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", argv, err)
	}
	t.Cleanup(func() { anyio.CloseForcefully(p) })
	return p
}

// readLine reads one line from s.
func readLine(t *testing.T, ctx context.Context, s anyio.ByteReceiveStream) string {
	t.Helper()
	line, err := buffered.NewReceiveStream(s).ReceiveUntil(ctx, []byte("\n"), 100)
	if err != nil {
		t.Fatalf("reading a line: %v", err)
	}
	return string(line)
}

// Ports AnyIO's test_terminate: a child that handles SIGTERM exits with its
// own code.
func TestTerminate(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, helper("sigterm-exit2"))
		if line := readLine(t, ctx, p.Stdout()); line != "ready" {
			t.Fatalf("child said %q, want ready", line)
		}
		if err := p.Terminate(); err != nil {
			t.Fatalf("Terminate: %v", err)
		}
		code, err := p.Wait(ctx)
		if err != nil || code != 2 {
			t.Errorf("Wait = %d, %v; want 2, nil", code, err)
		}
		return p.Close(ctx)
	})
}

// A child killed by Terminate, Kill or Signal reports the negative signal
// number.
func TestSignalReturnCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(p *process.Process) error
		want int
	}{
		{"Terminate", (*process.Process).Terminate, -15},
		{"Kill", (*process.Process).Kill, -9},
		{"Signal(SIGINT)", func(p *process.Process) error { return p.Signal(syscall.SIGINT) }, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				p := open(t, ctx, readySleepArgv)
				readLine(t, ctx, p.Stdout())
				if code, ok := p.ReturnCode(); ok {
					t.Errorf("ReturnCode of a running child = %d, true; want false", code)
				}
				if err := tc.send(p); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				code, err := p.Wait(ctx)
				if err != nil || code != tc.want {
					t.Errorf("Wait after %s = %d, %v; want %d, nil", tc.name, code, err, tc.want)
				}
				if code, ok := p.ReturnCode(); !ok || code != tc.want {
					t.Errorf("ReturnCode after %s = %d, %v; want %d, true", tc.name, code, ok, tc.want)
				}
				// After the child exited, signals do nothing (Popen's rule).
				for _, f := range []func() error{p.Kill, p.Terminate, func() error { return p.Signal(syscall.SIGUSR1) }} {
					if err := f(); err != nil {
						t.Errorf("signalling a child that exited: %v, want nil", err)
					}
				}
				return p.Close(ctx)
			})
		})
	}
}

// PID is the child's process ID.
func TestPID(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, process.Shell("echo $$"))
		line := readLine(t, ctx, p.Stdout())
		if want := p.PID(); line != itoa(want) {
			t.Errorf("PID() = %d, the child says it is %s", want, line)
		}
		if want := "process " + itoa(p.PID()) + " (sh)"; p.String() != want {
			t.Errorf("String() = %q, want %q", p.String(), want)
		}
		return p.Close(ctx)
	})
}

// Ports AnyIO's test_process_receive_invalid_max_bytes.
func TestReceiveEmptyBuffer(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, writeZeros(1))
		for _, buf := range [][]byte{nil, {}} {
			if n, err := p.Stdout().Receive(ctx, buf); n != 0 || !errors.Is(err, anyio.ErrEmptyBuffer) {
				t.Errorf("Receive(%#v) = %d, %v; want 0, anyio.ErrEmptyBuffer", buf, n, err)
			}
		}
		if _, err := p.Wait(ctx); err != nil {
			return err
		}
		return p.Close(ctx)
	})
}

// Ports AnyIO's test_open_process_connect_to_file.
func TestOpenConnectToFile(t *testing.T) {
	in, out, errf, check := connectToFile(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, stdinSaysArgv, process.Stdin(in), process.Stdout(out), process.Stderr(errf))
		if p.Stdin() != nil || p.Stdout() != nil || p.Stderr() != nil {
			t.Errorf("Stdin, Stdout, Stderr = %v, %v, %v; want nil for streams sent to files", p.Stdin(), p.Stdout(), p.Stderr())
		}
		if code, err := p.Wait(ctx); code != 0 || err != nil {
			t.Errorf("Wait = %d, %v; want 0, nil", code, err)
		}
		return p.Close(ctx)
	})
	check()
}

// Ports AnyIO's test_process_aexit_cancellation_doesnt_orphan_process and
// test_process_aexit_cancellation_closes_standard_streams: Close in a
// cancelled scope kills the child, reaps it and closes the streams.
func TestCloseCancelled(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		var p *process.Process
		scope := anyio.NewCancelScope()
		err := scope.Run(ctx, func(ctx context.Context) error {
			var err error
			p, err = process.Open(ctx, sleepArgv)
			if err != nil {
				return err
			}
			defer func() {
				if err := p.Close(ctx); !errors.Is(err, anyio.ErrCancelled) {
					t.Errorf("Close in a cancelled scope = %v, want a cancellation error", err)
				}
			}()
			scope.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		code, ok := p.ReturnCode()
		if !ok || code != -9 {
			t.Errorf("ReturnCode after a cancelled Close = %d, %v; want -9, true (killed)", code, ok)
		}
		if err := p.Stdin().Send(ctx, []byte("foo")); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("Stdin().Send after Close = %v, want anyio.ErrClosedResource", err)
		}
		for name, s := range map[string]anyio.ByteReceiveStream{"Stdout": p.Stdout(), "Stderr": p.Stderr()} {
			if _, err := s.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("%s().Receive after Close = %v, want anyio.ErrClosedResource", name, err)
			}
		}
		if err := p.Close(ctx); err != nil {
			t.Errorf("second Close = %v, want nil (idempotent)", err)
		}
		return nil
	})
}

// Ports AnyIO's test_exceptions_after_subprocess_closes_standard_streams.
func TestStreamsAfterExit(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, process.Shell("exit 0"))
		if _, err := p.Wait(ctx); err != nil {
			return err
		}
		// The child's end of its input is closed: a send fails (a pipe
		// may take one write before it notices; it does not here, but
		// AnyIO's test allows a few).
		var err error
		for range 3 {
			if err = p.Stdin().Send(ctx, []byte("foo")); err != nil {
				break
			}
		}
		if !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Stdin().Send to a child that exited = %v, want anyio.ErrBrokenResource", err)
		}
		if err := p.Stdin().Send(ctx, []byte("foo")); !errors.Is(err, anyio.ErrBrokenResource) {
			t.Errorf("Stdin().Send again = %v, want anyio.ErrBrokenResource", err)
		}
		for name, s := range map[string]anyio.ByteReceiveStream{"Stdout": p.Stdout(), "Stderr": p.Stderr()} {
			if _, err := s.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrEndOfStream) {
				t.Errorf("%s().Receive from a child that exited = %v, want anyio.ErrEndOfStream", name, err)
			}
		}
		if err := p.Close(ctx); err != nil {
			return err
		}
		if err := p.Stdin().Send(ctx, []byte("foo")); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("Stdin().Send after Close = %v, want anyio.ErrClosedResource", err)
		}
		for name, s := range map[string]anyio.ByteReceiveStream{"Stdout": p.Stdout(), "Stderr": p.Stderr()} {
			if _, err := s.Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("%s().Receive after Close = %v, want anyio.ErrClosedResource", name, err)
			}
		}
		return nil
	})
}

// Ports AnyIO's test_close_early (its issue 490): closing without reading
// the output.
func TestCloseEarly(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p, err := process.Open(ctx, writeZeros(25600))
		if err != nil {
			return err
		}
		return p.Close(ctx)
	})
}

// Ports AnyIO's test_close_while_reading.
func TestCloseWhileReading(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, sleepArgv)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				// Close once the Receive below is in progress: a Receive
				// with a cancelled context then reports busy.
				for {
					_, err := p.Stdout().Receive(cancelledCtx(), make([]byte, 1))
					var busy *anyio.BusyResourceError
					if errors.As(err, &busy) {
						break
					}
					time.Sleep(time.Millisecond)
				}
				return p.Stdout().Close(ctx)
			})
			if _, err := p.Stdout().Receive(ctx, make([]byte, 1)); !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("Receive while the stream is closed = %v, want anyio.ErrClosedResource", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := p.Terminate(); err != nil {
			return err
		}
		return p.Close(ctx)
	})
}

func cancelledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Ports AnyIO's test_wait_returns_on_process_exit_with_open_stdout: Wait
// returns when the child exits, although a grandchild holds its pipes.
func TestWaitReturnsWithOpenStdout(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p, err := process.Open(ctx, helper("spawn", "stdout", "exit", "wait-stdin"))
		if err != nil {
			return err
		}
		grandchild := readLine(t, ctx, p.Stdout())
		// Closing stdin ends the grandchild, later.
		err = anyio.FailAfter(5*time.Second).Run(ctx, func(ctx context.Context) error {
			code, err := p.Wait(ctx)
			if err == nil && code != 0 {
				t.Errorf("Wait = %d, want 0", code)
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := p.Stdin().Close(ctx); err != nil {
			return err
		}
		// The grandchild is gone once the pipes end.
		err = anyio.FailAfter(10*time.Second).Run(ctx, func(ctx context.Context) error {
			for _, s := range []anyio.ByteReceiveStream{p.Stdout(), p.Stderr()} {
				for _, err := range anyio.IterateBytes(ctx, s, 1024) {
					if err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		pid, _ := atoi(grandchild)
		if !processGone(pid) {
			t.Errorf("grandchild %d still runs", pid)
		}
		return p.Close(ctx)
	})
}

// Ports AnyIO's test_close_with_stdout_blocked_subprocess (its issue 1166):
// Close ends a child blocked writing to a full pipe.
func TestCloseWithStdoutBlocked(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p, err := process.Open(ctx, writeZeros(1048576))
		if err != nil {
			return err
		}
		return anyio.FailAfter(5*time.Second).Run(ctx, func(ctx context.Context) error {
			return p.Close(ctx)
		})
	})
}

// Several tasks may wait at once; each gets the code.
func TestConcurrentWait(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, catToNullArgv, process.Stdout(process.DevNull), process.Stderr(process.DevNull))
		codes := make([]int, 4)
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range codes {
				tg.StartSoon(func(ctx context.Context) error {
					var err error
					codes[i], err = p.Wait(ctx)
					return err
				})
			}
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			return p.Stdin().Close(ctx)
		})
		if err != nil {
			return err
		}
		for i, c := range codes {
			if c != 0 {
				t.Errorf("waiter %d: Wait = %d, want 0", i, c)
			}
		}
		return p.Close(ctx)
	})
}

// A task in Wait is blocked for WaitAllTasksBlocked, and DumpTasks names
// the process it waits for.
func TestWaitIsABlockedWait(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, sleepArgv, process.Stdin(process.DevNull), process.Stdout(process.DevNull), process.Stderr(process.DevNull))
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				_, err := p.Wait(ctx)
				return err
			}, anyio.TaskName("waiter"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			if err := anyio.DumpTasks(ctx, &dump); err != nil {
				return err
			}
			want := `"waiter" waiting on Process.Wait (pid ` + itoa(p.PID()) + ", "
			if !strings.Contains(dump.String(), want) {
				t.Errorf("DumpTasks lacks %q:\n%s", want, dump.String())
			}
			tg.CancelScope().Cancel()
			return nil
		})
	})
}

// Cancelling Wait kills the child and reaps it.
func TestWaitCancelledKills(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, readySleepArgv)
		readLine(t, ctx, p.Stdout())
		scope := anyio.NewCancelScope()
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return scope.Run(ctx, func(ctx context.Context) error {
					_, err := p.Wait(ctx)
					if !errors.Is(err, anyio.ErrCancelled) {
						t.Errorf("cancelled Wait = %v, want a cancellation", err)
					}
					return err
				})
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			scope.Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if code, ok := p.ReturnCode(); !ok || code != -9 {
			t.Errorf("ReturnCode after a cancelled Wait = %d, %v; want -9, true", code, ok)
		}
		// Level-triggered: a Wait in a cancelled context fails also now.
		if _, err := p.Wait(cancelledCtx()); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait of a reaped child in a cancelled context = %v, want a cancellation", err)
		}
		return p.Close(ctx)
	})
}

// Stdin, Stdout and Stderr are nil interfaces when not piped.
func TestStreamsNilWhenNotPiped(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, process.Shell("exit 0"), process.Stdin(process.DevNull), process.Stdout(process.Inherit), process.Stderr(process.ToStdout))
		if p.Stdin() != nil || p.Stdout() != nil || p.Stderr() != nil {
			t.Errorf("Stdin, Stdout, Stderr = %#v, %#v, %#v; want nil interfaces", p.Stdin(), p.Stdout(), p.Stderr())
		}
		return p.Close(ctx)
	})
}

// Open's Stderr(ToStdout) merges both into Stdout().
func TestOpenStderrToStdout(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, outErrExit(0), process.Stderr(process.ToStdout))
		if p.Stderr() != nil {
			t.Errorf("Stderr() = %v, want nil", p.Stderr())
		}
		var out bytes.Buffer
		for chunk, err := range anyio.IterateBytes(ctx, p.Stdout(), 64) {
			if err != nil {
				return err
			}
			out.Write(chunk)
		}
		if got := out.String(); got != "stderr-text\nstdout-text\n" {
			t.Errorf("merged output = %q", got)
		}
		return p.Close(ctx)
	})
}

// Ports Trio's test_auto_update_returncode: the child is reaped as soon as
// it exits, whether or not anybody waits, and ReturnCode tells.
func TestReturnCodeWithoutWait(t *testing.T) {
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		p := open(t, ctx, process.Shell("exit 7"))
		// The pipes end when the child exits; the reap follows at once.
		for _, err := range anyio.IterateBytes(ctx, p.Stdout(), 16) {
			if err != nil {
				return err
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if code, ok := p.ReturnCode(); ok {
				if code != 7 {
					t.Errorf("ReturnCode = %d, want 7", code)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("ReturnCode still unknown 30 s after the child closed its output")
			}
			time.Sleep(time.Millisecond)
		}
		if len(children(t)) != 0 {
			t.Errorf("the child is not reaped although ReturnCode is known: children %v", children(t))
		}
		return p.Close(ctx)
	})
}
