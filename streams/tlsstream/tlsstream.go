// Package tlsstream adds Transport Layer Security to any anyio byte stream
// (AnyIO's anyio.streams.tls; renamed so as not to shadow crypto/tls).
//
// [Wrap] performs a TLS handshake over a transport stream (a TCP connection,
// a UNIX socket, one end of a memory stream pair, ...) and returns a
// [Stream], itself an anyio.ByteStream that encrypts what it sends and
// decrypts what it receives. [Connect] connects over TCP and wraps, and
// [NewListener] wraps every connection that a listener accepts. The
// cryptography is crypto/tls's: a *tls.Config configures everything.
//
// A TLS stream is closed in one of two ways. Close sends the TLS
// close_notify alert and closes the transport; [Stream.Unwrap] also waits
// for the peer's close_notify and then hands the transport back, with the
// bytes that came after the TLS session, for a protocol that goes on in
// plaintext (STARTTLS in reverse).
package tlsstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"golang.org/x/net/idna"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// Option configures [Wrap] (AnyIO's keyword arguments of TLSStream.wrap).
type Option interface {
	applyWrap(*wrapOptions)
}

// ListenerOption configures [NewListener].
type ListenerOption interface {
	applyListener(*listenerOptions)
}

type wrapOptions struct {
	serverSide         *bool
	hostname           string
	config             *tls.Config
	standardCompatible bool
}

type optionFunc func(*wrapOptions)

func (f optionFunc) applyWrap(o *wrapOptions) { f(o) }

// ServerSide makes the stream the server (true) or the client (false) of
// the handshake. By default it is the client when a host name is known
// ([Hostname], or the ServerName of the [Config]), the server otherwise.
func ServerSide(server bool) Option {
	return optionFunc(func(o *wrapOptions) { o.serverSide = &server })
}

// Hostname is the host name (or IP address) of the server, which a client
// verifies the server's certificate against and sends in SNI. A name that is
// not ASCII is encoded with IDNA 2008 first ("faß.de" becomes
// "xn--fa-hia.de"). It overrides the ServerName of the [Config].
func Hostname(name string) Option {
	return optionFunc(func(o *wrapOptions) { o.hostname = name })
}

// Config gives the *tls.Config of the stream: certificates, trusted roots,
// ALPN protocols, versions and so on. Wrap does not modify it (it works on a
// copy where it must). Without it, a client verifies the server against the
// system's roots and a server has no certificate (which fails the handshake
// unless the Config is given): the secure defaults of crypto/tls, with TLS
// 1.2 as the lowest version.
func Config(cfg *tls.Config) Option {
	return optionFunc(func(o *wrapOptions) { o.config = cfg })
}

// StandardCompatibleOption is the option made by [StandardCompatible]; it
// serves both [Wrap] and [NewListener].
type StandardCompatibleOption bool

func (s StandardCompatibleOption) applyWrap(o *wrapOptions) { o.standardCompatible = bool(s) }
func (s StandardCompatibleOption) applyListener(o *listenerOptions) {
	o.standardCompatible = bool(s)
}

// StandardCompatible says whether the stream follows the TLS standard's
// closing rules (the default, true): Close sends close_notify, and a peer
// that closes the transport without sending close_notify is an error
// (anyio.ErrBrokenResource, because a truncation attack looks just like
// that). With false, Close skips close_notify and such a peer's close is the
// end of the stream (anyio.ErrEndOfStream), as some protocols (HTTP/1.1 with
// a Content-Length, for instance) allow.
func StandardCompatible(b bool) StandardCompatibleOption { return StandardCompatibleOption(b) }

