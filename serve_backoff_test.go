package anyio_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// scriptedListener is a net.Listener whose Accepts return, in turn, the
// outcomes of its script: a nil entry is a connection, any other an error
// as the net package reports it. Once the script has run out, Accept blocks
// until the listener is closed. It records the time of every Accept, so
// that inside a synctest bubble the back-off schedule can be read off
// exactly. It has no SetDeadline: WrapListener accepts from it through its
// helper goroutine.
type scriptedListener struct {
	start time.Time

	mu     sync.Mutex
	script []error
	calls  []time.Duration // when each Accept began, since start

	drained   chan struct{} // closed once an Accept finds the script run out
	closed    chan struct{}
	closeOnce sync.Once
}

func newScriptedListener(script ...error) *scriptedListener {
	return &scriptedListener{
		start:   time.Now(),
		script:  script,
		drained: make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

// acceptErr is an errno as Accept of a *net.TCPListener reports it.
func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

func (l *scriptedListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.calls = append(l.calls, time.Since(l.start))
	if len(l.script) == 0 {
		select {
		case <-l.drained:
		default:
			close(l.drained)
		}
		l.mu.Unlock()
		<-l.closed
		return nil, net.ErrClosed
	}
	err := l.script[0]
	l.script = l.script[1:]
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	server, client := net.Pipe()
	client.Close()
	return server, nil
}

func (l *scriptedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *scriptedListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
}

func (l *scriptedListener) acceptTimes() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// logRecorder is a slog.Handler that keeps the records it is given.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs)
}

// recordLogs makes slog.Default() a logRecorder for the rest of the test.
func recordLogs(t *testing.T) *logRecorder {
	h := &logRecorder{}
	old := slog.Default()
	slog.SetDefault(slog.New(h))
	t.Cleanup(func() { slog.SetDefault(old) })
	return h
}

// recordAttr returns the value of the attribute key of r, as a string.
func recordAttr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// serveScripted serves a WrapListener of l with a handler that counts and
// closes its streams, until l's script has run out; then it cancels Serve
// and returns what Serve returned and how many connections were handled.
func serveScripted(ctx context.Context, l *scriptedListener) (serveErr error, handled int, err error) {
	sl := anyio.WrapListener(l)
	defer sl.Close(ctx)
	var n atomic.Int32
	err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		serveCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		tg.StartSoon(func(context.Context) error {
			defer close(done)
			serveErr = sl.Serve(serveCtx, func(ctx context.Context, s anyio.SocketStream) error {
				n.Add(1)
				return s.Close(ctx)
			}, nil)
			return nil
		})
		select {
		case <-l.drained:
		case <-done:
			cancel()
			return fmt.Errorf("Serve returned %v before the script ran out", serveErr)
		}
		cancel()
		<-done
		return nil
	})
	return serveErr, int(n.Load()), err
}

// Accepts that run out of descriptors are retried after 5 ms, 10 ms, 20 ms,
// ... at most 1 s apart; an accepted connection starts the schedule over.
// Each burst of failures is logged once.
func TestServeBacksOffOnDescriptorExhaustion(t *testing.T) {
	logs := recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		emfile := acceptErr(syscall.EMFILE)
		var script []error
		script = append(script, nil) // a connection
		for range 11 {
			script = append(script, emfile)
		}
		script = append(script, nil)
		script = append(script, acceptErr(syscall.ENFILE), acceptErr(syscall.ENOBUFS), acceptErr(syscall.ENOMEM))
		script = append(script, nil)
		l := newScriptedListener(script...)

		serveErr, handled, err := serveScripted(ctx, l)
		if err != nil {
			return err
		}
		if !errors.Is(serveErr, context.Canceled) {
			t.Errorf("Serve returned %v, want the cancellation", serveErr)
		}
		if handled != 3 {
			t.Errorf("%d connections handled, want 3", handled)
		}

		ms := time.Millisecond
		// The waits after each failure of a burst.
		waits := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second, time.Second}
		var want []time.Duration
		at := time.Duration(0)
		want = append(want, at, at) // the connection, then the first failure at once
		for _, w := range waits {
			at += w
			want = append(want, at) // the failures that follow, then the connection
		}
		want = append(want, at) // ENFILE right after the connection
		at += 5 * ms            // the schedule starts over
		want = append(want, at) // ENOBUFS
		at += 10 * ms
		want = append(want, at) // ENOMEM
		at += 20 * ms
		want = append(want, at, at) // the connection, then the Accept that finds the script run out
		if got := l.acceptTimes(); !slices.Equal(got, want) {
			t.Errorf("Accepts began at\n%v\nwant\n%v", got, want)
		}

		recs := logs.records()
		if len(recs) != 2 {
			t.Errorf("%d log records, want one per burst (2): %v", len(recs), recs)
			return nil
		}
		for i, wantErr := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
			r := recs[i]
			if r.Level != slog.LevelError {
				t.Errorf("record %d has level %v, want Error", i, r.Level)
			}
			if got := recordAttr(r, "error"); !strings.Contains(got, wantErr.Error()) {
				t.Errorf("record %d has error %q, want %v", i, got, wantErr)
			}
			if got := recordAttr(r, "listener"); got != "127.0.0.1:4242" {
				t.Errorf("record %d names listener %q", i, got)
			}
		}
		return nil
	})
}

