package anyio

import (
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// SocketOption configures one of the socket functions: [ConnectTCP],
// [CreateTCPListener], [CreateUnixListener], [CreateUDPSocket],
// [CreateConnectedUDPSocket], [CreateUnixDatagramSocket],
// [CreateConnectedUnixDatagramSocket], [GetAddrInfo] and tlsstream.Connect.
// They are AnyIO's keyword arguments.
//
// Each function accepts only the options that mean something to it and
// returns an error naming any other: an option is never silently ignored.
// When an option is given twice, the last one wins.
type SocketOption struct {
	kind sockOptKind
	str  string
	num  int
	dur  time.Duration
	mode fs.FileMode
}

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

func (k sockOptKind) String() string {
	switch k {
	case optLocalHost:
		return "LocalHost"
	case optLocalPort:
		return "LocalPort"
	case optFamily:
		return "Family"
	case optBacklog:
		return "Backlog"
	case optReusePort:
		return "ReusePort"
	case optMode:
		return "Mode"
	case optHappyEyeballsDelay:
		return "HappyEyeballsDelay"
	case optLocalPath:
		return "LocalPath"
	case optSocketType:
		return "SocketType"
	}
	return fmt.Sprintf("SocketOption(%d)", uint16(k))
}

// LocalHost binds the socket to this local host name or IP address: the
// interface a listener or a UDP socket listens on, or the source address of
// a TCP connection ([ConnectTCP]) or a connected UDP socket.
func LocalHost(host string) SocketOption { return SocketOption{kind: optLocalHost, str: host} }

// LocalPort binds the socket to this local port (0, the default, lets the
// system choose a free one).
func LocalPort(port int) SocketOption { return SocketOption{kind: optLocalPort, num: port} }

// Family restricts the socket, or the addresses that [GetAddrInfo] returns,
// to one address family: [AFInet] or [AFInet6] ([AFUnspec], the default,
// allows both).
func Family(f AddressFamily) SocketOption { return SocketOption{kind: optFamily, num: int(f)} }

// Backlog sets the length of a listener's queue of connections not yet
// accepted. It is capped at 65536 (and by the system, at
// /proc/sys/net/core/somaxconn on Linux); the default is the system's maximum.
func Backlog(n int) SocketOption { return SocketOption{kind: optBacklog, num: n} }

// ReusePort sets SO_REUSEPORT, so that several sockets can bind the same
// address and port (the system balances connections or datagrams among
// them). Where the system lacks it, the function fails.
func ReusePort() SocketOption { return SocketOption{kind: optReusePort} }

// Mode sets the permission bits of a UNIX socket's file after it is bound.
func Mode(perm fs.FileMode) SocketOption { return SocketOption{kind: optMode, mode: perm} }

// HappyEyeballsDelay is how long [ConnectTCP] waits for a connection attempt
// before it starts the next one in parallel (RFC 8305's "Connection Attempt
// Delay"); the default is 250 ms. A zero or negative delay starts every
// attempt at once.
func HappyEyeballsDelay(d time.Duration) SocketOption {
	return SocketOption{kind: optHappyEyeballsDelay, dur: d}
}

// LocalPath binds a UNIX datagram socket to this path (a name starting with
// "@" or a NUL byte is in Linux's abstract namespace). A stale socket file at
// the path is removed first.
func LocalPath(path string) SocketOption { return SocketOption{kind: optLocalPath, str: path} }

// SocketType restricts [GetAddrInfo] to one socket type, such as
// syscall.SOCK_STREAM or syscall.SOCK_DGRAM (getaddrinfo's type argument).
// The default, 0, returns an entry for each of SOCK_STREAM, SOCK_DGRAM and
// SOCK_RAW, as getaddrinfo(3) does.
func SocketType(t int) SocketOption { return SocketOption{kind: optSocketType, num: t} }

// socketConfig is the result of applying the options that a function
// accepts.
type socketConfig struct {
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

const defaultHappyEyeballsDelay = 250 * time.Millisecond

// maxBacklog is AnyIO's cap on a listener's backlog.
const maxBacklog = 65536

// applySocketOptions applies opts for the function fn, which accepts the
// options in allowed, and checks their values.
func applySocketOptions(fn string, allowed sockOptKind, opts []SocketOption) (socketConfig, error) {
	cfg := socketConfig{happyEyeballsDelay: defaultHappyEyeballsDelay}
	var bad []string
	for _, o := range opts {
		if o.kind == 0 {
			return cfg, fmt.Errorf("anyio: %s: the zero SocketOption is not an option; use LocalHost, LocalPort, ...", fn)
		}
		if allowed&o.kind == 0 {
			bad = append(bad, o.kind.String())
			continue
		}
		cfg.set |= o.kind
		switch o.kind {
		case optLocalHost:
			cfg.localHost = o.str
		case optLocalPort:
			if o.num < 0 || o.num > 65535 {
				return cfg, fmt.Errorf("anyio: %s: LocalPort(%d) is out of range 0-65535", fn, o.num)
			}
			cfg.localPort = o.num
		case optFamily:
			f := AddressFamily(o.num)
			if f != AFUnspec && f != AFInet && f != AFInet6 {
				return cfg, fmt.Errorf("anyio: %s: Family(%v): only AFUnspec, AFInet and AFInet6 are allowed", fn, f)
			}
			cfg.family = f
		case optBacklog:
			if o.num < 0 {
				return cfg, fmt.Errorf("anyio: %s: Backlog(%d) must not be negative", fn, o.num)
			}
			cfg.backlog = min(o.num, maxBacklog)
		case optReusePort:
			cfg.reusePort = true
		case optMode:
			cfg.mode = o.mode
		case optHappyEyeballsDelay:
			cfg.happyEyeballsDelay = o.dur
		case optLocalPath:
			if o.str == "" {
				return cfg, fmt.Errorf("anyio: %s: LocalPath needs a non-empty path", fn)
			}
			cfg.localPath = o.str
		case optSocketType:
			cfg.sockType = o.num
		}
	}
	if len(bad) > 0 {
		return cfg, fmt.Errorf("anyio: %s does not take the option(s) %s", fn, strings.Join(bad, ", "))
	}
	return cfg, nil
}
