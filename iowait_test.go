package anyio_test

// Tests of I/O waits as blocked waits: a task that waits for a socket's
// readiness (a receive, a send into a full buffer, an accept,
// WaitSocketReadable) counts as blocked for WaitAllTasksBlocked, and
// DumpTasks names what it waits on; a task that is still copying data the
// kernel holds does not count as blocked. In the manner of AnyIO's
// tests/test_sockets.py (test_concurrent_receive, test_close_during_receive,
// test_concurrent_send, test_close_from_other_task), with
// WaitAllTasksBlocked as the only synchronisation.

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// iwTask is the name of the task the tests block.
const iwTask = "blocked"

// iwState returns what DumpTasks says of the task named name: "running",
// "waiting on ...", or "" when the dump has no such task.
func iwState(t *testing.T, ctx context.Context, name string) (state, dump string) {
	t.Helper()
	var b strings.Builder
	if err := anyio.DumpTasks(ctx, &b); err != nil {
		t.Fatalf("DumpTasks: %v", err)
	}
	dump = b.String()
	quoted := `"` + name + `" `
	for _, line := range strings.Split(dump, "\n") {
		if _, rest, ok := strings.Cut(line, quoted); ok && strings.HasPrefix(strings.TrimSpace(line), "task #") {
			rest, _, _ = strings.Cut(rest, " [cancellation pending]")
			return rest, dump
		}
	}
	return "", dump
}

// iwWantState fails t unless DumpTasks shows the task named name in state
// ("running", or "waiting on " and what it waits on).
func iwWantState(t *testing.T, ctx context.Context, name, state string) {
	t.Helper()
	if got, dump := iwState(t, ctx, name); got != state {
		t.Errorf("DumpTasks shows task %q as %q, want %q:\n%s", name, got, state, dump)
	}
}

// iwWaitBlocked calls WaitAllTasksBlocked.
func iwWaitBlocked(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
		t.Fatalf("WaitAllTasksBlocked: %v", err)
	}
}

// iwStart starts op in a task of tg named iwTask and returns the channel
// its result arrives on.
func iwStart(tg *anyio.TaskGroup, op func(ctx context.Context) error) <-chan error {
	done := make(chan error, 1)
	tg.StartSoon(func(ctx context.Context) error {
		done <- op(ctx)
		return nil
	}, anyio.TaskName(iwTask))
	return done
}

// iwWantBusy fails t unless err is a *anyio.BusyResourceError for action.
func iwWantBusy(t *testing.T, what string, err error, action string) {
	t.Helper()
	var busy *anyio.BusyResourceError
	if !errors.As(err, &busy) || busy.Action != action {
		t.Errorf("%s = %v, want *anyio.BusyResourceError %s", what, err, action)
	}
}

// iwCheckBlocked runs op in a task: once WaitAllTasksBlocked returns,
// DumpTasks shows it waiting on what; op again, from this task, is busy
// (busyAction); closing with closeIt from this task ends op with
// ErrClosedResource.
func iwCheckBlocked(t *testing.T, ctx context.Context, what, busyAction string, op, closeIt func(ctx context.Context) error) error {
	t.Helper()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		done := iwStart(tg, op)
		iwWaitBlocked(t, ctx)
		iwWantState(t, ctx, iwTask, "waiting on "+what)
		iwWantBusy(t, "a second concurrent call", op(ctx), busyAction)
		if err := closeIt(ctx); err != nil {
			t.Errorf("closing during the wait: %v", err)
		}
		skWantErr(t, "the blocked call once closed", <-done, anyio.ErrClosedResource)
		return nil
	})
}

// iwReceive returns a Receive of s into a fresh buffer.
func iwReceive(s anyio.ByteReceiveStream) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.Receive(ctx, make([]byte, 64))
		return err
	}
}