// An error that concerns only the connection being accepted is retried at
// once, without a wait and without a log record.
func TestServeRetriesAbortedConnectionsAtOnce(t *testing.T) {
	logs := recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		l := newScriptedListener(
			acceptErr(syscall.ECONNABORTED), acceptErr(syscall.ECONNRESET), acceptErr(syscall.EPROTO), nil,
			acceptErr(syscall.ECONNABORTED), nil)
		serveErr, handled, err := serveScripted(ctx, l)
		if err != nil {
			return err
		}
		if !errors.Is(serveErr, context.Canceled) {
			t.Errorf("Serve returned %v, want the cancellation", serveErr)
		}
		if handled != 2 {
			t.Errorf("%d connections handled, want 2", handled)
		}
		if got, want := l.acceptTimes(), make([]time.Duration, 7); !slices.Equal(got, want) {
			t.Errorf("Accepts began at %v, want all at once", got)
		}
		if recs := logs.records(); len(recs) != 0 {
			t.Errorf("log records %v, want none", recs)
		}
		return nil
	})
}

// Other errors of Accept still end Serve, at once and without a log record.
func TestServeEndsOnOtherAcceptErrors(t *testing.T) {
	logs := recordLogs(t)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"EINVAL", acceptErr(syscall.EINVAL)},
		{"EPERM", acceptErr(syscall.EPERM)},
		{"foreign", errors.New("the listener broke")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anyiotest.RunVirtual(t, func(ctx context.Context) error {
				l := newScriptedListener(acceptErr(syscall.EMFILE), nil, tc.err)
				sl := anyio.WrapListener(l)
				defer sl.Close(ctx)
				err := sl.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error { return s.Close(ctx) }, nil)
				if !errors.Is(err, tc.err) {
					t.Errorf("Serve returned %v, want %v", err, tc.err)
				}
				if got, want := l.acceptTimes(), []time.Duration{0, 5 * time.Millisecond, 5 * time.Millisecond}; !slices.Equal(got, want) {
					t.Errorf("Accepts began at %v, want %v", got, want)
				}
				return nil
			})
		})
	}
	// Only the EMFILE of each run was logged.
	if recs := logs.records(); len(recs) != 3 {
		t.Errorf("%d log records, want 3 (one per run): %v", len(recs), recs)
	}
}

// Cancelling ctx ends a back-off wait at once: Serve returns the
// cancellation without waiting out the delay.
func TestServeBackOffIsCancellable(t *testing.T) {
	recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		var script []error
		for range 20 {
			script = append(script, acceptErr(syscall.EMFILE))
		}
		l := newScriptedListener(script...)
		sl := anyio.WrapListener(l)
		defer sl.Close(ctx)
		// Nine Accepts fail at 0, 5, 15, ..., 1275 ms, after waits of 5, 10,
		// ..., 640 ms; the wait after the ninth, of 1 s, is cut short 100 ms
		// in.
		cancelAt := 1375 * time.Millisecond
		start := time.Now()
		var serveErr error
		err := anyio.MoveOnAfter(cancelAt).Run(ctx, func(ctx context.Context) error {
			serveErr = sl.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error { return s.Close(ctx) }, nil)
			return serveErr
		})
		if err != nil {
			return fmt.Errorf("the move-on scope returned %v", err)
		}
		if !errors.Is(serveErr, context.Canceled) {
			t.Errorf("Serve returned %v, want the cancellation", serveErr)
		}
		if elapsed := time.Since(start); elapsed != cancelAt {
			t.Errorf("Serve returned after %v, want %v (at the cancellation)", elapsed, cancelAt)
		}
		if n := len(l.acceptTimes()); n != 9 {
			t.Errorf("%d Accepts, want 9", n)
		}
		return nil
	})
}