// Stream is a byte stream that encrypts what it sends to, and decrypts
// what it receives from, a transport byte stream (AnyIO's TLSStream). Make
// one with [Wrap].
//
// One task may receive while another sends; a second concurrent receiver
// (or sender) gets *anyio.BusyResourceError.
//
// Cancellation: a cancelled Receive returns a cancellation error and leaves
// the stream usable; the TLS record it was reading goes on with the next
// Receive. A cancelled Send, though, leaves the stream's sending side broken:
// crypto/tls cannot resume a record it began to write, so every later Send
// returns anyio.ErrBrokenResource (Receive still works, and Close does not
// send close_notify). Cancel sends only when the connection is to be given
// up.
//
// Errors: Receive returns anyio.ErrEndOfStream after the peer's close_notify
// (and, when the stream is not [StandardCompatible], after the peer closed
// the transport without it); an error matching anyio.ErrBrokenResource
// when the transport failed, the peer closed without close_notify under
// standard rules, or a record could not be decrypted; anyio.ErrClosedResource
// once this stream was closed or unwrapped. The stream offers every
// [Attribute] and the typed attributes of its transport.
type Stream struct {
	transport          anyio.ByteStream
	tc                 *tls.Conn
	conn               *transportConn
	serverSide         bool
	standardCompatible bool

	rbusy, wbusy atomic.Bool
	closed       atomic.Bool
	unwrapped    atomic.Bool
	sendBroken   atomic.Bool
	eofSent      atomic.Bool

	attrs map[any]func() any
}

var _ anyio.ByteStream = (*Stream)(nil)

// Wrap performs a TLS handshake as a client or a server over transport, and
// returns the TLS stream (AnyIO's TLSStream.wrap). A client verifies the
// server's certificate and host name (see [Hostname] and [Config]) unless
// its Config sets InsecureSkipVerify.
//
// Wrap blocks until the handshake is complete and returns a cancellation
// error once ctx is cancelled. A failed handshake returns the error of
// crypto/tls (a *tls.CertificateVerificationError, a tls.AlertError, ...),
// which also matches anyio.ErrBrokenResource when the transport failed or
// the peer went away. Wrap never closes transport: on failure the caller
// still owns it (and should close it); on success the TLS stream owns it.
func Wrap(ctx context.Context, transport anyio.ByteStream, opts ...Option) (*Stream, error) {
	o := wrapOptions{standardCompatible: true}
	for _, opt := range opts {
		if opt != nil {
			opt.applyWrap(&o)
		}
	}
	cfg := o.config
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	serverName := cfg.ServerName
	if o.hostname != "" {
		name, err := encodeHostname(o.hostname)
		if err != nil {
			return nil, err
		}
		serverName = name
	}
	server := serverName == ""
	if o.serverSide != nil {
		server = *o.serverSide
	}

	s := &Stream{
		transport:          transport,
		conn:               newTransportConn(transport),
		serverSide:         server,
		standardCompatible: o.standardCompatible,
	}
	if server {
		cfg = serverConfig(cfg)
		s.tc = tls.Server(s.conn, cfg)
	} else {
		if serverName != cfg.ServerName {
			cfg = cfg.Clone()
			cfg.ServerName = serverName
		}
		s.tc = tls.Client(s.conn, cfg)
	}

	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	s.conn.setContexts(ctx, ctx)
	err := s.tc.Handshake()
	s.conn.clearContexts()
	if err != nil {
		switch {
		case ctx.Err() != nil && core.IsCancellation(err):
			return nil, core.CancelErr(ctx)
		case s.conn.sawEOF || s.conn.readErr.Load() || s.conn.wroteErr.Load():
			return nil, fmt.Errorf("%w: TLS handshake: %w", anyio.ErrBrokenResource, err)
		}
		return nil, fmt.Errorf("anyio: TLS handshake: %w", err)
	}
	s.attrs = s.attributes(cfg)
	return s, nil
}

// serverConfigs maps a server's *tls.Config to its copy that records the
// client's cipher suites (for Attribute.SharedCiphers). There is one copy per
// Config, not per connection, so that the copy's session ticket keys are
// shared by every connection and sessions can be resumed. crypto/tls forbids
// changing a Config once used, so the copy stays faithful. An entry goes away
// with its Config.
var serverConfigs sync.Map // weak.Pointer[tls.Config] → *tls.Config

