package anyio_test

import "golang.org/x/sys/unix"

// iwFIONREAD is the ioctl that tells how many bytes a socket's receive
// queue holds.
const iwFIONREAD = unix.SIOCINQ