// Closing the listener during a back-off wait ends the wait: Serve returns
// ErrClosedResource at once.
func TestServeBackOffThenClosed(t *testing.T) {
	recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		l := newScriptedListener(acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE))
		sl := anyio.WrapListener(l)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				if err := anyio.Sleep(ctx, 7*time.Millisecond); err != nil {
					return err
				}
				return sl.Close(ctx)
			})
			start := time.Now()
			err := sl.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error { return s.Close(ctx) }, nil)
			if !errors.Is(err, anyio.ErrClosedResource) {
				t.Errorf("Serve returned %v, want ErrClosedResource", err)
			}
			if elapsed := time.Since(start); elapsed != 7*time.Millisecond {
				t.Errorf("Serve returned after %v, want 7ms (when the listener was closed, in the second wait)", elapsed)
			}
			if got, want := l.acceptTimes(), []time.Duration{0, 5 * time.Millisecond}; !slices.Equal(got, want) {
				t.Errorf("Accepts began at %v, want %v", got, want)
			}
			return nil
		})
	})
}

// Accept called directly returns the errors that Serve rides out.
func TestAcceptReturnsExhaustionErrors(t *testing.T) {
	logs := recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		errnos := []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED}
		var script []error
		for _, e := range errnos {
			script = append(script, acceptErr(e))
		}
		sl := anyio.WrapListener(newScriptedListener(script...))
		defer sl.Close(ctx)
		for _, e := range errnos {
			s, err := sl.Accept(ctx)
			if !errors.Is(err, e) {
				t.Errorf("Accept returned %v, %v; want %v", s, err, e)
			}
		}
		if recs := logs.records(); len(recs) != 0 {
			t.Errorf("log records %v, want none", recs)
		}
		return nil
	})
}

// A MultiListener keeps serving through one listener while another backs
// off; each listener logs its own burst.
func TestMultiListenerServeBacksOffPerListener(t *testing.T) {
	logs := recordLogs(t)
	anyiotest.RunVirtual(t, func(ctx context.Context) error {
		emfile := acceptErr(syscall.EMFILE)
		la := newScriptedListener(emfile, emfile, emfile, nil)
		lb := newScriptedListener(nil, nil, emfile, nil)
		m := anyio.NewMultiListener[anyio.SocketStream](anyio.WrapListener(la), anyio.WrapListener(lb))
		defer m.Close(ctx)
		var handled atomic.Int32
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			serveCtx, cancel := context.WithCancel(ctx)
			tg.StartSoon(func(context.Context) error {
				<-la.drained
				<-lb.drained
				cancel()
				return nil
			})
			err := m.Serve(serveCtx, func(ctx context.Context, s anyio.SocketStream) error {
				handled.Add(1)
				return s.Close(ctx)
			}, tg)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Serve returned %v, want the cancellation", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n := handled.Load(); n != 4 {
			t.Errorf("%d connections handled, want 4", n)
		}
		if got, want := la.acceptTimes(), []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 35 * time.Millisecond, 35 * time.Millisecond}; !slices.Equal(got, want) {
			t.Errorf("the first listener's Accepts began at %v, want %v", got, want)
		}
		if got, want := lb.acceptTimes(), []time.Duration{0, 0, 0, 5 * time.Millisecond, 5 * time.Millisecond}; !slices.Equal(got, want) {
			t.Errorf("the second listener's Accepts began at %v, want %v", got, want)
		}
		if recs := logs.records(); len(recs) != 2 {
			t.Errorf("%d log records, want 2 (one burst per listener): %v", len(recs), recs)
		}
		return nil
	})
}