func serverConfig(cfg *tls.Config) *tls.Config {
	key := weak.Make(cfg)
	if c, ok := serverConfigs.Load(key); ok {
		return c.(*tls.Config)
	}
	orig := cfg.GetConfigForClient
	c := cfg.Clone()
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if tc, ok := hello.Conn.(*transportConn); ok {
			tc.clientCiphers = slices.Clone(hello.CipherSuites)
		}
		if orig != nil {
			return orig(hello)
		}
		return nil, nil
	}
	if prev, loaded := serverConfigs.LoadOrStore(key, c); loaded {
		return prev.(*tls.Config)
	}
	runtime.AddCleanup(cfg, func(k weak.Pointer[tls.Config]) { serverConfigs.Delete(k) }, key)
	return c
}

// encodeHostname returns the ASCII form of a host name for crypto/tls.
func encodeHostname(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			enc, err := idna.Lookup.ToASCII(name)
			if err != nil {
				return "", fmt.Errorf("anyio: TLS host name %q is not a valid internationalized domain name (IDNA 2008): %w", name, err)
			}
			return enc, nil
		}
	}
	return name, nil
}

// Receive receives and decrypts up to len(p) bytes. See [Stream] for its
// errors and cancellation; an empty p gives anyio.ErrEmptyBuffer.
func (s *Stream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, anyio.ErrEmptyBuffer
	}
	if s.closed.Load() {
		return 0, anyio.ErrClosedResource
	}
	if !s.rbusy.CompareAndSwap(false, true) {
		return 0, &anyio.BusyResourceError{Action: "reading from"}
	}
	defer s.rbusy.Store(false)
	if ctx.Err() != nil {
		return 0, core.CancelErr(ctx)
	}
	s.conn.setReadCtx(ctx)
	n, err := s.tc.Read(p)
	s.conn.clearReadCtx()
	if n > 0 {
		return n, nil
	}
	return 0, s.readError(ctx, err)
}

// readError maps an error of tls.Conn.Read.
func (s *Stream) readError(ctx context.Context, err error) error {
	var intr *interrupted
	switch {
	case err == nil:
		return nil
	case errors.As(err, &intr) && ctx.Err() != nil:
		return core.CancelErr(ctx)
	case s.closed.Load() && !s.unwrapped.Load():
		return anyio.ErrClosedResource
	case err == io.EOF && s.conn.sawEOF:
		if s.standardCompatible {
			return fmt.Errorf("%w: the peer closed the connection without a TLS close_notify", anyio.ErrBrokenResource)
		}
		return anyio.ErrEndOfStream
	case err == io.EOF:
		return anyio.ErrEndOfStream
	case errors.Is(err, anyio.ErrClosedResource):
		return anyio.ErrClosedResource
	case errors.Is(err, anyio.ErrBrokenResource):
		return err
	}
	return fmt.Errorf("%w: %w", anyio.ErrBrokenResource, err)
}

// Send encrypts p and sends it. See [Stream] for its errors and for why a
// cancelled Send breaks the sending side.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	if s.closed.Load() {
		return anyio.ErrClosedResource
	}
	if !s.wbusy.CompareAndSwap(false, true) {
		return &anyio.BusyResourceError{Action: "writing to"}
	}
	defer s.wbusy.Store(false)
	switch {
	case s.eofSent.Load():
		return fmt.Errorf("%w: Send after SendEOF", anyio.ErrClosedResource)
	case s.sendBroken.Load():
		return fmt.Errorf("%w: an earlier Send failed or was cancelled in the middle of a TLS record", anyio.ErrBrokenResource)
	case ctx.Err() != nil:
		return core.CancelErr(ctx)
	case len(p) == 0:
		return nil
	}
	s.conn.setWriteCtx(ctx)
	_, err := s.tc.Write(p)
	s.conn.clearWriteCtx()
	if err != nil {
		return s.writeError(ctx, err)
	}
	return nil
}

