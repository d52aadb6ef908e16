//go:build unix

package cancelio

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls that an FD's attempts make. Each retries on EINTR and
// returns EAGAIN as it is, for the attempt to report that it would block.

func sysRead(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func sysWrite(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// Recvfrom receives one datagram into p and returns its sender.
func Recvfrom(fd uintptr, p []byte) (int, syscall.Sockaddr, error) {
	for {
		n, from, err := syscall.Recvfrom(int(fd), p, 0)
		if err != syscall.EINTR {
			return n, from, err
		}
	}
}

// Sendto sends the datagram p to to.
func Sendto(fd uintptr, p []byte, to syscall.Sockaddr) error {
	for {
		err := syscall.Sendto(int(fd), p, 0, to)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Sendmsg sends p with the control message oob on a connected socket.
func Sendmsg(fd uintptr, p, oob []byte) (int, error) {
	for {
		n, err := syscall.SendmsgN(int(fd), p, oob, nil, 0)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// Recvmsg receives into p and the control message into oob; descriptors
// received are close-on-exec where the system allows it at once.
func Recvmsg(fd uintptr, p, oob []byte) (n, oobn, flags int, err error) {
	for {
		n, oobn, flags, _, err = syscall.Recvmsg(int(fd), p, oob, recvmsgFlags)
		if err != syscall.EINTR {
			return n, oobn, flags, err
		}
	}
}

// PollNow reports whether fd is readable (or writable, when write is set),
// with poll(2) and no waiting. An error (a descriptor closed meanwhile)
// reports true: the wait on it is about to end.
func PollNow(fd uintptr, write bool) bool {
	ev := int16(unix.POLLIN)
	if write {
		ev = unix.POLLOUT
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err != nil || (n > 0 && fds[0].Revents != 0)
	}
}

// rawIO says whether this system has the I/O of an FD.
const rawIO = true
