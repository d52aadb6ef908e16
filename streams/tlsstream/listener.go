package tlsstream

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/internal/core"
)

// DefaultHandshakeTimeout is how long a [Listener] gives each client to
// complete the TLS handshake, unless [HandshakeTimeout] says otherwise.
const DefaultHandshakeTimeout = 30 * time.Second

type listenerOptions struct {
	standardCompatible bool
	handshakeTimeout   time.Duration
	onError            func(ctx context.Context, err error, stream anyio.ByteStream)
}

type listenerOptionFunc func(*listenerOptions)

func (f listenerOptionFunc) applyListener(o *listenerOptions) { f(o) }

// HandshakeTimeout bounds the TLS handshake of each connection of a
// [Listener] (default [DefaultHandshakeTimeout]); a client that has not
// completed it in time is dropped as a handshake error. Zero or less means
// no limit.
func HandshakeTimeout(d time.Duration) ListenerOption {
	return listenerOptionFunc(func(o *listenerOptions) { o.handshakeTimeout = d })
}

// HandshakeErrorHandler replaces [HandleHandshakeError] as what a
// [Listener] does with a connection whose handshake failed: fn gets the
// error and the transport stream, which it must close. It runs in the
// connection's task. A handler can call HandleHandshakeError itself to
// keep the default behaviour and add to it (AnyIO's subclass overriding
// handle_handshake_error).
func HandshakeErrorHandler(fn func(ctx context.Context, err error, stream anyio.ByteStream)) ListenerOption {
	return listenerOptionFunc(func(o *listenerOptions) { o.onError = fn })
}

// HandleHandshakeError is what a [Listener] does by default with a
// connection whose TLS handshake failed or timed out (AnyIO's
// TLSListener.handle_handshake_error): it closes stream forcefully and,
// unless err is a cancellation, logs the error at level Error through
// slog.Default(), with the peer's address when the stream has one. It does
// not block.
func HandleHandshakeError(ctx context.Context, err error, stream anyio.ByteStream) {
	anyio.CloseForcefully(stream)
	if core.IsCancellation(err) {
		return
	}
	attrs := []any{slog.Any("error", err)}
	if addr, aerr := anyio.Extra[net.Addr](stream, anyio.SocketAttribute.RemoteAddress); aerr == nil && addr != nil {
		attrs = append(attrs, slog.String("remote", addr.String()))
	}
	slog.Default().ErrorContext(ctx, "anyio: error during TLS handshake", attrs...)
}

// Listener wraps a listener of byte streams and performs a TLS handshake
// as the server on every connection it accepts, handing the handlers of
// Serve ready [Stream]s (AnyIO's TLSListener).
//
// A connection whose handshake fails, or takes longer than the
// [HandshakeTimeout], never reaches the handler: it goes to the
// [HandshakeErrorHandler] ([HandleHandshakeError] by default, which closes
// it and logs the error through log/slog), and the listener goes on.
//
// The listener offers the typed attributes of the listener it wraps and
// Attribute.StandardCompatible.
type Listener struct {
	serve              func(ctx context.Context, handler func(ctx context.Context, s anyio.ByteStream) error, tg *anyio.TaskGroup) error
	inner              anyio.AsyncResource
	innerAttrs         func() map[any]func() any
	config             *tls.Config
	standardCompatible bool
	handshakeTimeout   time.Duration
	onError            func(ctx context.Context, err error, stream anyio.ByteStream)
}

var _ anyio.Listener[*Stream] = (*Listener)(nil)

// NewListener returns a listener that performs TLS handshakes with cfg (which
// needs a server certificate) on the connections of l. Options:
// [HandshakeTimeout], [StandardCompatible] (for the streams it makes) and
// [HandshakeErrorHandler].
func NewListener[T anyio.ByteStream](l anyio.Listener[T], cfg *tls.Config, opts ...ListenerOption) *Listener {
	o := listenerOptions{standardCompatible: true, handshakeTimeout: DefaultHandshakeTimeout, onError: HandleHandshakeError}
	for _, opt := range opts {
		if opt != nil {
			opt.applyListener(&o)
		}
	}
	if o.onError == nil {
		o.onError = HandleHandshakeError
	}
	return &Listener{
		serve: func(ctx context.Context, handler func(ctx context.Context, s anyio.ByteStream) error, tg *anyio.TaskGroup) error {
			return l.Serve(ctx, func(ctx context.Context, s T) error { return handler(ctx, s) }, tg)
		},
		inner:              l,
		innerAttrs:         l.ExtraAttributes,
		config:             cfg,
		standardCompatible: o.standardCompatible,
		handshakeTimeout:   o.handshakeTimeout,
		onError:            o.onError,
	}
}

// Serve serves the wrapped listener (see anyio.Listener): for each
// connection, in the connection's own task, it performs the handshake and
// then calls handler with the TLS stream, which the handler owns. It
// returns when the wrapped listener's Serve returns: once ctx is cancelled,
// or when the listener or a handler fails. Over an anyio socket listener it
// thus rides out running out of descriptors (see anyio.SocketListener).
func (l *Listener) Serve(ctx context.Context, handler func(ctx context.Context, stream *Stream) error, tg *anyio.TaskGroup) error {
	return l.serve(ctx, func(ctx context.Context, transport anyio.ByteStream) error {
		s, err := l.handshake(ctx, transport)
		if err != nil {
			l.onError(ctx, err, transport)
			if core.IsCancellation(err) && ctx.Err() != nil {
				return err
			}
			return nil
		}
		return handler(ctx, s)
	}, tg)
}

func (l *Listener) handshake(ctx context.Context, transport anyio.ByteStream) (*Stream, error) {
	opts := []Option{ServerSide(true), Config(l.config), StandardCompatible(l.standardCompatible)}
	if l.handshakeTimeout <= 0 {
		return Wrap(ctx, transport, opts...)
	}
	var s *Stream
	err := anyio.FailAfter(l.handshakeTimeout).Run(ctx, func(ctx context.Context) error {
		var err error
		s, err = Wrap(ctx, transport, opts...)
		return err
	})
	return s, err
}

// Close closes the wrapped listener.
func (l *Listener) Close(ctx context.Context) error { return l.inner.Close(ctx) }

// ExtraAttributes returns the wrapped listener's typed attributes and
// Attribute.StandardCompatible.
func (l *Listener) ExtraAttributes() map[any]func() any {
	sc := l.standardCompatible
	return anyio.MergeAttributes(l.innerAttrs(), map[any]func() any{
		Attribute.StandardCompatible: func() any { return sc },
	})
}
