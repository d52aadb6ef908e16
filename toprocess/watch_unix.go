//go:build unix

package toprocess

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// watchParent ends the worker process once its parent's end of the
// lifeline pipe fd closes: the parent is done with it, or died. The
// worker's loop sees the end of the request pipe too, but only between
// calls; this sees it during a call. Nothing is ever written to the
// lifeline, so the poll returns only on its hang-up (or an error), and
// wakes no thread on the way of a call.
func watchParent(fd int) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || fds[0].Revents != 0 {
			os.Exit(0)
		}
	}
}
