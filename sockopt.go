package anyio

import (
	"fmt"
	"io/fs"
	"time"
)

// The socket functions take AnyIO's keyword arguments as options. Each
// function, or each group of functions that takes the same keywords, has its
// own option type, so that an option that means nothing to a function does
// not compile: ConnectTCP(ctx, host, port, Backlog(5)) is a compile error.
// An option that several families share (LocalHost, LocalPort, Family,
// Backlog, ReusePort, Mode) returns a type that belongs to each of them.
//
// When an option is given twice, the last one wins; a nil option is ignored.
// A value out of range (a negative backlog, a port above 65535) makes the
// function return an error naming the option.

// ConnectTCPOption configures [ConnectTCP] (and tlsstream.Connect and
// [TCPConnectable], which connect with it): [LocalHost], [LocalPort],
// [HappyEyeballsDelay].
type ConnectTCPOption interface {
	socketOption
	connectTCPOption()
}

// TCPListenerOption configures [CreateTCPListener]: [LocalHost],
// [LocalPort], [Family], [Backlog], [ReusePort].
type TCPListenerOption interface {
	socketOption
	tcpListenerOption()
}

// UnixListenerOption configures [CreateUnixListener]: [Mode], [Backlog].
type UnixListenerOption interface {
	socketOption
	unixListenerOption()
}

// UDPSocketOption configures [CreateUDPSocket] and
// [CreateConnectedUDPSocket]: [LocalHost], [LocalPort], [Family],
// [ReusePort].
type UDPSocketOption interface {
	socketOption
	udpSocketOption()
}

// UnixDatagramSocketOption configures [CreateUnixDatagramSocket] and
// [CreateConnectedUnixDatagramSocket]: [LocalPath], [Mode].
type UnixDatagramSocketOption interface {
	socketOption
	unixDatagramSocketOption()
}

// AddrInfoOption configures [GetAddrInfo]: [Family], [SocketType].
type AddrInfoOption interface {
	socketOption
	addrInfoOption()
}

// socketOption is what every socket option does: record itself in the
// configuration of the function it was given to.
type socketOption interface{ applySocket(*socketConfig) }

// LocalHostOption is the option made by [LocalHost]. It serves
// [ConnectTCP], [CreateTCPListener], [CreateUDPSocket] and
// [CreateConnectedUDPSocket].
type LocalHostOption struct{ host string }

// LocalHost binds the socket to this local host name or IP address: the
// interface a listener or a UDP socket listens on, or the source address of
// a TCP connection ([ConnectTCP]) or a connected UDP socket.
func LocalHost(host string) LocalHostOption { return LocalHostOption{host} }

func (o LocalHostOption) applySocket(c *socketConfig) {
	c.set |= optLocalHost
	c.localHost = o.host
}
func (LocalHostOption) connectTCPOption()  {}
func (LocalHostOption) tcpListenerOption() {}
func (LocalHostOption) udpSocketOption()   {}

// LocalPortOption is the option made by [LocalPort]. It serves
// [ConnectTCP], [CreateTCPListener], [CreateUDPSocket] and
// [CreateConnectedUDPSocket].
type LocalPortOption struct{ port int }

// LocalPort binds the socket to this local port (0, the default, lets the
// system choose a free one). A port outside 0-65535 makes the function
// return an error.
func LocalPort(port int) LocalPortOption { return LocalPortOption{port} }

func (o LocalPortOption) applySocket(c *socketConfig) {
	if o.port < 0 || o.port > 65535 {
		c.fail("LocalPort(%d) is out of range 0-65535", o.port)
		return
	}
	c.set |= optLocalPort
	c.localPort = o.port
}
func (LocalPortOption) connectTCPOption()  {}
func (LocalPortOption) tcpListenerOption() {}
func (LocalPortOption) udpSocketOption()   {}

// FamilyOption is the option made by [Family]. It serves
// [CreateTCPListener], [CreateUDPSocket], [CreateConnectedUDPSocket] and
// [GetAddrInfo].
type FamilyOption struct{ family AddressFamily }

// Family restricts the socket, or the addresses that [GetAddrInfo] returns,
// to one address family: [AFInet] or [AFInet6] ([AFUnspec], the default,
// allows both). Any other family makes the function return an error.
func Family(f AddressFamily) FamilyOption { return FamilyOption{f} }

func (o FamilyOption) applySocket(c *socketConfig) {
	if o.family != AFUnspec && o.family != AFInet && o.family != AFInet6 {
		c.fail("Family(%v): only AFUnspec, AFInet and AFInet6 are allowed", o.family)
		return
	}
	c.set |= optFamily
	c.family = o.family
}
func (FamilyOption) tcpListenerOption() {}
func (FamilyOption) udpSocketOption()   {}
func (FamilyOption) addrInfoOption()    {}

// BacklogOption is the option made by [Backlog]. It serves
// [CreateTCPListener] and [CreateUnixListener].
type BacklogOption struct{ n int }

