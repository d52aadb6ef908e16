//go:build unix

package anyio

import "syscall"

// socketFamily returns the address family of the socket behind raw.
func socketFamily(raw syscall.RawConn) (fam AddressFamily, ok bool) {
	raw.Control(func(fd uintptr) {
		sa, err := syscall.Getsockname(int(fd))
		if err != nil {
			return
		}
		switch sa.(type) {
		case *syscall.SockaddrInet4:
			fam, ok = AFInet, true
		case *syscall.SockaddrInet6:
			fam, ok = AFInet6, true
		case *syscall.SockaddrUnix:
			fam, ok = AFUnix, true
		}
	})
	return fam, ok
}