func TestTCPStreamReceiveIsBlockedWait(t *testing.T) {
	for _, fam := range skFamilies(t) {
		t.Run(fam.name, func(t *testing.T) {
			l := skListen(t, fam)
			anyiotest.Run(t, func(ctx context.Context) error {
				s, peer, err := skConnectTCP(ctx, l, fam.loopback)
				if err != nil {
					return err
				}
				defer peer.Close()
				defer s.Close(ctx)
				return iwCheckBlocked(t, ctx, "TCP receive from "+l.Addr().String(), "reading from", iwReceive(s), s.Close)
			})
		})
	}
}

func TestUnixStreamReceiveIsBlockedWait(t *testing.T) {
	// The client is connected to the listener's path.
	t.Run("Connected", func(t *testing.T) {
		path := skSocketPaths(t)["Path"]
		client, server := skUnixStreams(t, path)
		anyiotest.Run(t, func(ctx context.Context) error {
			defer client.Close(ctx)
			defer server.Close(ctx)
			return iwCheckBlocked(t, ctx, "UNIX receive from "+path, "reading from", iwReceive(client), client.Close)
		})
	})
	// The accepted stream's peer did not bind: the wait is named by the
	// stream's own path.
	t.Run("Accepted", func(t *testing.T) {
		path := skSocketPaths(t)["Path"]
		client, server := skUnixStreams(t, path)
		anyiotest.Run(t, func(ctx context.Context) error {
			defer client.Close(ctx)
			defer server.Close(ctx)
			return iwCheckBlocked(t, ctx, "UNIX receive on "+path, "reading from", iwReceive(server), server.Close)
		})
	})
}

// ReceiveFDs waits as Receive does.
func TestUnixStreamReceiveFDsIsBlockedWait(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	client, server := skUnixStreams(t, path)
	anyiotest.Run(t, func(ctx context.Context) error {
		defer client.Close(ctx)
		defer server.Close(ctx)
		return iwCheckBlocked(t, ctx, "UNIX receive from "+path, "reading from", func(ctx context.Context) error {
			_, _, err := client.ReceiveFDs(ctx, 16, 1)
			return err
		}, client.Close)
	})
}

func TestUDPReceiveIsBlockedWait(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		port, err := anyio.Extra(s, anyio.SocketAttribute.LocalPort)
		if err != nil {
			return err
		}
		local := net.JoinHostPort("127.0.0.1", itoaPort(port))
		if err := iwCheckBlocked(t, ctx, "UDP receive on "+local, "reading from", func(ctx context.Context) error {
			_, err := s.Receive(ctx)
			return err
		}, s.Close); err != nil {
			return err
		}

		// A connected socket names its peer.
		peer, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer peer.Close(ctx)
		peerPort, err := anyio.Extra(peer, anyio.SocketAttribute.LocalPort)
		if err != nil {
			return err
		}
		c, err := anyio.CreateConnectedUDPSocket(ctx, "127.0.0.1", peerPort, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		return iwCheckBlocked(t, ctx, "UDP receive from "+net.JoinHostPort("127.0.0.1", itoaPort(peerPort)), "reading from", func(ctx context.Context) error {
			_, err := c.Receive(ctx)
			return err
		}, c.Close)
	})
}

func TestUnixDatagramReceiveIsBlockedWait(t *testing.T) {
	paths := skSocketPaths(t)
	path := paths["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(path))
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if err := iwCheckBlocked(t, ctx, "UNIX datagram receive on "+path, "reading from", func(ctx context.Context) error {
			_, err := s.Receive(ctx)
			return err
		}, s.Close); err != nil {
			return err
		}

		// A connected socket names its peer.
		peerPath := path + "-peer"
		peer, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(peerPath))
		if err != nil {
			return err
		}
		defer peer.Close(ctx)
		c, err := anyio.CreateConnectedUnixDatagramSocket(ctx, peerPath, anyio.LocalPath(path+"-client"))
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		return iwCheckBlocked(t, ctx, "UNIX datagram receive from "+peerPath, "reading from", func(ctx context.Context) error {
			_, err := c.Receive(ctx)
			return err
		}, c.Close)
	})
}

