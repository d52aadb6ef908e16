package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// lockedBuffer collects the server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runServer serves cfg until the client function returns, then cancels it.
func runServer(t *testing.T, cfg config, client func(port int)) string {
	t.Helper()
	var log lockedBuffer
	anyiotest.Run(t, func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			port, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				return serve(ctx, cfg, &log, st.Started)
			})
			if err != nil {
				return err
			}
			client(port)
			tg.CancelScope().Cancel()
			return nil
		})
	})
	return log.String()
}

func TestEchoTCP(t *testing.T) {
	log := runServer(t, config{host: "127.0.0.1"}, func(port int) {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("hello, echo"))
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != "hello, echo" {
			t.Errorf("echo = %q, %v", got, err)
		}
	})
	if !strings.Contains(log, "echo: TCP on port") || !strings.Contains(log, ": 11 bytes echoed") {
		t.Errorf("server log:\n%s", log)
	}
}

func TestEchoTLS(t *testing.T) {
	certFile, keyFile, roots := writeCert(t)
	log := runServer(t, config{host: "127.0.0.1", certFile: certFile, keyFile: keyFile, handshakeTimeout: 10 * time.Second}, func(port int) {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)), &tls.Config{RootCAs: roots, ServerName: "localhost"})
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		c.Write([]byte("secret echo"))
		buf := make([]byte, 11)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "secret echo" {
			t.Errorf("TLS echo = %q, %v", buf, err)
		}
	})
	if !strings.Contains(log, "echo: TLS on port") {
		t.Errorf("server log:\n%s", log)
	}
}

func TestEchoBadCertificate(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		err := serve(ctx, config{host: "127.0.0.1", certFile: "/nonexistent", keyFile: "/nonexistent"}, io.Discard, nil)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("serve with a missing certificate = %v, want an error matching os.ErrNotExist", err)
		}
		return nil
	})
}

func itoa(n int) string { return (&net.TCPAddr{Port: n}).String()[1:] }

// writeCert writes a self-signed certificate for "localhost" and its key.
func writeCert(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}
