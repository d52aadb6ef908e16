package anyiotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// CA is an ephemeral certificate authority for tests, made by [NewCA] (the
// job Python's trustme does for AnyIO's tests). It issues certificates on
// ECDSA P-256 keys, valid from an hour ago to a day from now, and nothing
// outside the test trusts it.
type CA struct {
	// Cert is the authority's self-signed certificate.
	Cert *x509.Certificate

	key    *ecdsa.PrivateKey
	pool   *x509.CertPool
	server *Cert
}

// Cert is a certificate issued by a [CA], with its key.
type Cert struct {
	// TLS is the certificate chain and key, for tls.Config.Certificates.
	TLS tls.Certificate
	// Leaf is the parsed certificate.
	Leaf *x509.Certificate
	// CertPEM and KeyPEM are the certificate and its PKCS #8 key in PEM
	// form, for tools outside Go (openssl, Python's ssl).
	CertPEM, KeyPEM []byte
}

// NewCA makes a new certificate authority, and with it a server certificate
// for "localhost", 127.0.0.1 and ::1. It fails t if that is impossible.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("anyiotest.NewCA: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{Organization: []string{"anyiotest"}, CommonName: "anyiotest ephemeral CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("anyiotest.NewCA: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("anyiotest.NewCA: %v", err)
	}
	ca := &CA{Cert: cert, key: key, pool: x509.NewCertPool()}
	ca.pool.AddCert(cert)
	ca.server = ca.IssueCert(t, "localhost", "127.0.0.1", "::1")
	return ca
}

// CertPEM returns the authority's certificate in PEM form, for a trust store
// outside Go.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// CertPool returns a pool that trusts the authority (and nothing else).
func (ca *CA) CertPool() *x509.CertPool { return ca.pool }

// ServerCert returns the certificate for "localhost", 127.0.0.1 and ::1
// that NewCA issued.
func (ca *CA) ServerCert() *Cert { return ca.server }

// IssueCert issues a certificate for names, each a DNS name or an IP
// address, usable by servers and by clients. It fails t if that is
// impossible.
func (ca *CA) IssueCert(t testing.TB, names ...string) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("anyiotest: IssueCert: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{Organization: []string{"anyiotest"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if len(names) > 0 {
		tmpl.Subject.CommonName = names[0]
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("anyiotest: IssueCert: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("anyiotest: IssueCert: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("anyiotest: IssueCert: %v", err)
	}
	return &Cert{
		TLS:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Leaf:    leaf,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
}

// ServerConfig returns a new server configuration with the certificate for
// "localhost", 127.0.0.1 and ::1; it trusts the authority for client
// certificates (ClientCAs) but does not ask for one: set ClientAuth for
// mutual TLS. Each call returns a new *tls.Config, free to modify.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{ca.server.TLS},
		ClientCAs:    ca.pool,
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientConfig returns a new client configuration that trusts the authority
// and nothing else. It has no ServerName: the host name comes from the
// connection (tlsstream.Hostname, tlsstream.Connect). Each call returns a new
// *tls.Config, free to modify.
func (ca *CA) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("anyiotest: serial number: %v", err)
	}
	return n
}
