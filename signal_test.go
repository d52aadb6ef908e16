//go:build unix

package anyio_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// raise sends sig to this process.
func raise(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatalf("kill(self, %v): %v", sig, err)
	}
}

// receiveSignal receives one signal from r, failing the test after a
// generous safety-net timeout.
func receiveSignal(t *testing.T, ctx context.Context, r *anyio.SignalReceiver) os.Signal {
	t.Helper()
	var s os.Signal
	err := anyio.FailAfter(10*time.Second).Run(ctx, func(ctx context.Context) error {
		var err error
		s, err = r.Receive(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("SignalReceiver.Receive: %v", err)
	}
	return s
}

// Ports AnyIO's test_receive_signals: the signals come in order, as
// os.Signal values of their own type.
func TestReceiveSignals(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGUSR1, syscall.SIGUSR2)
		defer r.Close(ctx)
		raise(t, syscall.SIGUSR1)
		raise(t, syscall.SIGUSR2)
		for _, want := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2} {
			got := receiveSignal(t, ctx, r)
			if s, ok := got.(syscall.Signal); !ok || s != want {
				t.Errorf("Receive = %#v, want %v", got, want)
			}
		}
		return nil
	})
}

// Ports AnyIO's test_task_group_cancellation_open: a task that opens a
// receiver and waits on it is cancelled with its group, and the
// cancellation is not swallowed.
func TestSignalReceiverCancelledWithGroup(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var got error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				r := anyio.OpenSignalReceiver(syscall.SIGUSR1)
				defer r.Close(ctx)
				for s, err := range anyio.Iterate(ctx, r) {
					if err != nil {
						got = err
						return err
					}
					t.Errorf("received %v; no SIGUSR1 was sent", s)
				}
				t.Error("the iteration ended without the cancellation")
				return nil
			})
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if !errors.Is(got, anyio.ErrCancelled) {
			t.Errorf("Receive in a cancelled group = %v, want a cancellation", got)
		}
		return nil
	})
}

// Ports AnyIO's test_task_group_cancellation_consume: a receiver opened
// outside the group, consumed by a task of the group that is cancelled.
func TestSignalReceiverConsumerCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGUSR1)
		defer r.Close(ctx)
		var got error
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				for s, err := range anyio.Iterate(ctx, r) {
					if err != nil {
						got = err
						return err
					}
					t.Errorf("received %v; no SIGUSR1 was sent", s)
				}
				return nil
			})
			tg.CancelScope().Cancel()
			return nil
		})
		if err != nil {
			return err
		}
		if !errors.Is(got, anyio.ErrCancelled) {
			t.Errorf("Receive in a cancelled group = %v, want a cancellation", got)
		}
		// The receiver still works after its consumer was cancelled.
		raise(t, syscall.SIGUSR1)
		if s := receiveSignal(t, ctx, r); s != syscall.SIGUSR1 {
			t.Errorf("Receive after a cancelled consumer = %v, want SIGUSR1", s)
		}
		return nil
	})
}

// Iterate ranges over the signals; breaking out leaves the receiver open.
func TestSignalReceiverIterate(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGUSR1, syscall.SIGUSR2)
		defer r.Close(ctx)
		want := []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGUSR1}
		var got []os.Signal
		// Each is sent once the previous one arrived: pending distinct
		// signals would come in the order of their numbers.
		raise(t, want[0])
		for s, err := range anyio.Iterate(ctx, r) {
			if err != nil {
				return err
			}
			got = append(got, s)
			if len(got) == len(want) {
				break
			}
			raise(t, want[len(got)])
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Iterate gave %v, want %v", got, want)
				break
			}
		}
		return nil
	})
}

// Two receivers of one signal both get it; each Close leaves the other's.
func TestSignalReceiverTwoReceivers(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r1 := anyio.OpenSignalReceiver(syscall.SIGUSR1)
		defer r1.Close(ctx)
		r2 := anyio.OpenSignalReceiver(syscall.SIGUSR1, syscall.SIGUSR2)
		defer r2.Close(ctx)
		raise(t, syscall.SIGUSR1)
		for i, r := range []*anyio.SignalReceiver{r1, r2} {
			if s := receiveSignal(t, ctx, r); s != syscall.SIGUSR1 {
				t.Errorf("receiver %d got %v, want SIGUSR1", i+1, s)
			}
		}
		if err := r2.Close(ctx); err != nil {
			t.Errorf("Close = %v", err)
		}
		raise(t, syscall.SIGUSR1)
		if s := receiveSignal(t, ctx, r1); s != syscall.SIGUSR1 {
			t.Errorf("the receiver left open got %v, want SIGUSR1", s)
		}
		if _, err := r2.Receive(ctx); !errors.Is(err, anyio.ErrClosedResource) {
			t.Errorf("Receive on a closed receiver = %v, want anyio.ErrClosedResource", err)
		}
		return nil
	})
}