// Backlog sets the length of a listener's queue of connections not yet
// accepted. It is capped at 65536 (and by the system, at
// /proc/sys/net/core/somaxconn on Linux); the default is the system's
// maximum. A negative backlog makes the function return an error.
func Backlog(n int) BacklogOption { return BacklogOption{n} }

func (o BacklogOption) applySocket(c *socketConfig) {
	if o.n < 0 {
		c.fail("Backlog(%d) must not be negative", o.n)
		return
	}
	c.set |= optBacklog
	c.backlog = min(o.n, maxBacklog)
}
func (BacklogOption) tcpListenerOption()  {}
func (BacklogOption) unixListenerOption() {}

// ReusePortOption is the option made by [ReusePort]. It serves
// [CreateTCPListener], [CreateUDPSocket] and [CreateConnectedUDPSocket].
type ReusePortOption struct{}

// ReusePort sets SO_REUSEPORT, so that several sockets can bind the same
// address and port (the system balances connections or datagrams among
// them). Where the system lacks it, the function fails.
func ReusePort() ReusePortOption { return ReusePortOption{} }

func (ReusePortOption) applySocket(c *socketConfig) {
	c.set |= optReusePort
	c.reusePort = true
}
func (ReusePortOption) tcpListenerOption() {}
func (ReusePortOption) udpSocketOption()   {}

// ModeOption is the option made by [Mode]. It serves [CreateUnixListener],
// [CreateUnixDatagramSocket] and [CreateConnectedUnixDatagramSocket].
type ModeOption struct{ perm fs.FileMode }

// Mode sets the permission bits of a UNIX socket's file after it is bound.
func Mode(perm fs.FileMode) ModeOption { return ModeOption{perm} }

func (o ModeOption) applySocket(c *socketConfig) {
	c.set |= optMode
	c.mode = o.perm
}
func (ModeOption) unixListenerOption()       {}
func (ModeOption) unixDatagramSocketOption() {}

// HappyEyeballsDelay is how long [ConnectTCP] waits for a connection attempt
// before it starts the next one in parallel (RFC 8305's "Connection Attempt
// Delay"); the default is 250 ms. A zero or negative delay starts every
// attempt at once.
func HappyEyeballsDelay(d time.Duration) ConnectTCPOption { return happyEyeballsDelay(d) }

type happyEyeballsDelay time.Duration

func (d happyEyeballsDelay) applySocket(c *socketConfig) {
	c.set |= optHappyEyeballsDelay
	c.happyEyeballsDelay = time.Duration(d)
}
func (happyEyeballsDelay) connectTCPOption() {}

// LocalPath binds a UNIX datagram socket to this path (a name starting with
// "@" or a NUL byte is in Linux's abstract namespace). A stale socket file at
// the path is removed first. An empty path makes the function return an
// error.
func LocalPath(path string) UnixDatagramSocketOption { return localPath(path) }

type localPath string

func (p localPath) applySocket(c *socketConfig) {
	if p == "" {
		c.fail("LocalPath needs a non-empty path")
		return
	}
	c.set |= optLocalPath
	c.localPath = string(p)
}
func (localPath) unixDatagramSocketOption() {}

// SocketType restricts [GetAddrInfo] to one socket type, such as
// syscall.SOCK_STREAM or syscall.SOCK_DGRAM (getaddrinfo's type argument).
// The default, 0, returns an entry for each of SOCK_STREAM, SOCK_DGRAM and
// SOCK_RAW, as getaddrinfo(3) does.
func SocketType(t int) AddrInfoOption { return socketType(t) }

type socketType int

func (t socketType) applySocket(c *socketConfig) {
	c.set |= optSocketType
	c.sockType = int(t)
}
func (socketType) addrInfoOption() {}

// sockOptKind records which options were given.
type sockOptKind uint16

const (
	optLocalHost sockOptKind = 1 << iota
	optLocalPort
	optFamily
	optBacklog
	optReusePort
	optMode
	optHappyEyeballsDelay
	optLocalPath
	optSocketType
)

// socketConfig is the result of applying the options that a function
// accepts.
type socketConfig struct {
	fn                 string // the function, for error messages
	err                error  // the first bad option value
	set                sockOptKind
	localHost          string
	localPort          int
	family             AddressFamily
	backlog            int
	reusePort          bool
	mode               fs.FileMode
	happyEyeballsDelay time.Duration
	localPath          string
	sockType           int
}

func (c *socketConfig) has(k sockOptKind) bool { return c.set&k != 0 }

// fail records a bad option value; the first one is reported.
func (c *socketConfig) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("anyio: %s: "+format, append([]any{c.fn}, args...)...)
	}
}

const defaultHappyEyeballsDelay = 250 * time.Millisecond

// maxBacklog is AnyIO's cap on a listener's backlog.
const maxBacklog = 65536

// applySocketOptions applies opts for the function fn and returns the first
// bad option value as an error.
func applySocketOptions[O socketOption](fn string, opts []O) (socketConfig, error) {
	cfg := socketConfig{fn: fn, happyEyeballsDelay: defaultHappyEyeballsDelay}
	for _, o := range opts {
		if any(o) != nil {
			o.applySocket(&cfg)
		}
	}
	return cfg, cfg.err
}
