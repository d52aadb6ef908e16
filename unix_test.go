package anyio_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// skSocketPaths returns a socket path in a fresh directory and one in
// Linux's abstract namespace, by name.
func skSocketPaths(t *testing.T) map[string]string {
	t.Helper()
	dir, err := os.MkdirTemp("", "anyio-sock") // short: sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return map[string]string{
		"Path":     filepath.Join(dir, "socket"),
		"Abstract": "@" + dir + "/socket",
	}
}

// skUnixStreams returns a connected pair: ConnectUnix's stream and the one
// the listener accepted.
func skUnixStreams(t *testing.T, path string) (anyio.UnixSocketStream, anyio.UnixSocketStream) {
	t.Helper()
	ctx := context.Background()
	l, err := anyio.CreateUnixListener(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	client, err := anyio.ConnectUnix(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	server, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	us, ok := server.(anyio.UnixSocketStream)
	if !ok {
		t.Fatalf("a UNIX listener accepted a %T, not an anyio.UnixSocketStream", server)
	}
	return client, us
}

func TestUnixStreamConformance(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			anyiotest.TestByteStream(t, func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) {
				return skUnixStreams(t, path)
			})
		})
	}
}

func TestUnixStreamAttributes(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				client, server := skUnixStreams(t, path)
				defer client.Close(ctx)
				defer server.Close(ctx)
				for _, s := range []anyio.SocketStream{client, server} {
					if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != anyio.AFUnix {
						t.Errorf("Family = %v, want AF_UNIX", got)
					}
					for _, a := range []any{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort} {
						if _, ok := s.ExtraAttributes()[a]; ok {
							t.Errorf("a UNIX stream has %v", a)
						}
					}
				}
				remote, _ := anyio.Extra(client, anyio.SocketAttribute.RemoteAddress)
				if remote == nil || remote.String() != path {
					t.Errorf("RemoteAddress of the client = %v, want %s", remote, path)
				}
				local, _ := anyio.Extra(server, anyio.SocketAttribute.LocalAddress)
				if local == nil || local.String() != path {
					t.Errorf("LocalAddress of the accepted stream = %v, want %s", local, path)
				}
				return nil
			})
		})
	}
}

// skFiles returns two open files holding "Hello, " and "World!".
func skFiles(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	dir := t.TempDir()
	var files [2]*os.File
	for i, text := range []string{"Hello, ", "World!"} {
		p := filepath.Join(dir, "file"+string(rune('1'+i)))
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files[i] = f
	}
	return files[0], files[1]
}

// skRawUnixPair returns an anyio UNIX stream and the raw *net.UnixConn at
// its other end.
func skRawUnixPair(t *testing.T) (anyio.UnixSocketStream, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]*net.UnixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c.(*net.UnixConn)
	}
	t.Cleanup(func() { conns[1].Close() })
	s, ok := anyio.WrapConn(conns[0]).(anyio.UnixSocketStream)
	if !ok {
		t.Fatal("WrapConn of a *net.UnixConn is not an anyio.UnixSocketStream")
	}
	return s, conns[1]
}

// skOpenFDs counts the descriptors open in this process.
func skOpenFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

func TestUnixStreamReceiveFDs(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer := skRawUnixPair(t)
		defer s.Close(ctx)
		f1, f2 := skFiles(t)
		if _, _, err := peer.WriteMsgUnix([]byte("test"), unix.UnixRights(int(f1.Fd()), int(f2.Fd())), nil); err != nil {
			return err
		}
		msg, files, err := s.ReceiveFDs(ctx, 10, 2)
		if err != nil {
			return err
		}
		if string(msg) != "test" || len(files) != 2 {
			t.Fatalf("ReceiveFDs = %q, %d files; want %q, 2", msg, len(files), "test")
		}
		var text strings.Builder
		for _, f := range files {
			flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("received descriptor %d: FD_CLOEXEC not set (flags %#x, %v)", f.Fd(), flags, err)
			}
			b, err := io.ReadAll(f)
			if err != nil {
				return err
			}
			text.Write(b)
			f.Close()
		}
		if text.String() != "Hello, World!" {
			t.Errorf("the received files hold %q", text.String())
		}
		return nil
	})
}