// Close gives the signal back to the handling it had before: here, a
// channel of signal.Notify.
func TestSignalReceiverCloseRestoresNotify(t *testing.T) {
	prior := make(chan os.Signal, 4)
	signal.Notify(prior, syscall.SIGUSR2)
	defer signal.Stop(prior)
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGUSR2)
		raise(t, syscall.SIGUSR2)
		if s := receiveSignal(t, ctx, r); s != syscall.SIGUSR2 {
			t.Errorf("Receive = %v, want SIGUSR2", s)
		}
		if err := r.Close(ctx); err != nil {
			return err
		}
		if err := r.Close(ctx); err != nil {
			t.Errorf("second Close = %v, want nil (idempotent)", err)
		}
		raise(t, syscall.SIGUSR2)
		for range 2 { // the one sent while the receiver was open, and this one
			select {
			case <-prior:
			case <-time.After(10 * time.Second):
				t.Fatal("the signal.Notify channel stopped receiving SIGUSR2")
			}
		}
		return nil
	})
}

// Close restores the default action: in a child process, SIGTERM ends it
// once its receiver is closed (Go's default for SIGTERM; SIGUSR1 would be
// ignored, as Go ignores it by default).
func TestSignalReceiverCloseRestoresDefault(t *testing.T) {
	if os.Getenv("ANYIO_SIGNAL_TEST_CHILD") == "1" {
		signalChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalReceiverCloseRestoresDefault$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ANYIO_SIGNAL_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: %v, want it killed by SIGTERM; output:\n%s", err, out)
	}
	ws := exit.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("child ended with %v, want killed by SIGTERM; output:\n%s", exit, out)
	}
	if !strings.Contains(string(out), "received SIGTERM, closed") {
		t.Errorf("the child did not receive the first SIGTERM; output:\n%s", out)
	}
}

// signalChild is the child of TestSignalReceiverCloseRestoresDefault.
func signalChild(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGTERM)
		raise(t, syscall.SIGTERM)
		if s := receiveSignal(t, ctx, r); s != syscall.SIGTERM {
			t.Fatalf("Receive = %v", s)
		}
		r.Close(ctx)
		os.Stdout.WriteString("received SIGTERM, closed\n")
		raise(t, syscall.SIGTERM) // the default action ends the process
		time.Sleep(10 * time.Second)
		t.Error("SIGTERM did not end the process after Close")
		return nil
	})
}

// Close ends a blocked Receive with ErrClosedResource; a Receive in a
// cancelled context takes no signal.
func TestSignalReceiverCloseAndCancel(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		r := anyio.OpenSignalReceiver(syscall.SIGUSR2)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		raise(t, syscall.SIGUSR2)
		if s := receiveSignal(t, ctx, r); s != syscall.SIGUSR2 {
			t.Fatalf("Receive = %v, want SIGUSR2", s)
		}
		raise(t, syscall.SIGUSR2)
		if s, err := r.Receive(cancelled); s != nil || !errors.Is(err, anyio.ErrCancelled) {
			t.Errorf("Receive in a cancelled context = %v, %v; want nil and a cancellation", s, err)
		}
		if s := receiveSignal(t, ctx, r); s != syscall.SIGUSR2 {
			t.Errorf("Receive after a cancelled Receive = %v, want the SIGUSR2 it did not take", s)
		}
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if _, err := r.Receive(ctx); !errors.Is(err, anyio.ErrClosedResource) {
					t.Errorf("Receive blocked while the receiver is closed = %v, want anyio.ErrClosedResource", err)
				}
				return nil
			}, anyio.TaskName("signal-waiter"))
			if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			var dump strings.Builder
			if err := anyio.DumpTasks(ctx, &dump); err != nil {
				return err
			}
			if want := `"signal-waiter" waiting on SignalReceiver.Receive (user defined signal 2)`; !strings.Contains(dump.String(), want) {
				t.Errorf("DumpTasks lacks %q:\n%s", want, dump.String())
			}
			return r.Close(ctx)
		})
	})
}

// OpenSignalReceiver with no signal (signal.Notify would then relay them
// all) or a nil one is a programming error.
func TestOpenSignalReceiverPanics(t *testing.T) {
	for name, sigs := range map[string][]os.Signal{"none": nil, "nil signal": {syscall.SIGUSR1, nil}} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.HasPrefix(msg, "anyio: OpenSignalReceiver") {
					t.Errorf("OpenSignalReceiver(%v) panicked with %v, want an anyio: message", sigs, r)
				}
			}()
			anyio.OpenSignalReceiver(sigs...)
		})
	}
}
