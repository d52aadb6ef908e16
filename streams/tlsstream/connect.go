package tlsstream

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// Connect connects to host and port with anyio.ConnectTCP (Happy Eyeballs;
// opts are ConnectTCP's: anyio.LocalHost, anyio.LocalPort,
// anyio.HappyEyeballsDelay) and performs a TLS handshake as a client
// that verifies the server's certificate for host (AnyIO's
// connect_tcp(tls=True)). cfg may be nil for crypto/tls's defaults with the
// system's roots; its ServerName, if set, is what the certificate is
// verified against instead of host. The stream is [StandardCompatible].
//
// Connect blocks until the stream is ready and returns a cancellation error
// once ctx is cancelled. When the handshake fails, the TCP connection is
// closed and the handshake's error returned.
func Connect(ctx context.Context, host string, port int, cfg *tls.Config, opts ...anyio.ConnectTCPOption) (*Stream, error) {
	tcp, err := anyio.ConnectTCP(ctx, host, port, opts...)
	if err != nil {
		return nil, err
	}
	wopts := []Option{Config(cfg), ServerSide(false)}
	if cfg == nil || cfg.ServerName == "" {
		wopts = append(wopts, Hostname(host))
	}
	s, err := Wrap(ctx, tcp, wopts...)
	if err != nil {
		anyio.CloseForcefully(tcp)
		return nil, err
	}
	return s, nil
}

// Connectable makes TLS connections over the connections of another
// connectable (AnyIO 4.10's TLSConnectable): each Connect connects the
// transport and wraps it as a client.
type Connectable struct {
	// Transport makes the connections to wrap.
	Transport anyio.ByteStreamConnectable
	// Config is the TLS configuration (nil: crypto/tls's defaults).
	Config *tls.Config
	// Hostname is the server name to verify the certificate against; empty
	// means the Host of an anyio.TCPConnectable transport (or the Config's
	// ServerName).
	Hostname string
	// Options are more options for Wrap, such as StandardCompatible.
	Options []Option
}

var _ anyio.ByteStreamConnectable = Connectable{}

// Connect connects the transport and performs the handshake, returning a
// *[Stream]. Any failure but a cancellation, including a failed
// handshake (after which the transport is closed), is an
// *anyio.ConnectionFailedError.
func (c Connectable) Connect(ctx context.Context) (anyio.ByteStream, error) {
	if c.Transport == nil {
		return nil, errors.New("anyio: tlsstream.Connectable has no Transport")
	}
	hostname, target := c.Hostname, "TLS transport"
	if tc, ok := c.Transport.(anyio.TCPConnectable); ok {
		if hostname == "" {
			hostname = tc.Host
		}
		target = net.JoinHostPort(tc.Host, strconv.Itoa(tc.Port))
	} else if uc, ok := c.Transport.(anyio.UnixConnectable); ok {
		target = uc.Path
	}
	transport, err := c.Transport.Connect(ctx)
	if err != nil {
		return nil, err
	}
	opts := append([]Option{Config(c.Config), ServerSide(false)}, c.Options...)
	if hostname != "" {
		opts = append(opts, Hostname(hostname))
	}
	s, err := Wrap(ctx, transport, opts...)
	if err != nil {
		anyio.CloseForcefully(transport)
		var cf *anyio.ConnectionFailedError
		if core.IsCancellation(err) || errors.As(err, &cf) {
			return nil, err
		}
		return nil, &anyio.ConnectionFailedError{Target: target, Errors: []error{err}}
	}
	return s, nil
}