func TestUnixStreamReceiveTooManyFDs(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer := skRawUnixPair(t)
		defer s.Close(ctx)
		f1, f2 := skFiles(t)
		before := skOpenFDs(t)
		fds := []int{int(f1.Fd()), int(f2.Fd()), int(f1.Fd())}
		if _, _, err := peer.WriteMsgUnix([]byte("many"), unix.UnixRights(fds...), nil); err != nil {
			return err
		}
		msg, files, err := s.ReceiveFDs(ctx, 10, 2)
		if err == nil || files != nil || msg != nil {
			t.Errorf("ReceiveFDs of 3 descriptors with maxfds=2 = %q, %v, %v; want an error", msg, files, err)
		}
		if after := skOpenFDs(t); after != before {
			t.Errorf("%d descriptors open after the failed ReceiveFDs, %d before: a leak", after, before)
		}
		// The stream goes on.
		peer.Write([]byte("next"))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(anyio.AsReader(ctx, s), buf); err != nil || string(buf) != "next" {
			t.Errorf("Receive after = %q, %v", buf, err)
		}
		return nil
	})
}

func TestUnixStreamFDArguments(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, _ := skRawUnixPair(t)
		defer s.Close(ctx)
		for _, tc := range []struct{ msglen, maxfds int }{{-1, 1}, {10, 0}, {10, -1}} {
			if _, _, err := s.ReceiveFDs(ctx, tc.msglen, tc.maxfds); err == nil {
				t.Errorf("ReceiveFDs(%d, %d) succeeded", tc.msglen, tc.maxfds)
			}
		}
		if err := s.SendFDs(ctx, nil, []int{0}); err == nil || !strings.Contains(err.Error(), "message must not be empty") {
			t.Errorf("SendFDs with an empty message = %v", err)
		}
		if err := s.SendFDs(ctx, []byte("test"), nil); err == nil || !strings.Contains(err.Error(), "fds must not be empty") {
			t.Errorf("SendFDs without descriptors = %v", err)
		}
		return nil
	})
}

func TestUnixStreamSendFDs(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer := skRawUnixPair(t)
		defer s.Close(ctx)
		f1, f2 := skFiles(t)
		if err := s.SendFDs(ctx, []byte("test"), []int{int(f1.Fd()), int(f2.Fd())}); err != nil {
			return err
		}
		buf, oob := make([]byte, 10), make([]byte, unix.CmsgSpace(2*4))
		n, oobn, _, _, err := peer.ReadMsgUnix(buf, oob)
		if err != nil {
			return err
		}
		if string(buf[:n]) != "test" {
			t.Errorf("message = %q", buf[:n])
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			t.Fatalf("control messages: %v, %v", msgs, err)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil {
			return err
		}
		var text strings.Builder
		for _, fd := range fds {
			f := os.NewFile(uintptr(fd), "received")
			b, _ := io.ReadAll(f)
			text.Write(b)
			f.Close()
		}
		if text.String() != "Hello, World!" {
			t.Errorf("the sent files hold %q", text.String())
		}
		return nil
	})
}

func TestUnixStreamFDsBetweenAnyioStreams(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		a, b := skUnixStreams(t, skSocketPaths(t)["Path"])
		defer a.Close(ctx)
		defer b.Close(ctx)
		f1, _ := skFiles(t)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return a.SendFDs(ctx, []byte("x"), []int{int(f1.Fd())}) })
			msg, files, err := b.ReceiveFDs(ctx, 1, 1)
			if err != nil {
				return err
			}
			defer files[0].Close()
			got, _ := io.ReadAll(files[0])
			if string(msg) != "x" || string(got) != "Hello, " {
				t.Errorf("received %q with a file holding %q", msg, got)
			}
			return nil
		})
	})
}

func TestUnixStreamReceiveFDsCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		s, peer := skRawUnixPair(t)
		defer s.Close(ctx)
		scope := anyio.MoveOnAfter(10 * time.Millisecond)
		scope.Run(ctx, func(ctx context.Context) error {
			_, _, err := s.ReceiveFDs(ctx, 10, 1)
			skWantErr(t, "cancelled ReceiveFDs", err, anyio.ErrCancelled)
			return err
		})
		f1, _ := skFiles(t)
		peer.WriteMsgUnix([]byte("late"), unix.UnixRights(int(f1.Fd())), nil)
		msg, files, err := s.ReceiveFDs(ctx, 10, 1)
		if err != nil || string(msg) != "late" || len(files) != 1 {
			t.Fatalf("ReceiveFDs after a cancelled one = %q, %v, %v", msg, files, err)
		}
		files[0].Close()
		peer.Close()
		if _, _, err := s.ReceiveFDs(ctx, 10, 1); !errors.Is(err, anyio.ErrEndOfStream) {
			t.Errorf("ReceiveFDs after the peer closed = %v, want anyio.ErrEndOfStream", err)
		}
		return nil
	})
}