// Ports TestTCPListener.test_close_from_other_task, for a listener's
// Accept and for Serve.
func TestTCPListenerAcceptIsBlockedWait(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		for _, serve := range []bool{false, true} {
			multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			l := multi.Listeners()[0].(anyio.SocketListener)
			port, err := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
			if err != nil {
				return err
			}
			what := "TCP accept on " + net.JoinHostPort("127.0.0.1", itoaPort(port))
			if err := iwCheckListener(t, ctx, l, what, serve); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestUnixListenerAcceptIsBlockedWait(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		for _, serve := range []bool{false, true} {
			l, err := anyio.CreateUnixListener(ctx, path)
			if err != nil {
				return err
			}
			if err := iwCheckListener(t, ctx, l, "UNIX accept on "+path, serve); err != nil {
				return err
			}
		}
		return nil
	})
}

// iwCheckListener is iwCheckBlocked for l's Accept (or its Serve, which
// accepts), and checks that once closed, l accepts nothing.
func iwCheckListener(t *testing.T, ctx context.Context, l anyio.SocketListener, what string, serve bool) error {
	t.Helper()
	defer l.Close(ctx)
	accept := func(ctx context.Context) error {
		s, err := l.Accept(ctx)
		if err == nil {
			s.Close(ctx)
		}
		return err
	}
	op := accept
	if serve {
		op = func(ctx context.Context) error {
			return l.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error { return s.Close(ctx) }, nil)
		}
	}
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		done := iwStart(tg, op)
		iwWaitBlocked(t, ctx)
		iwWantState(t, ctx, iwTask, "waiting on "+what)
		iwWantBusy(t, "a concurrent Accept", accept(ctx), "accepting connections from")
		if err := l.Close(ctx); err != nil {
			t.Errorf("Close during Accept: %v", err)
		}
		skWantErr(t, "the blocked Accept once closed", <-done, anyio.ErrClosedResource)
		skWantErr(t, "Accept after Close", accept(ctx), anyio.ErrClosedResource)
		return nil
	})
}

func TestWaitSocketReadableIsBlockedWait(t *testing.T) {
	a, b := skRawTCP(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		what := "WaitReadable on tcp " + a.LocalAddr().String() + "->" + b.LocalAddr().String()
		wait := func(ctx context.Context) error { return anyio.WaitSocketReadable(ctx, a) }
		return iwCheckBlocked(t, ctx, what, "reading from", wait, func(ctx context.Context) error {
			anyio.NotifyClosing(a)
			return a.Close()
		})
	})
}

// iwSendBlocked checks a Send of s that fills the buffers (nobody reads the
// peer): it counts as blocked and DumpTasks names it; a concurrent Send is
// busy; closing s ends it with ErrClosedResource.
//
// A TCP sender can wake after it first parks: acknowledgements that the
// kernel sends on its own free room in the send buffer. settle asks to
// wait until the sender is parked in the steady state, where the only
// state DumpTasks may otherwise show is running.
func iwSendBlocked(t *testing.T, ctx context.Context, s anyio.ByteStream, what string, settle bool) error {
	t.Helper()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		huge := make([]byte, 64<<20)
		done := iwStart(tg, func(ctx context.Context) error { return s.Send(ctx, huge) })
		deadline := time.Now().Add(skTimeout)
		for {
			iwWaitBlocked(t, ctx)
			state, dump := iwState(t, ctx, iwTask)
			if state == "waiting on "+what {
				break
			}
			if !settle || state != "running" || time.Now().After(deadline) {
				t.Errorf("DumpTasks shows the sender as %q, want %q:\n%s", state, "waiting on "+what, dump)
				break
			}
		}
		iwWantBusy(t, "a concurrent Send", s.Send(ctx, []byte("x")), "writing to")
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close during Send: %v", err)
		}
		skWantErr(t, "the blocked Send once closed", <-done, anyio.ErrClosedResource)
		return nil
	})
}

