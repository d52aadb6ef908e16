package anyio_test

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestTCPConnectable(t *testing.T) {
	fam := skFamilies(t)[0]
	l := skListen(t, fam)
	anyiotest.Run(t, func(ctx context.Context) error {
		var c anyio.ByteStreamConnectable = anyio.TCPConnectable{Host: fam.loopback, Port: skPort(l.Addr())}
		s, err := c.Connect(ctx)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if _, ok := s.(anyio.SocketStream); !ok {
			t.Errorf("Connect returned a %T", s)
		}
		if p, _ := anyio.Extra(s, anyio.SocketAttribute.RemotePort); p != skPort(l.Addr()) {
			t.Errorf("RemotePort = %d", p)
		}

		_, err = anyio.TCPConnectable{Host: "127.0.0.1", Port: anyiotest.FreeTCPPort(t)}.Connect(ctx)
		var cf *anyio.ConnectionFailedError
		if !errors.As(err, &cf) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Connect to a closed port = %v, want *anyio.ConnectionFailedError (ECONNREFUSED)", err)
		}
		_, err = anyio.TCPConnectable{Host: "anyio.invalid", Port: 1}.Connect(ctx)
		if !errors.As(err, &cf) {
			t.Errorf("Connect to an unknown host = %v, want *anyio.ConnectionFailedError", err)
		}
		scope := anyio.NewCancelScope()
		scope.Cancel()
		scope.Run(ctx, func(ctx context.Context) error {
			_, err := anyio.TCPConnectable{Host: fam.loopback, Port: skPort(l.Addr())}.Connect(ctx)
			if !errors.Is(err, anyio.ErrCancelled) || errors.As(err, &cf) {
				t.Errorf("cancelled Connect = %v, want a bare cancellation", err)
			}
			return err
		})
		return nil
	})
}

func TestUnixConnectable(t *testing.T) {
	path := skSocketPaths(t)["Path"]
	anyiotest.Run(t, func(ctx context.Context) error {
		c := anyio.UnixConnectable{Path: path}
		_, err := c.Connect(ctx)
		var cf *anyio.ConnectionFailedError
		if !errors.As(err, &cf) || !errors.Is(err, fs.ErrNotExist) || cf.Target != path {
			t.Errorf("Connect without a listener = %v, want *anyio.ConnectionFailedError", err)
		}
		l, err := anyio.CreateUnixListener(ctx, path)
		if err != nil {
			return err
		}
		defer l.Close(ctx)
		s, err := c.Connect(ctx)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		if _, ok := s.(anyio.UnixSocketStream); !ok {
			t.Errorf("Connect returned a %T, want an anyio.UnixSocketStream", s)
		}
		return nil
	})
}