func TestUnixStreamCloseAfterCancelledIO(t *testing.T) {
	// AnyIO's test_close_after_cancelled_io: a handler whose I/O was
	// cancelled still closes its stream cleanly.
	for _, op := range []string{"Receive", "Send"} {
		t.Run(op, func(t *testing.T) {
			path := skSocketPaths(t)["Path"]
			anyiotest.Run(t, func(ctx context.Context) error {
				l, err := anyio.CreateUnixListener(ctx, path)
				if err != nil {
					return err
				}
				defer l.Close(ctx)
				var client anyio.UnixSocketStream
				defer func() {
					if client != nil {
						client.Close(ctx)
					}
				}()
				started := make(chan struct{})
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						return l.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
							defer func() {
								if err := s.Close(ctx); err != nil {
									t.Errorf("Close after cancelled I/O = %v", err)
								}
							}()
							close(started)
							var err error
							if op == "Receive" {
								_, err = s.Receive(ctx, make([]byte, 16))
							} else {
								for err == nil {
									err = s.Send(ctx, make([]byte, 4096))
								}
							}
							if !errors.Is(err, anyio.ErrCancelled) {
								t.Errorf("%s = %v, want a cancellation", op, err)
							}
							return err
						}, nil)
					})
					var err error
					if client, err = anyio.ConnectUnix(ctx, path); err != nil {
						return err
					}
					<-started
					tg.CancelScope().Cancel()
					return nil
				})
			})
		})
	}
}

func TestConnectUnixNoSocket(t *testing.T) {
	paths := skSocketPaths(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		_, err := anyio.ConnectUnix(ctx, paths["Path"])
		skWantErr(t, "ConnectUnix to a missing path", err, fs.ErrNotExist)
		_, err = anyio.ConnectUnix(ctx, paths["Abstract"])
		skWantErr(t, "ConnectUnix to a missing abstract name", err, syscall.ECONNREFUSED)
		return nil
	})
}

func TestUnixListener(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				l, err := anyio.CreateUnixListener(ctx, path)
				if err != nil {
					return err
				}
				defer l.Close(ctx)
				if got, _ := anyio.Extra(l, anyio.SocketAttribute.Family); got != anyio.AFUnix {
					t.Errorf("Family = %v", got)
				}
				if local, _ := anyio.Extra(l, anyio.SocketAttribute.LocalAddress); local.String() != path {
					t.Errorf("LocalAddress = %v, want %s", local, path)
				}
				for _, a := range []any{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort, anyio.SocketAttribute.RemoteAddress} {
					if _, ok := l.ExtraAttributes()[a]; ok {
						t.Errorf("a UNIX listener has %v", a)
					}
				}
				client, err := net.Dial("unix", path)
				if err != nil {
					return err
				}
				defer client.Close()
				s, err := l.Accept(ctx)
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				client.Write([]byte("blah"))
				buf := make([]byte, 100)
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return err
				}
				s.Send(ctx, []byte{buf[3], buf[2], buf[1], buf[0]})
				io.ReadFull(client, buf[:n])
				if string(buf[:n]) != "halb" {
					t.Errorf("echo = %q", buf[:n])
				}
				return nil
			})
		})
	}
}

func TestUnixListenerStaleSocketAndMode(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	// A socket file left behind by a process that did not clean up.
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	anyiotest.Run(t, func(ctx context.Context) error {
		for range 2 { // the second time, the first listener's file is gone or stale
			l, err := anyio.CreateUnixListener(ctx, path, anyio.Mode(0o600), anyio.Backlog(5))
			if err != nil {
				return err
			}
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("socket file mode = %v, want 0600", fi.Mode().Perm())
			}
			l.Close(ctx)
		}
		// Another kind of file is not removed.
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			return err
		}
		if _, err := anyio.CreateUnixListener(ctx, path); err == nil {
			t.Error("CreateUnixListener replaced a regular file")
		}
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Errorf("the regular file now holds %q", b)
		}
		if _, err := anyio.CreateUnixListener(ctx, path, anyio.Backlog(-1)); err == nil || !strings.Contains(err.Error(), "Backlog(-1)") {
			t.Errorf("CreateUnixListener(Backlog(-1)) = %v, want an error naming Backlog(-1)", err)
		}
		return nil
	})
}

