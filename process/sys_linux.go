package process

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// startCmd starts cmd. With a umask, it starts it from a goroutine locked to
// a thread that has a file system context of its own (unshare(2) of
// CLONE_FS) whose umask is set: the child inherits that thread's umask,
// while the rest of the process keeps its own. The goroutine exits without
// unlocking, so that the thread ends with it and never runs other code.
func startCmd(cmd *exec.Cmd, cfg *config) error {
	if !cfg.umaskSet {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go startWithUmask(cmd, cfg.umask, errc)
	return <-errc
}

func startWithUmask(cmd *exec.Cmd, mask int, errc chan<- error) {
	runtime.LockOSThread()
	if syscall.Gettid() == syscall.Getpid() {
		// The main thread cannot end (the runtime parks it for good
		// instead): keep it busy, so that a new goroutine gets another
		// thread, and give it back untouched.
		done := make(chan struct{})
		go func() {
			startWithUmask(cmd, mask, errc)
			close(done)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	if err := syscall.Unshare(syscall.CLONE_FS); err != nil {
		errc <- fmt.Errorf("%w: unshare(CLONE_FS): %w", ErrUmaskUnsupported, err)
		return
	}
	old := syscall.Umask(mask)
	err := cmd.Start()
	syscall.Umask(old)
	errc <- err
}

// waitExited blocks until the child pid has exited, without reaping it, and
// reports whether it could wait: while the child is a zombie, its process
// ID, and so its process group ID, cannot name another process.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err == nil
		}
	}
}