func TestTCPStreamSendIsBlockedWait(t *testing.T) {
	l := skListen(t, skFamilies(t)[0])
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, "127.0.0.1")
		if err != nil {
			return err
		}
		defer peer.Close()
		defer s.Close(ctx)
		return iwSendBlocked(t, ctx, s, "TCP send to "+l.Addr().String(), true)
	})
}

func TestUnixStreamSendIsBlockedWait(t *testing.T) {
	l, path := portUnixServer(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectUnix(ctx, l, path)
		if err != nil {
			return err
		}
		defer peer.Close()
		defer s.Close(ctx)
		// A UNIX stream's data goes straight to the peer's queue: once
		// the sender parks, nothing frees room until the peer reads.
		return iwSendBlocked(t, ctx, s, "UNIX send to "+path, false)
	})
}

// iwPending returns how many bytes wait in the receive queue of c.
func iwPending(t *testing.T, c syscall.Conn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if cerr := rc.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), iwFIONREAD) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("FIONREAD: %v", err)
	}
	return n
}

// iwCheckDrain starts a task that receives from s, 4 KiB at a time, until
// it is cancelled, counting the bytes; pending bytes wait in s's receive
// queue already, and nothing else will come. Each of those receives
// proceeds at once, so WaitAllTasksBlocked returns only once the task has
// taken all of them and waits for more.
func iwCheckDrain(t *testing.T, ctx context.Context, s anyio.ByteStream, pending int, what string) error {
	t.Helper()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		var got atomic.Int64
		done := iwStart(tg, func(ctx context.Context) error {
			buf := make([]byte, 4096)
			for {
				n, err := s.Receive(ctx, buf)
				got.Add(int64(n))
				if err != nil {
					return err
				}
			}
		})
		iwWaitBlocked(t, ctx)
		if n := got.Load(); n != int64(pending) {
			t.Errorf("WaitAllTasksBlocked returned with %d of the %d pending bytes received", n, pending)
		}
		iwWantState(t, ctx, iwTask, "waiting on "+what)
		tg.CancelScope().Cancel()
		skWantErr(t, "the receiver once cancelled", <-done, anyio.ErrCancelled)
		return nil
	})
}

func TestTCPStreamReceivingPendingDataIsNotBlocked(t *testing.T) {
	// The receiving end's buffer is set on the listener, before the
	// connection negotiates its window.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20) })
		return err
	}}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	writer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	raw, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	// The kernel reports twice the size set (room for its bookkeeping);
	// a quarter of that fits in the window whatever the bookkeeping.
	var rcvbuf int
	rc, _ := raw.(*net.TCPConn).SyscallConn()
	rc.Control(func(fd uintptr) { rcvbuf, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) })
	pending := min(rcvbuf/4, 4<<20)
	t.Logf("%d bytes pending (SO_RCVBUF %d)", pending, rcvbuf)

	// The raw writer is no task: it finishes before the Run begins, and
	// the data has arrived in the receiver's queue, so that the receiver
	// copying it is all that happens once the Run runs.
	wrote := make(chan error, 1)
	go func() {
		_, err := writer.Write(make([]byte, pending))
		wrote <- err
	}()
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	// No event tells that the segments have arrived: poll the queue.
	deadline := time.Now().Add(skTimeout)
	for iwPending(t, raw.(*net.TCPConn)) < pending {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d bytes arrived", iwPending(t, raw.(*net.TCPConn)), pending)
		}
		time.Sleep(time.Millisecond)
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		s := anyio.WrapConn(raw)
		defer s.Close(ctx)
		return iwCheckDrain(t, ctx, s, pending, "TCP receive from "+writer.LocalAddr().String())
	})
}

func TestUnixStreamReceivingPendingDataIsNotBlocked(t *testing.T) {
	l, path := portUnixServer(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectUnix(ctx, l, path)
		if err != nil {
			return err
		}
		defer peer.Close()
		defer s.Close(ctx)
		// A UNIX stream's write puts the data in the peer's queue at
		// once: write without blocking until the queue is full. The raw
		// writer is done before the receiver starts.
		rc, err := peer.(*net.UnixConn).SyscallConn()
		if err != nil {
			return err
		}
		pending := 0
		rc.Control(func(fd uintptr) {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
			buf := make([]byte, 64<<10)
			for {
				n, err := unix.Write(int(fd), buf)
				if err != nil {
					return // EAGAIN: full
				}
				pending += n
			}
		})
		t.Logf("%d bytes pending", pending)
		return iwCheckDrain(t, ctx, s, pending, "UNIX receive from "+path)
	})
}

