//go:build !unix

package cancelio

import "syscall"

// Elsewhere than on Unix systems an FD is never initialized (Init does
// nothing), so none of these is called.

func sysRead(fd uintptr, p []byte) (int, error)  { return 0, syscall.EWINDOWS }
func sysWrite(fd uintptr, p []byte) (int, error) { return 0, syscall.EWINDOWS }

// Recvfrom is not available here.
func Recvfrom(fd uintptr, p []byte) (int, syscall.Sockaddr, error) {
	return 0, nil, syscall.EWINDOWS
}

// Sendto is not available here.
func Sendto(fd uintptr, p []byte, to syscall.Sockaddr) error { return syscall.EWINDOWS }

// Sendmsg is not available here.
func Sendmsg(fd uintptr, p, oob []byte) (int, error) { return 0, syscall.EWINDOWS }

// Recvmsg is not available here.
func Recvmsg(fd uintptr, p, oob []byte) (n, oobn, flags int, err error) {
	return 0, 0, 0, syscall.EWINDOWS
}

// PollNow reports true: no wait here has a descriptor to poll.
func PollNow(fd uintptr, write bool) bool { return true }

const rawIO = false