// writeError maps an error of a tls.Conn write; the sending side is broken
// after any.
func (s *Stream) writeError(ctx context.Context, err error) error {
	s.sendBroken.Store(true)
	var intr *interrupted
	switch {
	case errors.As(err, &intr) && ctx.Err() != nil:
		return core.CancelErr(ctx)
	case s.closed.Load() && !s.unwrapped.Load(), errors.Is(err, anyio.ErrClosedResource):
		return anyio.ErrClosedResource
	case errors.Is(err, anyio.ErrBrokenResource):
		return err
	}
	return fmt.Errorf("%w: %w", anyio.ErrBrokenResource, err)
}

// SendEOF sends close_notify, which under TLS 1.3 closes only the sending
// direction: the peer's Receive returns anyio.ErrEndOfStream while this side
// can still receive. Earlier versions of TLS have no half-close: with them
// SendEOF returns an error matching errors.ErrUnsupported. It is idempotent;
// a later Send returns anyio.ErrClosedResource.
func (s *Stream) SendEOF(ctx context.Context) error {
	if s.closed.Load() {
		return anyio.ErrClosedResource
	}
	if v := s.tc.ConnectionState().Version; v < tls.VersionTLS13 {
		return fmt.Errorf("anyio: tlsstream: SendEOF needs TLS 1.3, the session uses %s: %w", tls.VersionName(v), errors.ErrUnsupported)
	}
	if !s.wbusy.CompareAndSwap(false, true) {
		return &anyio.BusyResourceError{Action: "writing to"}
	}
	defer s.wbusy.Store(false)
	if s.eofSent.Load() {
		return nil
	}
	if s.sendBroken.Load() {
		return fmt.Errorf("%w: an earlier Send failed or was cancelled", anyio.ErrBrokenResource)
	}
	if ctx.Err() != nil {
		return core.CancelErr(ctx)
	}
	if err := s.closeNotify(ctx); err != nil {
		return err
	}
	s.eofSent.Store(true)
	return nil
}

// closeNotify sends close_notify; the caller holds wbusy.
func (s *Stream) closeNotify(ctx context.Context) error {
	s.conn.setWriteCtx(ctx)
	err := s.tc.CloseWrite()
	s.conn.clearWriteCtx()
	if err != nil {
		return s.writeError(ctx, err)
	}
	return nil
}

// Close closes the stream and its transport. A [StandardCompatible] stream
// first sends close_notify, unless ctx is cancelled (a forceful close), a
// Send is in progress in another task or the sending side is broken; it
// does not wait for the peer's close_notify (use [Stream.Unwrap] for
// that). Calls blocked in other tasks return anyio.ErrClosedResource. Close
// is idempotent; after Unwrap it does nothing, the transport being the
// caller's again. It returns the error of sending close_notify or of closing
// the transport.
func (s *Stream) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	var err error
	if s.standardCompatible && ctx.Err() == nil && !s.sendBroken.Load() && s.wbusy.CompareAndSwap(false, true) {
		if !s.eofSent.Load() {
			err = s.closeNotify(ctx)
		}
		s.wbusy.Store(false)
	}
	if cerr := s.transport.Close(ctx); cerr != nil && !core.IsCancellation(cerr) {
		err = errors.Join(err, cerr)
	}
	if core.IsCancellation(err) {
		err = nil
	}
	return err
}

