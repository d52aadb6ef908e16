package anyio

import (
	"errors"
	"syscall"

	"github.com/anyio-go/anyio/internal/core"
)

// acceptOutcome is what Serve does about an error of Accept.
type acceptOutcome int

const (
	// acceptFatal ends Serve with the error.
	acceptFatal acceptOutcome = iota
	// acceptAgain accepts again at once: one connection failed between
	// its arrival and its acceptance, and the listener is fine.
	acceptAgain
	// acceptBackOff waits before it accepts again: the process or the
	// system is out of descriptors or memory, which closing connections
	// frees.
	acceptBackOff
)

// Errors of accept(2) that concern one connection only: the peer reset or
// abandoned it while it was queued, or (Linux) a network error was pending
// on it. Go's net package already retries ECONNABORTED itself; a listener
// from elsewhere (WrapListener) may not.
var acceptAgainErrors = []error{syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO}

// Errors of accept(2) that say that resources ran out: the process's
// descriptor limit, the system's file table, socket buffers, kernel memory.
// The connection stays queued until a later accept takes it.
var acceptBackOffErrors = append([]error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM}, platformBackOffErrors...)

// classifyAcceptError says what Serve does about err, an error of Accept.
func classifyAcceptError(err error) acceptOutcome {
	if err == nil || core.IsCancellation(err) || errors.Is(err, ErrClosedResource) {
		return acceptFatal
	}
	for _, e := range acceptBackOffErrors {
		if errors.Is(err, e) {
			return acceptBackOff
		}
	}
	for _, e := range acceptAgainErrors {
		if errors.Is(err, e) {
			return acceptAgain
		}
	}
	return acceptFatal
}
