//go:build unix && !linux

package cancelio

const recvmsgFlags = 0
