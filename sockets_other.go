//go:build !unix

package anyio

import (
	"errors"
	"net"
	"os"
	"syscall"
)

func setReusePort(c syscall.RawConn) error { return errors.ErrUnsupported }

func relisten(fd uintptr, backlog int) error { return errors.ErrUnsupported }

func ipv6Supported() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func dualStackSupported() bool { return false }

func unixRights(fds []int) []byte { return nil }

func rightsSpace(n int) int { return 0 }

func truncatedControl(flags int) bool { return false }

func parseRights(oob []byte) ([]int, error) {
	if len(oob) > 0 {
		return nil, errors.ErrUnsupported
	}
	return nil, nil
}

func closeFDs(fds []int) {}

func unboundUnixgram() (*net.UnixConn, error) { return nil, errors.ErrUnsupported }

// pollableDup returns nil: a wait's I/O needs a Unix system.
func pollableDup(fd uintptr, name string) *os.File { return nil }
