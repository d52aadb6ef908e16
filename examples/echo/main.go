// Echo is a TCP (or TLS) echo server built on anyio: every connection is
// served by a task of its own, and Ctrl-C cancels them all and exits.
//
// Run it from the root of the module:
//
//	go run ./examples/echo                         # TCP on 127.0.0.1:7007
//	go run ./examples/echo -host "" -port 9000     # every interface
//	go run ./examples/echo -tls-cert cert.pem -tls-key key.pem
//
// and talk to it with nc 127.0.0.1 7007, or, with TLS,
// openssl s_client -connect 127.0.0.1:7007.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// config is what the command line says.
type config struct {
	host             string
	port             int
	certFile         string
	keyFile          string
	handshakeTimeout time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.host, "host", "127.0.0.1", `interface to listen on ("" for every interface)`)
	flag.IntVar(&cfg.port, "port", 7007, "TCP port to listen on (0: any free port)")
	flag.StringVar(&cfg.certFile, "tls-cert", "", "PEM certificate chain: serve TLS (with -tls-key)")
	flag.StringVar(&cfg.keyFile, "tls-key", "", "PEM private key of -tls-cert")
	flag.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", tlsstream.DefaultHandshakeTimeout, "time limit of a TLS handshake")
	flag.Parse()
	if flag.NArg() > 0 || (cfg.certFile == "") != (cfg.keyFile == "") {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := anyio.Run(ctx, func(ctx context.Context) error {
		return serve(ctx, cfg, os.Stdout, nil)
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// serve listens as cfg says and echoes until ctx is cancelled; it reports
// the listener's port to ready, if not nil, once it listens.
func serve(ctx context.Context, cfg config, log io.Writer, ready func(port int)) error {
	var opts []anyio.TCPListenerOption
	if cfg.host != "" {
		opts = append(opts, anyio.LocalHost(cfg.host))
	}
	opts = append(opts, anyio.LocalPort(cfg.port))
	listener, err := anyio.CreateTCPListener(ctx, opts...)
	if err != nil {
		return err
	}
	defer listener.Close(ctx)
	port, _ := anyio.Extra(listener, anyio.SocketAttribute.LocalPort)

	if cfg.certFile == "" {
		fmt.Fprintf(log, "echo: TCP on port %d (%d listening sockets)\n", port, len(listener.Listeners()))
		if ready != nil {
			ready(port)
		}
		return listener.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
			return echo(ctx, s, log)
		}, nil)
	}

	cert, err := tls.LoadX509KeyPair(cfg.certFile, cfg.keyFile)
	if err != nil {
		return err
	}
	tlsListener := tlsstream.NewListener(listener, &tls.Config{Certificates: []tls.Certificate{cert}},
		tlsstream.HandshakeTimeout(cfg.handshakeTimeout))
	fmt.Fprintf(log, "echo: TLS on port %d (%d listening sockets)\n", port, len(listener.Listeners()))
	if ready != nil {
		ready(port)
	}
	return tlsListener.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
		return echo(ctx, s, log)
	}, nil)
}

// echo sends back what it receives until the client closes, then closes.
// A connection's failure ends only that connection.
func echo(ctx context.Context, s anyio.ByteStream, log io.Writer) error {
	defer s.Close(ctx)
	peer := "?"
	if addr, err := anyio.Extra(s, anyio.SocketAttribute.RemoteAddress); err == nil && addr != nil {
		peer = addr.String()
	}
	buf := make([]byte, 16<<10)
	total := 0
	for {
		n, err := s.Receive(ctx, buf)
		if err != nil {
			if !errors.Is(err, anyio.ErrEndOfStream) && !errors.Is(err, anyio.ErrCancelled) {
				fmt.Fprintf(log, "echo: %s: %v\n", peer, err)
			}
			break
		}
		if err := s.Send(ctx, buf[:n]); err != nil {
			fmt.Fprintf(log, "echo: %s: %v\n", peer, err)
			break
		}
		total += n
	}
	fmt.Fprintf(log, "echo: %s: %d bytes echoed\n", peer, total)
	return nil
}