// Unwrap ends the TLS session with the closing handshake — it sends
// close_notify, then receives until the peer's close_notify, discarding any
// data that was still on its way — and returns the transport stream with the
// bytes that arrived after the peer's close_notify: the start of whatever
// the peer sends in plaintext next (AnyIO's TLSStream.unwrap). The TLS
// stream is closed afterwards (without closing the transport, which the
// caller owns again).
//
// Unwrap needs the stream to itself: while another task receives or sends,
// it returns *anyio.BusyResourceError. It blocks until the peer's
// close_notify arrives; once ctx is cancelled it returns a cancellation
// error, and the stream is left usable only for Close. A peer that closes
// the transport without close_notify gives anyio.ErrBrokenResource.
func (s *Stream) Unwrap(ctx context.Context) (anyio.ByteStream, []byte, error) {
	if s.closed.Load() {
		return nil, nil, anyio.ErrClosedResource
	}
	if !s.rbusy.CompareAndSwap(false, true) {
		return nil, nil, &anyio.BusyResourceError{Action: "reading from"}
	}
	defer s.rbusy.Store(false)
	if !s.wbusy.CompareAndSwap(false, true) {
		return nil, nil, &anyio.BusyResourceError{Action: "writing to"}
	}
	defer s.wbusy.Store(false)
	if ctx.Err() != nil {
		return nil, nil, core.CancelErr(ctx)
	}
	if !s.eofSent.Load() {
		if s.sendBroken.Load() {
			return nil, nil, fmt.Errorf("%w: an earlier Send failed or was cancelled", anyio.ErrBrokenResource)
		}
		if err := s.closeNotify(ctx); err != nil {
			return nil, nil, err
		}
		s.eofSent.Store(true)
	}
	s.conn.setReadCtx(ctx)
	defer s.conn.clearReadCtx()
	buf := make([]byte, 4096)
	for {
		_, err := s.tc.Read(buf)
		if err == nil {
			continue
		}
		if err == io.EOF && !s.conn.sawEOF {
			break
		}
		if err == io.EOF {
			return nil, nil, fmt.Errorf("%w: the peer closed the connection without a TLS close_notify", anyio.ErrBrokenResource)
		}
		return nil, nil, s.readError(ctx, err)
	}
	s.unwrapped.Store(true)
	s.closed.Store(true)
	return s.transport, s.conn.pending(), nil
}

// ExtraAttributes returns the typed attributes of the transport and every
// [Attribute].
func (s *Stream) ExtraAttributes() map[any]func() any { return s.attrs }

// Attribute holds the typed attributes of TLS streams (AnyIO's
// TLSAttribute); read them with anyio.Extra, e.g.
// anyio.Extra(stream, tlsstream.Attribute.ALPNProtocol).
var Attribute = struct {
	// ALPNProtocol is the protocol chosen by ALPN ("" if none).
	ALPNProtocol *anyio.TypedAttribute[string]
	// ChannelBindingTLSUnique is the "tls-unique" channel binding (RFC
	// 5929). TLS 1.3 has none: the attribute is absent then (Extra returns
	// an error matching anyio.ErrTypedAttributeLookup).
	ChannelBindingTLSUnique *anyio.TypedAttribute[[]byte]
	// Cipher is the cipher suite of the session; tls.CipherSuiteName names
	// it.
	Cipher *anyio.TypedAttribute[uint16]
	// PeerCertificate is the peer's leaf certificate (nil when the peer sent
	// none, as clients usually do).
	PeerCertificate *anyio.TypedAttribute[*x509.Certificate]
	// PeerCertificateBinary is the peer's leaf certificate in DER form (nil
	// when the peer sent none).
	PeerCertificateBinary *anyio.TypedAttribute[[]byte]
	// ServerSide reports whether this is the server end.
	ServerSide *anyio.TypedAttribute[bool]
	// SharedCiphers are the cipher suites that the client offered and that
	// the server's configuration supports (its Config.CipherSuites, or
	// those of tls.CipherSuites, and the TLS 1.3 suites), in the client's
	// order; nil on the client side.
	SharedCiphers *anyio.TypedAttribute[[]uint16]
	// ConnectionState is the state of crypto/tls's connection (AnyIO's
	// ssl_object): everything else there is to know.
	ConnectionState *anyio.TypedAttribute[tls.ConnectionState]
	// StandardCompatible reports the [StandardCompatible] setting.
	StandardCompatible *anyio.TypedAttribute[bool]
	// TLSVersion is the protocol version, e.g. tls.VersionTLS13;
	// tls.VersionName names it.
	TLSVersion *anyio.TypedAttribute[uint16]
}{
	ALPNProtocol:            anyio.NewTypedAttribute[string]("tlsstream.Attribute.ALPNProtocol"),
	ChannelBindingTLSUnique: anyio.NewTypedAttribute[[]byte]("tlsstream.Attribute.ChannelBindingTLSUnique"),
	Cipher:                  anyio.NewTypedAttribute[uint16]("tlsstream.Attribute.Cipher"),
	PeerCertificate:         anyio.NewTypedAttribute[*x509.Certificate]("tlsstream.Attribute.PeerCertificate"),
	PeerCertificateBinary:   anyio.NewTypedAttribute[[]byte]("tlsstream.Attribute.PeerCertificateBinary"),
	ServerSide:              anyio.NewTypedAttribute[bool]("tlsstream.Attribute.ServerSide"),
	SharedCiphers:           anyio.NewTypedAttribute[[]uint16]("tlsstream.Attribute.SharedCiphers"),
	ConnectionState:         anyio.NewTypedAttribute[tls.ConnectionState]("tlsstream.Attribute.ConnectionState"),
	StandardCompatible:      anyio.NewTypedAttribute[bool]("tlsstream.Attribute.StandardCompatible"),
	TLSVersion:              anyio.NewTypedAttribute[uint16]("tlsstream.Attribute.TLSVersion"),
}

