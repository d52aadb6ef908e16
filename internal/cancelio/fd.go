package cancelio

import (
	"context"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/internal/core"
)

// FD is one direction (reads or writes) of a descriptor that the runtime
// polls, used through its syscall.RawConn so that the calling task counts as
// blocked for WaitAllTasksBlocked exactly while it waits for readiness.
//
// The runtime calls the RawConn's callback to attempt the operation; when
// the attempt reports that it would block, the callback parks the task (it
// counts as blocked, and DumpTasks names the wait) and returns false; the
// runtime waits for readiness and calls the callback again, which first
// marks the task as running. An operation that can proceed at once (a
// receive with data pending) never counts as blocked, and no system call is
// added to the one the operation makes.
//
// Like Op, an FD serves one call at a time; the caller's busy guard
// ensures it. Its zero value is not usable: call Init.
type FD struct {
	op    Op
	rc    syscall.RawConn
	write bool
	setDL func(time.Time) error
	run   func() (int, error)   // f.runRaw, made once
	cb    func(fd uintptr) bool // f.callback, made once
	desc  func() string
	info  atomic.Pointer[core.WaitInfo]
	sysfd atomic.Uintptr // the descriptor, once a call has waited

	// The call in progress.
	ctx     context.Context
	task    *core.Task
	parked  bool
	attempt func(fd uintptr) bool
	buf     []byte
	n       int
	err     error
	rdFn    func(fd uintptr) bool // f.readAttempt, made once
	wrFn    func(fd uintptr) bool // f.writeAttempt, made once
}

// Init prepares f for the reads (write false) or writes of rc. setDeadline
// sets the deadline of that direction; describe names the wait for
// DumpTasks ("TCP receive from 127.0.0.1:5000"); it is called once, the
// first time a call has to wait.
//
// Where the system has no such I/O (outside Unix systems), Init does
// nothing and Ready reports false.
func (f *FD) Init(rc syscall.RawConn, write bool, setDeadline func(time.Time) error, describe func() string) {
	if !rawIO {
		return
	}
	f.rc, f.write, f.setDL, f.desc = rc, write, setDeadline, describe
	f.run = f.runRaw
	f.cb = f.callback
	if write {
		f.wrFn = f.writeAttempt
	} else {
		f.rdFn = f.readAttempt
	}
}

// Release ends the registration of f's wake-up with its last context; the
// owner calls it when it closes the descriptor.
func (f *FD) Release() { f.op.Release() }

// Wait runs attempt through the RawConn until it reports that it is done
// (true) or ctx is cancelled, the deadline passes or the descriptor is
// closed. attempt returns false when the operation would block (EAGAIN);
// it may be called several times. Wait returns the RawConn's error (nil
// when attempt finished; attempt keeps its own results) and whether ctx's
// cancellation interrupted the wait.
func (f *FD) Wait(ctx context.Context, attempt func(fd uintptr) bool) (err error, cancelled bool) {
	f.ctx, f.attempt = ctx, attempt
	_, err, cancelled = f.op.Do(ctx, f.setDL, f.run)
	f.finish()
	return err, cancelled
}

// Read reads into p with one read(2) that the runtime retries on
// readiness. It returns read's results: n is 0 and err nil at the end of a
// stream; err is a syscall.Errno or the RawConn's error (closed descriptor,
// deadline). cancelled reports an interruption by ctx.
func (f *FD) Read(ctx context.Context, p []byte) (n int, err error, cancelled bool) {
	f.buf, f.n, f.err = p, 0, nil
	werr, cancelled := f.Wait(ctx, f.rdFn)
	n, err = f.n, f.err
	f.buf, f.err = nil, nil
	if werr != nil {
		err = werr
	}
	return n, err, cancelled
}

// Write writes p with one write(2) that the runtime retries on readiness;
// it may write less than len(p). Its results are as Read's.
func (f *FD) Write(ctx context.Context, p []byte) (n int, err error, cancelled bool) {
	f.buf, f.n, f.err = p, 0, nil
	werr, cancelled := f.Wait(ctx, f.wrFn)
	n, err = f.n, f.err
	f.buf, f.err = nil, nil
	if werr != nil {
		err = werr
	}
	return n, err, cancelled
}

