//go:build unix

package toprocess

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// watchParent ends the worker process once its parent's end of the request
// pipe fd closes: the parent is done with it, or died. The worker's loop
// sees that too, but only between calls; this sees it during a call. A
// poll for no event returns only on the pipe's hang-up (or an error), not
// on a request's arrival.
func watchParent(fd int) {
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			os.Exit(0)
		}
	}
}
