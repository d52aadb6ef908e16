package toprocess_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
)

// orphanParentEnv makes the test binary run orphanParent (see TestMain).
const orphanParentEnv = "ANYIO_TOPROCESS_TEST_ORPHAN_PARENT"

// orphanParent is the main of the parent that TestNoOrphanWorkers kills: it
// keeps a worker busy in a long call.
func orphanParent() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		_, err := announceAndSleep.RunSync(ctx, struct{}{})
		return err
	})
	fmt.Fprintln(os.Stderr, "orphan parent:", err)
	os.Exit(1)
}

// A worker whose parent is killed with SIGKILL, in the middle of a call,
// exits: no worker outlives its parent.
func TestNoOrphanWorkers(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), orphanParentEnv+"=1")
	parent.Stderr = os.Stderr
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Wait()
	defer parent.Process.Kill()
	// The worker, busy in its call, prints its PID on the stdout it shares
	// with the parent.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the worker's PID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the worker's PID: %v", err)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		t.Skip("this kernel has no pidfd_open, with which the test waits for the worker's end")
	}
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(pidfd)

	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// The worker's pidfd becomes readable when it exits.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 10_000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if n == 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("worker %d still runs 10 s after its parent was killed", pid)
		}
		return
	}
}