// attributes builds the attribute map once the handshake is done.
func (s *Stream) attributes(cfg *tls.Config) map[any]func() any {
	st := s.tc.ConnectionState()
	own := map[any]func() any{
		Attribute.ALPNProtocol:       func() any { return st.NegotiatedProtocol },
		Attribute.Cipher:             func() any { return st.CipherSuite },
		Attribute.ServerSide:         func() any { return s.serverSide },
		Attribute.StandardCompatible: func() any { return s.standardCompatible },
		Attribute.TLSVersion:         func() any { return st.Version },
		Attribute.ConnectionState:    func() any { return s.tc.ConnectionState() },
		Attribute.PeerCertificate: func() any {
			if len(st.PeerCertificates) == 0 {
				return (*x509.Certificate)(nil)
			}
			return st.PeerCertificates[0]
		},
		Attribute.PeerCertificateBinary: func() any {
			if len(st.PeerCertificates) == 0 {
				return []byte(nil)
			}
			return st.PeerCertificates[0].Raw
		},
	}
	if st.Version < tls.VersionTLS13 && st.TLSUnique != nil {
		unique := st.TLSUnique
		own[Attribute.ChannelBindingTLSUnique] = func() any { return unique }
	}
	var shared []uint16
	if s.serverSide {
		shared = sharedCiphers(s.conn.clientCiphers, cfg)
	}
	own[Attribute.SharedCiphers] = func() any { return shared }
	return anyio.MergeAttributes(s.transport.ExtraAttributes(), own)
}

// sharedCiphers returns the suites of offered that the server supports.
func sharedCiphers(offered []uint16, cfg *tls.Config) []uint16 {
	supported := map[uint16]bool{}
	if cfg.CipherSuites != nil {
		for _, id := range cfg.CipherSuites {
			supported[id] = true
		}
	} else {
		for _, cs := range tls.CipherSuites() {
			supported[cs.ID] = true
		}
	}
	for _, cs := range tls.CipherSuites() {
		if len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13 {
			supported[cs.ID] = true
		}
	}
	shared := []uint16{}
	for _, id := range offered {
		if supported[id] {
			shared = append(shared, id)
		}
	}
	return shared
}
