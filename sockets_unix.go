//go:build unix

package anyio

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// setReusePort sets SO_REUSEPORT on the socket behind c.
func setReusePort(c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// relisten calls listen(2) on a socket that listens already, to change its
// backlog.
func relisten(fd uintptr, backlog int) error {
	return unix.Listen(int(fd), backlog)
}

// ipv6Supported reports whether an IPv6 socket can be bound to ::1.
var ipv6Supported = sync.OnceValue(func() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	return unix.Bind(fd, sa) == nil
})

// dualStackSupported reports whether an IPv6 socket can also take IPv4
// traffic (IPV6_V6ONLY can be cleared).
var dualStackSupported = sync.OnceValue(func() bool {
	if !ipv6Supported() {
		return false
	}
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0) == nil
})

// unixRights encodes fds as an SCM_RIGHTS control message.
func unixRights(fds []int) []byte { return unix.UnixRights(fds...) }

// rightsSpace is the size of a control buffer for n descriptors.
func rightsSpace(n int) int { return unix.CmsgSpace(n * 4) }

// truncatedControl reports whether recvmsg's flags say that control data
// did not fit (the kernel closed the descriptors that did not).
func truncatedControl(flags int) bool { return flags&unix.MSG_CTRUNC != 0 }

// parseRights returns the descriptors of the SCM_RIGHTS messages in oob.
// Descriptors are returned also with an error, for the caller to close.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	var bad error
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			bad = fmt.Errorf("unexpected control message (level %d, type %d)", m.Header.Level, m.Header.Type)
			continue
		}
		got, err := unix.ParseUnixRights(m)
		if err != nil {
			bad = err
			continue
		}
		fds = append(fds, got...)
	}
	return fds, bad
}

// closeFDs closes descriptors received but not handed out.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// unboundUnixgram makes a UNIX datagram socket bound to no path (net has no
// way to make one).
func unboundUnixgram() (*net.UnixConn, error) {
	syscall.ForkLock.RLock() // no exec may inherit it before it is close-on-exec
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	f := os.NewFile(uintptr(fd), "unixgram")
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UnixConn), nil
}

// pollableDup returns a duplicate of the socket fd (close-on-exec) as a
// file that the runtime polls (the socket is non-blocking), or nil when
// the descriptor cannot be duplicated.
func pollableDup(fd uintptr, name string) *os.File {
	nfd, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(nfd), name)
}