func (f *FD) readAttempt(fd uintptr) bool  { return f.attempted(sysRead(fd, f.buf)) }
func (f *FD) writeAttempt(fd uintptr) bool { return f.attempted(sysWrite(fd, f.buf)) }

// attempted records the results of a read or write and reports whether it
// is done: false when it would block.
func (f *FD) attempted(n int, err error) bool {
	switch err {
	case syscall.EAGAIN:
		return false
	case nil:
		f.n = n
	default:
		f.err = err
	}
	return true
}

func (f *FD) runRaw() (int, error) {
	if f.write {
		return 0, f.rc.Write(f.cb)
	}
	return 0, f.rc.Read(f.cb)
}

// callback is the RawConn callback: it attempts the operation, and parks
// the task while the runtime waits for readiness.
func (f *FD) callback(fd uintptr) bool {
	if f.parked {
		f.task.Unpark()
		f.parked = false
	}
	if f.attempt(fd) {
		return true
	}
	if f.task == nil {
		f.task = core.TaskOf(f.ctx)
	}
	f.sysfd.Store(fd)
	f.parked = f.task.ParkIO(f.ctx.Done(), f.waitInfo())
	return false
}

// finish ends the call: a task still parked (the wait ended by a deadline,
// a cancellation or a close) runs again.
func (f *FD) finish() {
	if f.parked {
		f.task.Unpark()
		f.parked = false
	}
	f.ctx, f.task, f.attempt = nil, nil, nil
}

func (f *FD) waitInfo() *core.WaitInfo {
	if w := f.info.Load(); w != nil {
		return w
	}
	w := &core.WaitInfo{What: f.desc(), Ready: f.ready}
	f.info.Store(w)
	return w
}

// ready reports whether the descriptor is ready for f's direction: the
// runtime is about to wake the parked task (WaitInfo.Ready).
func (f *FD) ready() bool { return PollNow(f.sysfd.Load(), f.write) }

// Op returns the Op under f: for a descriptor without a RawConn, whose
// calls go through Op.Do and count as running while they block.
func (f *FD) Op() *Op { return &f.op }

// Ready reports whether Init was called with a RawConn.
func (f *FD) Ready() bool { return f.rc != nil }

// InitFile prepares f for the reads (write false) or writes of file, and
// reports whether file has a RawConn (a pipe, a socket, a FIFO, a
// terminal: a file the runtime can poll, and others that simply block in
// the attempt). describe is as Init's.
func (f *FD) InitFile(file *os.File, write bool, describe func() string) bool {
	rc, err := file.SyscallConn()
	if err != nil {
		return false
	}
	setDeadline := file.SetReadDeadline
	if write {
		setDeadline = file.SetWriteDeadline
	}
	f.Init(rc, write, setDeadline, describe)
	return true
}

// ReadFile is Read on file, with os.File's results: io.EOF at the end, an
// *os.PathError for a failed system call.
//
// Without a RawConn (InitFile returned false) it reads through f's Op,
// and the task counts as running while it blocks.
func (f *FD) ReadFile(ctx context.Context, file *os.File, p []byte) (n int, err error, cancelled bool) {
	if !f.Ready() {
		return f.op.Do(ctx, file.SetReadDeadline, func() (int, error) { return file.Read(p) })
	}
	n, err, cancelled = f.Read(ctx, p)
	if err == nil && n == 0 && len(p) > 0 {
		return 0, io.EOF, cancelled
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = &os.PathError{Op: "read", Path: file.Name(), Err: errno}
	}
	return n, err, cancelled
}

// WriteFile is Write on file, with os.File's results.
func (f *FD) WriteFile(ctx context.Context, file *os.File, p []byte) (n int, err error, cancelled bool) {
	if !f.Ready() {
		return f.op.Do(ctx, file.SetWriteDeadline, func() (int, error) { return file.Write(p) })
	}
	n, err, cancelled = f.Write(ctx, p)
	if errno, ok := err.(syscall.Errno); ok {
		err = &os.PathError{Op: "write", Path: file.Name(), Err: errno}
	}
	return n, err, cancelled
}