func TestMultiListenerTCPAndUnix(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		tcp, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("localhost"))
		if err != nil {
			return err
		}
		ul, err := anyio.CreateUnixListener(ctx, path)
		if err != nil {
			return err
		}
		multi := anyio.NewMultiListener[anyio.SocketStream](tcp, ul)
		defer multi.Close(ctx)
		seen, _ := anyio.NewMemoryObjectStream[string](10)
		send, recv := anyio.NewMemoryObjectStream[string](10)
		_ = seen
		var want []string
		err = anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				return multi.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
					defer s.Close(ctx)
					remote, _ := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress)
					name := "unnamed"
					if remote != nil {
						name = remote.String()
					}
					return send.Send(ctx, name)
				}, nil)
			})
			for _, l := range multi.Listeners() {
				local, _ := anyio.Extra(l, anyio.SocketAttribute.LocalAddress)
				var s anyio.SocketStream
				var err error
				if fam, _ := anyio.Extra(l, anyio.SocketAttribute.Family); fam == anyio.AFUnix {
					s, err = anyio.ConnectUnix(ctx, local.String())
				} else {
					host := "127.0.0.1"
					if fam == anyio.AFInet6 {
						host = "::1"
					}
					s, err = anyio.ConnectTCP(ctx, host, local.(*net.TCPAddr).Port)
				}
				if err != nil {
					return err
				}
				mine, _ := anyio.Extra(s, anyio.SocketAttribute.LocalAddress)
				w := "unnamed"
				if mine != nil && mine.String() != "" {
					w = mine.String()
				}
				want = append(want, w)
				got, err := recv.Receive(ctx)
				if err != nil {
					return err
				}
				if got != w {
					t.Errorf("the server saw a client at %q, want %q", got, w)
				}
				s.Close(ctx)
			}
			tg.CancelScope().Cancel()
			return nil
		})
		if len(want) != len(multi.Listeners()) {
			t.Errorf("connected to %d listeners of %d", len(want), len(multi.Listeners()))
		}
		return err
	})
}

// skUnixDatagram returns an unconnected UNIX datagram socket bound to a
// fresh path.
func skUnixDatagram(t *testing.T, ctx context.Context, path string) anyio.UnixDatagramSocket {
	t.Helper()
	s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(ctx) })
	return s
}

func TestUnixDatagramSocket(t *testing.T) {
	for name, path := range skSocketPaths(t) {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s := skUnixDatagram(t, ctx, path)
				if got, _ := anyio.Extra(s, anyio.SocketAttribute.Family); got != anyio.AFUnix {
					t.Errorf("Family = %v", got)
				}
				if local, _ := anyio.Extra(s, anyio.SocketAttribute.LocalAddress); local.String() != path {
					t.Errorf("LocalAddress = %v", local)
				}
				for _, a := range []any{anyio.SocketAttribute.LocalPort, anyio.SocketAttribute.RemotePort, anyio.SocketAttribute.RemoteAddress} {
					if _, ok := s.ExtraAttributes()[a]; ok {
						t.Errorf("an unconnected UNIX datagram socket has %v", a)
					}
				}
				peerPath := path + "-peer"
				peer, err := anyio.CreateConnectedUnixDatagramSocket(ctx, path, anyio.LocalPath(peerPath))
				if err != nil {
					return err
				}
				defer peer.Close(ctx)
				if remote, _ := anyio.Extra(peer, anyio.SocketAttribute.RemoteAddress); remote.String() != path {
					t.Errorf("RemoteAddress of the connected socket = %v", remote)
				}
				if err := peer.Send(ctx, []byte("blah")); err != nil {
					return err
				}
				pkt, err := s.Receive(ctx)
				if err != nil {
					return err
				}
				if string(pkt.Data) != "blah" || pkt.Addr != peerPath {
					t.Errorf("Receive = %q from %q, want %q from %q", pkt.Data, pkt.Addr, "blah", peerPath)
				}
				if err := s.SendTo(ctx, []byte("halb"), peerPath); err != nil {
					return err
				}
				got, err := peer.Receive(ctx)
				if err != nil || string(got) != "halb" {
					t.Errorf("connected Receive = %q, %v", got, err)
				}
				// An echo server iterating over its packets.
				return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					tg.StartSoon(func(ctx context.Context) error {
						for data, err := range anyio.Iterate(ctx, peer) {
							if err != nil {
								return err
							}
							if err := peer.Send(ctx, []byte(strings.ToUpper(string(data)))); err != nil {
								return err
							}
						}
						return nil
					})
					for _, word := range []string{"foobar", "123abc"} {
						if err := s.SendTo(ctx, []byte(word), peerPath); err != nil {
							return err
						}
						pkt, err := s.Receive(ctx)
						if err != nil {
							return err
						}
						if string(pkt.Data) != strings.ToUpper(word) || pkt.Addr != peerPath {
							t.Errorf("echo = %q from %q", pkt.Data, pkt.Addr)
						}
					}
					tg.CancelScope().Cancel()
					return nil
				})
			})
		})
	}
}

