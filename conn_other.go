//go:build !unix

package anyio

import "syscall"

// socketFamily reports no family: the address decides (see addrFamily).
func socketFamily(raw syscall.RawConn) (AddressFamily, bool) { return AFUnspec, false }
