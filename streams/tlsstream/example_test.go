package tlsstream_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

// TLS over any byte stream, here a pair of memory streams: the server and
// the client perform the handshake concurrently, then talk.
func ExampleWrap() {
	serverCfg, clientCfg := exampleConfigs()
	toServer, fromClient := anyio.NewMemoryObjectStream[[]byte](4)
	toClient, fromServer := anyio.NewMemoryObjectStream[[]byte](4)
	serverEnd := anyio.ObjectToByteStream(stapled.NewObjectStream(toClient, fromClient))
	clientEnd := anyio.ObjectToByteStream(stapled.NewObjectStream(toServer, fromServer))

	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				s, err := tlsstream.Wrap(ctx, serverEnd, tlsstream.ServerSide(true), tlsstream.Config(serverCfg))
				if err != nil {
					return err
				}
				defer s.Close(ctx)
				buf := make([]byte, 64)
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return err
				}
				return s.Send(ctx, append([]byte("hello, "), buf[:n]...))
			})

			c, err := tlsstream.Wrap(ctx, clientEnd, tlsstream.Hostname("example.test"), tlsstream.Config(clientCfg))
			if err != nil {
				return err
			}
			defer c.Close(ctx)
			version, _ := anyio.Extra(c, tlsstream.Attribute.TLSVersion)
			fmt.Println("negotiated", tls.VersionName(version))
			if err := c.Send(ctx, []byte("TLS")); err != nil {
				return err
			}
			buf := make([]byte, 64)
			n, err := c.Receive(ctx, buf)
			if err != nil {
				return err
			}
			fmt.Printf("%s\n", buf[:n])
			return nil
		})
	})
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// negotiated TLS 1.3
	// hello, TLS
}

// exampleConfigs makes a self-signed certificate for "example.test" and the
// server and client configurations that use and trust it.
func exampleConfigs() (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.test"},
		DNSNames:     []string{"example.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: roots}
}
