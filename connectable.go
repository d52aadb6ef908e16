package anyio

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/anyio-go/anyio/internal/core"
)

// TCPConnectable connects to a TCP server with [ConnectTCP] each time
// Connect is called (AnyIO 4.10's TCPConnectable). It is a
// [ByteStreamConnectable], for code that makes connections without knowing
// how (a connection pool, a client that reconnects); wrap it in
// tlsstream.Connectable for TLS.
type TCPConnectable struct {
	// Host and Port are the server's.
	Host string
	Port int
	// Options are given to ConnectTCP (LocalHost, LocalPort,
	// HappyEyeballsDelay).
	Options []ConnectTCPOption
}

// Connect connects and returns the stream (a [SocketStream]). Any failure
// but a cancellation is a *[ConnectionFailedError].
func (c TCPConnectable) Connect(ctx context.Context) (ByteStream, error) {
	s, err := ConnectTCP(ctx, c.Host, c.Port, c.Options...)
	if err != nil {
		return nil, connectionFailed(net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), err)
	}
	return s, nil
}

// UnixConnectable connects to a UNIX domain stream socket with
// [ConnectUnix] each time Connect is called (AnyIO 4.10's UNIXConnectable).
type UnixConnectable struct {
	// Path is the socket's path.
	Path string
}

// Connect connects and returns the stream (a [UnixSocketStream]). Any
// failure but a cancellation is a *[ConnectionFailedError].
func (c UnixConnectable) Connect(ctx context.Context) (ByteStream, error) {
	s, err := ConnectUnix(ctx, c.Path)
	if err != nil {
		return nil, connectionFailed(c.Path, err)
	}
	return s, nil
}

var (
	_ ByteStreamConnectable = TCPConnectable{}
	_ ByteStreamConnectable = UnixConnectable{}
)

// connectionFailed returns err as a *ConnectionFailedError for target,
// unless it is one already or a cancellation.
func connectionFailed(target string, err error) error {
	var cf *ConnectionFailedError
	if core.IsCancellation(err) || errors.As(err, &cf) {
		return err
	}
	return &ConnectionFailedError{Target: target, Errors: []error{err}}
}