// A cancelled receive leaves its task running: it no longer shows as
// waiting on the socket. So does a receive that got data.
func TestTCPStreamReceiveCancelledOrServedRunsAgain(t *testing.T) {
	l := skListen(t, skFamilies(t)[0])
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer, err := skConnectTCP(ctx, l, "127.0.0.1")
		if err != nil {
			return err
		}
		defer peer.Close()
		defer s.Close(ctx)
		what := "TCP receive from " + l.Addr().String()
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			scope := anyio.NewCancelScope()
			cancelled, served := anyio.NewEvent(), anyio.NewEvent()
			var afterCancel, afterData string
			var got []byte
			done := iwStart(tg, func(ctx context.Context) error {
				scope.Run(ctx, func(ctx context.Context) error {
					_, err := s.Receive(ctx, make([]byte, 16))
					skWantErr(t, "the cancelled Receive", err, anyio.ErrCancelled)
					return err
				})
				afterCancel, _ = iwState(t, ctx, iwTask)
				if err := cancelled.Wait(ctx); err != nil {
					return err
				}
				buf := make([]byte, 16)
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return err
				}
				got = buf[:n]
				afterData, _ = iwState(t, ctx, iwTask)
				return served.Wait(ctx)
			})
			iwWaitBlocked(t, ctx)
			iwWantState(t, ctx, iwTask, "waiting on "+what)
			scope.Cancel()
			iwWaitBlocked(t, ctx)
			iwWantState(t, ctx, iwTask, "waiting on Event.Wait")
			if afterCancel != "running" {
				t.Errorf("after its Receive was cancelled, the task shows as %q, want running", afterCancel)
			}

			cancelled.Set()
			iwWaitBlocked(t, ctx)
			iwWantState(t, ctx, iwTask, "waiting on "+what)
			if _, err := peer.Write([]byte("data")); err != nil {
				return err
			}
			// The data has arrived: the receiver is about to run, and
			// WaitAllTasksBlocked waits for it, although the runtime may
			// not have woken it yet.
			iwWaitBlocked(t, ctx)
			iwWantState(t, ctx, iwTask, "waiting on Event.Wait")
			if string(got) != "data" || afterData != "running" {
				t.Errorf("after receiving %q, the task shows as %q, want %q and running", got, afterData, "data")
			}
			served.Set()
			return <-done
		})
	})
}

// iwCheckServed runs op in a task that then waits on an Event: once
// WaitAllTasksBlocked returns, DumpTasks shows op's wait (what); serve,
// from this task, makes what op waits for ready at once (a raw send to
// its socket, a raw connect to its listener). WaitAllTasksBlocked then
// returns only once op has returned and its task waits on the Event,
// although the runtime may not have seen the readiness yet when it is
// called.
func iwCheckServed(t *testing.T, ctx context.Context, what string, op func(ctx context.Context) error, serve func() error) error {
	t.Helper()
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		ev := anyio.NewEvent()
		var opErr error
		done := iwStart(tg, func(ctx context.Context) error {
			opErr = op(ctx)
			return ev.Wait(ctx)
		})
		iwWaitBlocked(t, ctx)
		iwWantState(t, ctx, iwTask, "waiting on "+what)
		if err := serve(); err != nil {
			return err
		}
		iwWaitBlocked(t, ctx)
		iwWantState(t, ctx, iwTask, "waiting on Event.Wait")
		if state, _ := iwState(t, ctx, iwTask); state == "waiting on Event.Wait" && opErr != nil {
			t.Errorf("the served call = %v", opErr)
		}
		ev.Set()
		return <-done
	})
}

