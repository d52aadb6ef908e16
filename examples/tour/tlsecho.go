package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// tlsEchoServer runs a TLS echo server on two sockets at once — TCP on
// loopback and a UNIX socket — joined in a MultiListener, and talks to it
// with several clients.
func tlsEchoServer(ctx context.Context) error {
	serverCfg, clientCfg, err := tourCertificates()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "anyio-tour")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "echo.sock")

	tcp, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
	if err != nil {
		return err
	}
	unix, err := anyio.CreateUnixListener(ctx, sock)
	if err != nil {
		tcp.Close(ctx)
		return err
	}
	port, _ := anyio.Extra(tcp, anyio.SocketAttribute.LocalPort)
	multi := anyio.NewMultiListener[anyio.SocketStream](tcp, unix)
	listener := tlsstream.NewListener(multi, serverCfg)
	defer listener.Close(ctx)
	say("TLS echo server on %d sockets: TCP 127.0.0.1 and a UNIX socket", len(multi.Listeners()))

	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			// Each connection gets a task of its own, handshake included.
			return listener.Serve(ctx, func(ctx context.Context, s *tlsstream.Stream) error {
				defer s.Close(ctx)
				buf := make([]byte, 256)
				for {
					n, err := s.Receive(ctx, buf)
					if errors.Is(err, anyio.ErrEndOfStream) {
						return nil
					}
					if err != nil {
						return err
					}
					if err := s.Send(ctx, []byte(strings.ToUpper(string(buf[:n])))); err != nil {
						return err
					}
				}
			}, nil)
		}, anyio.TaskName("tls-echo-server"))

		for i, via := range []string{"tcp", "unix", "tcp"} {
			var c *tlsstream.Stream
			if via == "tcp" {
				c, err = tlsstream.Connect(ctx, "localhost", port, clientCfg)
			} else {
				var transport anyio.UnixSocketStream
				if transport, err = anyio.ConnectUnix(ctx, sock); err == nil {
					if c, err = tlsstream.Wrap(ctx, transport, tlsstream.Hostname("localhost"), tlsstream.Config(clientCfg)); err != nil {
						transport.Close(ctx)
					}
				}
			}
			if err != nil {
				return err
			}
			msg := "hello from client " + string(rune('1'+i))
			reply, err := tourRoundTrip(ctx, c, msg)
			c.Close(ctx)
			if err != nil {
				return err
			}
			version, _ := anyio.Extra(c, tlsstream.Attribute.TLSVersion)
			say("client %d over %s (%s): sent %q, got %q", i+1, via, tls.VersionName(version), msg, reply)
		}
		say("stopping the server: cancelling its task group")
		tg.CancelScope().Cancel()
		return nil
	})
}

// tourRoundTrip sends msg and receives as many bytes back.
func tourRoundTrip(ctx context.Context, s anyio.ByteStream, msg string) (string, error) {
	if err := s.Send(ctx, []byte(msg)); err != nil {
		return "", err
	}
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 256)
	for len(got) < len(msg) {
		n, err := s.Receive(ctx, buf)
		if err != nil {
			return "", err
		}
		got = append(got, buf[:n]...)
	}
	return string(got), nil
}

// tourCertificates makes a throwaway self-signed certificate for
// "localhost" and the configurations that serve and trust it.
func tourCertificates() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	return server, &tls.Config{RootCAs: roots}, nil
}
