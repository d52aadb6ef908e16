package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/cancelio"
	"github.com/anyio-go/anyio/internal/core"
)

// A pipe of a child is read and written through a cancelio.FD: a call
// returns soon after its context is cancelled, and the calling task counts
// as blocked for anyio.WaitAllTasksBlocked exactly while it waits for the
// child, in a wait that DumpTasks names after the process.

// pipeReceive is the parent's end of the child's standard output or error.
type pipeReceive struct {
	f      *os.File
	name   string // "Stdout" or "Stderr"
	info   core.WaitInfo
	busy   atomic.Bool
	closed atomic.Bool
	fd     cancelio.FD
}

func newPipeReceive(f *os.File, name string) *pipeReceive {
	s := &pipeReceive{f: f, name: name}
	s.fd.InitFile(f, false, func() string { return s.info.What })
	return s
}

// named names the wait once the child's pid is known.
func (s *pipeReceive) named(p *Process) {
	s.info = core.WaitInfo{What: fmt.Sprintf("Process.%s().Receive (pid %d, %s)", s.name, p.pid, p.name), Obj: p}
}

var _ anyio.ByteReceiveStream = (*pipeReceive)(nil)

// Receive reads what the child wrote; see anyio.ByteReceiveStream.
func (s *pipeReceive) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	if s.closed.Load() {
		return 0, anyio.ErrClosedResource
	}
	if !s.busy.CompareAndSwap(false, true) {
		return 0, &anyio.BusyResourceError{Action: "reading from"}
	}
	defer s.busy.Store(false)
	for {
		if ctx.Err() != nil {
			return 0, core.CancelErr(ctx)
		}
		n, err, cancelled := s.fd.ReadFile(ctx, s.f, p)
		if n > 0 {
			return n, nil
		}
		if cancelled {
			return 0, core.CancelErr(ctx)
		}
		if err != nil {
			return 0, mapPipeErr(err, &s.closed)
		}
	}
}

// Close closes the parent's end of the pipe: a child that writes to it
// afterwards gets SIGPIPE (or EPIPE). A Receive blocked on it returns
// anyio.ErrClosedResource. It never blocks and is idempotent.
func (s *pipeReceive) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	s.fd.Release()
	return closeFile(s.f)
}

// ExtraAttributes returns the typed attributes of the stream: it has none.
func (s *pipeReceive) ExtraAttributes() map[any]func() any { return nil }

// pipeSend is the parent's end of the child's standard input.
type pipeSend struct {
	f      *os.File
	info   core.WaitInfo
	busy   atomic.Bool
	closed atomic.Bool
	fd     cancelio.FD
}

func newPipeSend(f *os.File) *pipeSend {
	s := &pipeSend{f: f}
	s.fd.InitFile(f, true, func() string { return s.info.What })
	return s
}

func (s *pipeSend) named(p *Process) {
	s.info = core.WaitInfo{What: fmt.Sprintf("Process.Stdin().Send (pid %d, %s)", p.pid, p.name), Obj: p}
}

var _ anyio.ByteSendStream = (*pipeSend)(nil)

// Send writes p to the child; see anyio.ByteSendStream.
func (s *pipeSend) Send(ctx context.Context, p []byte) error {
	if s.closed.Load() {
		return anyio.ErrClosedResource
	}
	if !s.busy.CompareAndSwap(false, true) {
		return &anyio.BusyResourceError{Action: "writing to"}
	}
	defer s.busy.Store(false)
	for len(p) > 0 {
		if ctx.Err() != nil {
			return core.CancelErr(ctx)
		}
		n, err, cancelled := s.fd.WriteFile(ctx, s.f, p)
		p = p[n:]
		if cancelled {
			return core.CancelErr(ctx)
		}
		if err != nil {
			return mapPipeErr(err, &s.closed)
		}
	}
	return nil
}

// Close closes the parent's end of the pipe: the child reads the end of its
// input. A Send blocked on it returns anyio.ErrClosedResource. It never
// blocks and is idempotent.
func (s *pipeSend) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	s.fd.Release()
	return closeFile(s.f)
}

// ExtraAttributes returns the typed attributes of the stream: it has none.
func (s *pipeSend) ExtraAttributes() map[any]func() any { return nil }

func closeFile(f *os.File) error {
	if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// mapPipeErr maps the error of a Read or Write on a pipe to anyio's errors.
func mapPipeErr(err error, closed *atomic.Bool) error {
	switch {
	case closed.Load() || errors.Is(err, os.ErrClosed):
		return anyio.ErrClosedResource
	case errors.Is(err, io.EOF):
		return anyio.ErrEndOfStream
	case errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: the child closed its end of the pipe: %w", anyio.ErrBrokenResource, err)
	}
	return fmt.Errorf("%w: %w", anyio.ErrBrokenResource, err)
}
