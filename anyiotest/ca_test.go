package anyiotest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"

	"github.com/anyio-go/anyio/anyiotest"
)

func TestNewCA(t *testing.T) {
	ca := anyiotest.NewCA(t)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		c, s := net.Pipe()
		scfg := ca.ServerConfig()
		ccfg := ca.ClientConfig()
		ccfg.ServerName = host
		errc := make(chan error, 1)
		go func() {
			srv := tls.Server(s, scfg)
			errc <- srv.Handshake()
			srv.Close()
		}()
		cli := tls.Client(c, ccfg)
		if err := cli.Handshake(); err != nil {
			t.Errorf("client handshake for %s: %v", host, err)
		}
		cli.Close()
		if err := <-errc; err != nil {
			t.Errorf("server handshake for %s: %v", host, err)
		}
	}
	// A name the certificate does not cover fails verification.
	if _, err := ca.ServerCert().Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: ca.CertPool()}); err == nil {
		t.Error("the server certificate verified for example.com")
	}
	// The PEM forms parse.
	if b, _ := pem.Decode(ca.CertPEM()); b == nil || b.Type != "CERTIFICATE" {
		t.Error("CertPEM is not a PEM certificate")
	}
	leaf := ca.IssueCert(t, "client.test")
	if _, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM); err != nil {
		t.Errorf("IssueCert's PEM pair: %v", err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: ca.CertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("a client certificate does not verify: %v", err)
	}
	other := anyiotest.NewCA(t)
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: other.CertPool()}); err == nil {
		t.Error("a certificate verified against another CA")
	}
}

func TestFreePorts(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		p := anyiotest.FreeTCPPort(t)
		if seen[p] || p <= 0 {
			t.Fatalf("FreeTCPPort returned %d twice (or an invalid port)", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(p)))
		if err != nil {
			t.Fatalf("the port FreeTCPPort gave cannot be bound: %v", err)
		}
		l.Close()
	}
	udp := map[int]bool{}
	for range 20 {
		p := anyiotest.FreeUDPPort(t)
		if udp[p] {
			t.Fatalf("FreeUDPPort returned %d twice", p)
		}
		udp[p] = true
	}
}

func itoa(n int) string { return (&net.TCPAddr{Port: n}).String()[1:] }
