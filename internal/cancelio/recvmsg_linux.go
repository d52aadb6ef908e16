package cancelio

import "syscall"

const recvmsgFlags = syscall.MSG_CMSG_CLOEXEC