func TestUnixDatagramUnbound(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		s := skUnixDatagram(t, ctx, path)
		u, err := anyio.CreateUnixDatagramSocket(ctx)
		if err != nil {
			return err
		}
		defer u.Close(ctx)
		if err := u.SendTo(ctx, []byte("anonymous"), path); err != nil {
			return err
		}
		pkt, err := s.Receive(ctx)
		if err != nil || string(pkt.Data) != "anonymous" || pkt.Addr != "" {
			t.Errorf("Receive from an unbound sender = %q from %q, %v", pkt.Data, pkt.Addr, err)
		}
		return nil
	})
}

func TestUnixDatagramModeAndStale(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		for range 2 {
			s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(path), anyio.Mode(0o640))
			if err != nil {
				return err
			}
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
			}
			s.Close(ctx)
		}
		return nil
	})
}

func TestDatagramSocketsCloseAndBusy(t *testing.T) {
	paths := skSocketPaths(t)
	type dg interface {
		anyio.AsyncResource
		receive(ctx context.Context) error
		send(ctx context.Context) error
	}
	makers := map[string]func(t *testing.T, ctx context.Context) dg{
		"UDP": func(t *testing.T, ctx context.Context) dg {
			s, err := anyio.CreateUDPSocket(ctx, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			port, _ := anyio.Extra(s, anyio.SocketAttribute.LocalPort)
			return skDG[anyio.UDPPacket]{s, anyio.UDPPacket{Data: []byte("x"), Addr: skAddrPort("127.0.0.1", port)}}
		},
		"ConnectedUDP": func(t *testing.T, ctx context.Context) dg {
			s, err := anyio.CreateConnectedUDPSocket(ctx, "127.0.0.1", 9, anyio.LocalHost("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			return skDG[[]byte]{s, []byte("x")}
		},
		"UNIX": func(t *testing.T, ctx context.Context) dg {
			s, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(paths["Path"]))
			if err != nil {
				t.Fatal(err)
			}
			return skDG[anyio.UnixDatagramPacket]{s, anyio.UnixDatagramPacket{Data: []byte("x"), Addr: paths["Path"]}}
		},
		"ConnectedUNIX": func(t *testing.T, ctx context.Context) dg {
			peer := skUnixDatagram(t, ctx, paths["Abstract"])
			_ = peer
			s, err := anyio.CreateConnectedUnixDatagramSocket(ctx, paths["Abstract"])
			if err != nil {
				t.Fatal(err)
			}
			return skDG[[]byte]{s, []byte("x")}
		},
	}
	for name, mk := range makers {
		t.Run(name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				s := mk(t, ctx)
				err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
					done := make(chan error, 1)
					tg.StartSoon(func(ctx context.Context) error {
						done <- skRetryBusy(func() error { return s.receive(ctx) })
						return nil
					})
					skWaitBusy(t, s.receive)
					var busy *anyio.BusyResourceError
					if err := s.receive(ctx); !errors.As(err, &busy) || busy.Action != "reading from" {
						t.Errorf("concurrent Receive = %v, want *anyio.BusyResourceError", err)
					}
					s.Close(ctx)
					skWantErr(t, "Receive blocked during Close", <-done, anyio.ErrClosedResource)
					return nil
				})
				skWantErr(t, "Receive after Close", s.receive(ctx), anyio.ErrClosedResource)
				skWantErr(t, "Send after Close", s.send(ctx), anyio.ErrClosedResource)
				if cerr := s.Close(ctx); cerr != nil {
					t.Errorf("second Close = %v", cerr)
				}
				return err
			})
		})
	}
}

// skDG adapts a datagram socket for TestDatagramSocketsCloseAndBusy.
type skDG[T any] struct {
	s    anyio.UnreliableObjectStream[T]
	item T
}

func (d skDG[T]) Close(ctx context.Context) error { return d.s.Close(ctx) }
func (d skDG[T]) receive(ctx context.Context) error {
	_, err := d.s.Receive(ctx)
	return err
}
func (d skDG[T]) send(ctx context.Context) error { return d.s.Send(ctx, d.item) }