func TestIOWaitServedRunsAgain(t *testing.T) {
	t.Run("TCP", func(t *testing.T) {
		l := skListen(t, skFamilies(t)[0])
		anyiotest.Run(t, func(ctx context.Context) error {
			s, peer, err := skConnectTCP(ctx, l, "127.0.0.1")
			if err != nil {
				return err
			}
			defer peer.Close()
			defer s.Close(ctx)
			return iwCheckServed(t, ctx, "TCP receive from "+l.Addr().String(), iwReceive(s), func() error {
				_, err := peer.Write([]byte("x"))
				return err
			})
		})
	})
	t.Run("Unix", func(t *testing.T) {
		l, path := portUnixServer(t)
		anyiotest.Run(t, func(ctx context.Context) error {
			s, peer, err := skConnectUnix(ctx, l, path)
			if err != nil {
				return err
			}
			defer peer.Close()
			defer s.Close(ctx)
			return iwCheckServed(t, ctx, "UNIX receive from "+path, iwReceive(s), func() error {
				_, err := peer.Write([]byte("x"))
				return err
			})
		})
	})
	t.Run("UDP", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			s, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			defer s.Close(ctx)
			port, err := anyio.Extra(s, anyio.SocketAttribute.LocalPort)
			if err != nil {
				return err
			}
			local := net.JoinHostPort("127.0.0.1", itoaPort(port))
			peer, err := net.Dial("udp", local)
			if err != nil {
				return err
			}
			defer peer.Close()
			return iwCheckServed(t, ctx, "UDP receive on "+local, func(ctx context.Context) error {
				_, err := s.Receive(ctx)
				return err
			}, func() error {
				_, err := peer.Write([]byte("x"))
				return err
			})
		})
	})
	t.Run("UnixDatagram", func(t *testing.T) {
		path := skSocketPaths(t)["Path"]
		anyiotest.Run(t, func(ctx context.Context) error {
			s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(path))
			if err != nil {
				return err
			}
			defer s.Close(ctx)
			peer, err := net.Dial("unixgram", path)
			if err != nil {
				return err
			}
			defer peer.Close()
			return iwCheckServed(t, ctx, "UNIX datagram receive on "+path, func(ctx context.Context) error {
				_, err := s.Receive(ctx)
				return err
			}, func() error {
				_, err := peer.Write([]byte("x"))
				return err
			})
		})
	})
	t.Run("TCPAccept", func(t *testing.T) {
		anyiotest.Run(t, func(ctx context.Context) error {
			multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				return err
			}
			defer multi.Close(ctx)
			l := multi.Listeners()[0].(anyio.SocketListener)
			port, err := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
			if err != nil {
				return err
			}
			addr := net.JoinHostPort("127.0.0.1", itoaPort(port))
			var client net.Conn
			defer func() {
				if client != nil {
					client.Close()
				}
			}()
			return iwCheckServed(t, ctx, "TCP accept on "+addr, func(ctx context.Context) error {
				s, err := l.Accept(ctx)
				if err == nil {
					s.Close(ctx)
				}
				return err
			}, func() error {
				// The handshake is done when Dial returns: the
				// connection waits in the backlog.
				client, err = net.Dial("tcp", addr)
				return err
			})
		})
	})
	t.Run("UnixAccept", func(t *testing.T) {
		path := skSocketPaths(t)["Path"]
		anyiotest.Run(t, func(ctx context.Context) error {
			l, err := anyio.CreateUnixListener(ctx, path)
			if err != nil {
				return err
			}
			defer l.Close(ctx)
			var client net.Conn
			defer func() {
				if client != nil {
					client.Close()
				}
			}()
			return iwCheckServed(t, ctx, "UNIX accept on "+path, func(ctx context.Context) error {
				s, err := l.Accept(ctx)
				if err == nil {
					s.Close(ctx)
				}
				return err
			}, func() error {
				client, err = net.Dial("unix", path)
				return err
			})
		})
	})
}
