package fromthread_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/fromthread"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// asyncCM is the scope-function counterpart of AnyIO's TestBlockingPortal.AsyncCM.
func asyncCM(exitErr error, exited *bool) func(ctx context.Context, body func(ctx context.Context, v string) error) error {
	return func(ctx context.Context, body func(ctx context.Context, v string) error) error {
		err := body(ctx, "test")
		*exited = true
		if err != nil {
			return err
		}
		return exitErr
	}
}

// Ports of AnyIO's test_async_context_manager_success and
// test_async_context_manager_error: the value comes back at once, the scope
// stays open until exit, and exit returns the scope's error. (AnyIO's
// error_ignore case has no counterpart: exit takes no error, so there is
// nothing for the scope to ignore.)
func TestEnter(t *testing.T) {
	p := startPortal(t)
	for _, tc := range []struct {
		name    string
		exitErr error
	}{
		{"success", nil},
		{"error", errors.New("should NOT be ignored")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var exited bool
			v, exit, err := fromthread.Enter(p, asyncCM(tc.exitErr, &exited))
			if v != "test" || err != nil {
				t.Fatalf("Enter = %q, %v; want \"test\", nil", v, err)
			}
			if held, _ := fromthread.Call(p, func(context.Context) (bool, error) { return !exited, nil }); !held {
				t.Error("the scope was left before exit")
			}
			if err := exit(); err != tc.exitErr {
				t.Errorf("exit = %v, want %v", err, tc.exitErr)
			}
			if !exited {
				t.Error("the scope was not left by exit")
			}
			if err := exit(); err != tc.exitErr {
				t.Errorf("a second exit = %v, want %v again", err, tc.exitErr)
			}
		})
	}
}

// A scope function that fails before its body, or never calls it, fails
// Enter.
func TestEnterFailsBeforeBody(t *testing.T) {
	p := startPortal(t)
	errSetup := errors.New("setup failed")
	_, exit, err := fromthread.Enter(p, func(ctx context.Context, body func(ctx context.Context, v int) error) error { return errSetup })
	if err != errSetup || exit != nil {
		t.Errorf("Enter of a failing scope = %v (exit %v), want %v and no exit", err, exit != nil, errSetup)
	}
	_, _, err = fromthread.Enter(p, func(ctx context.Context, body func(ctx context.Context, v int) error) error { return nil })
	if !errors.Is(err, fromthread.ErrNeverEntered) {
		t.Errorf("Enter of a scope that skips its body = %v, want ErrNeverEntered", err)
	}
}

// Port of AnyIO's test_async_context_manager_exception_in_task_group: a
// task group held open from synchronous code whose task fails ends early,
// and exit returns the group's error.
func TestEnterTaskGroup(t *testing.T) {
	p := startPortal(t)
	errZeroDivision := errors.New("division by zero")
	tg, exit, err := fromthread.Enter(p, anyio.WithTaskGroup)
	if err != nil {
		t.Fatal(err)
	}
	// The group runs tasks started from synchronous code while it is held.
	got, err := fromthread.Call(p, func(ctx context.Context) (int, error) {
		return anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
			st.Started(42)
			return anyio.SleepForever(ctx)
		})
	})
	if got != 42 || err != nil {
		t.Fatalf("Start in the held group = %d, %v; want 42, nil", got, err)
	}
	if _, err := fromthread.Call(p, func(ctx context.Context) (struct{}, error) {
		tg.StartSoon(func(ctx context.Context) error { return errZeroDivision })
		return struct{}{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	err = exit()
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) || len(eg.Errors) != 1 || eg.Errors[0] != errZeroDivision {
		t.Errorf("exit = %v, want an ExceptionGroup of the one failure", err)
	}
}

// A TLS stream's lifetime held from synchronous code: the stream is used
// through the portal while held, and closed by exit.
func TestEnterTLSStream(t *testing.T) {
	ca := anyiotest.NewCA(t)
	p := startPortal(t)
	// An echo server, started in the portal; its readiness value is its
	// port.
	server, port, err := fromthread.StartTask(p, func(ctx context.Context, st *anyio.TaskStatus[int]) (struct{}, error) {
		l, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
		if err != nil {
			return struct{}{}, err
		}
		defer l.Close(ctx)
		port, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
		st.Started(port)
		return struct{}{}, l.Serve(ctx, func(ctx context.Context, conn anyio.SocketStream) error {
			s, err := tlsstream.Wrap(ctx, conn, tlsstream.ServerSide(true), tlsstream.Config(ca.ServerConfig()))
			if err != nil {
				return nil
			}
			defer s.Close(ctx)
			buf := make([]byte, 1024)
			for {
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return nil
				}
				if err := s.Send(ctx, buf[:n]); err != nil {
					return nil
				}
			}
		}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Cancel()

	stream, exit, err := fromthread.Enter(p, func(ctx context.Context, body func(ctx context.Context, s anyio.ByteStream) error) error {
		s, err := tlsstream.Connect(ctx, "127.0.0.1", port, ca.ClientConfig())
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		return body(ctx, s)
	})
	if err != nil {
		t.Fatalf("Enter: %v", err)
	}
	echo := func(msg string) (string, error) {
		return fromthread.Call(p, func(ctx context.Context) (string, error) {
			if err := stream.Send(ctx, []byte(msg)); err != nil {
				return "", err
			}
			buf := make([]byte, len(msg))
			_, err := io.ReadFull(anyio.AsReader(ctx, stream), buf)
			return string(buf), err
		})
	}
	for _, msg := range []string{"hello", "portal"} {
		if got, err := echo(msg); got != msg || err != nil {
			t.Errorf("echo %q through the held stream = %q, %v", msg, got, err)
		}
	}
	if err := exit(); err != nil {
		t.Errorf("exit = %v", err)
	}
	if _, err := echo("after exit"); !errors.Is(err, anyio.ErrClosedResource) {
		t.Errorf("Send after exit = %v, want ErrClosedResource (exit closed the stream)", err)
	}
	server.Cancel()
	if _, err := server.Result(); !errors.Is(err, anyio.ErrCancelled) {
		t.Errorf("the server's Result after Cancel = %v, want a cancellation error", err)
	}
}
