package anyio

import "syscall"

// Winsock's own numbers for running out of descriptors (WSAEMFILE) and of
// buffer space (WSAENOBUFS), which syscall does not name.
var platformBackOffErrors = []error{syscall.Errno(10024), syscall.Errno(10055)}
