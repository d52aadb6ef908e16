package anyio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/idna"

	"github.com/anyio-go/anyio/internal/core"
)

// AddrInfo is one result of [GetAddrInfo] (one tuple of Python's
// socket.getaddrinfo).
type AddrInfo struct {
	// Family is AFInet or AFInet6.
	Family AddressFamily
	// Type is the socket type: syscall.SOCK_STREAM, SOCK_DGRAM or SOCK_RAW.
	Type int
	// Proto is the protocol: syscall.IPPROTO_TCP for SOCK_STREAM,
	// IPPROTO_UDP for SOCK_DGRAM, 0 for SOCK_RAW.
	Proto int
	// CanonName is the canonical name of the host; it is always empty, as
	// it is for getaddrinfo without the AI_CANONNAME flag.
	CanonName string
	// Addr is the address and the port. An IPv4 address is a plain 4-byte
	// address, never an IPv4-mapped IPv6 one; an IPv6 address keeps its zone.
	Addr netip.AddrPort
}

// GetAddrInfo resolves host to the addresses that a socket of the given port
// can connect to or bind (AnyIO's getaddrinfo). An IP address is returned as
// it is, without a lookup. A host name that is not ASCII is encoded with IDNA
// 2008 (UTS #46 processing, non-transitional: "faß.de" becomes
// "xn--fa-hia.de", not "fass.de", as IDNA 2003 would have it); a name that
// IDNA rejects is an error. ASCII names are passed on unchanged.
//
// Options: [Family] keeps the addresses of one family; [SocketType] keeps
// the entries of one socket type (by default each address appears with
// SOCK_STREAM, SOCK_DGRAM and SOCK_RAW, as with getaddrinfo(3)). A family
// other than AFUnspec, AFInet or AFInet6 is an error.
//
// GetAddrInfo blocks on the system's resolver (Go's net.Resolver) and returns
// a cancellation error promptly once ctx is cancelled. A host that does not
// resolve gives the resolver's *net.DNSError.
func GetAddrInfo(ctx context.Context, host string, port int, opts ...AddrInfoOption) ([]AddrInfo, error) {
	cfg, err := applySocketOptions("GetAddrInfo", opts)
	if err != nil {
		return nil, err
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("anyio: GetAddrInfo: port %d is out of range 0-65535", port)
	}
	types := []int{syscall.SOCK_STREAM, syscall.SOCK_DGRAM, syscall.SOCK_RAW}
	switch cfg.sockType {
	case 0:
	case syscall.SOCK_STREAM, syscall.SOCK_DGRAM, syscall.SOCK_RAW:
		types = []int{cfg.sockType}
	default:
		return nil, fmt.Errorf("anyio: GetAddrInfo: unsupported socket type %d", cfg.sockType)
	}
	addrs, err := resolveIP(ctx, host, cfg.family)
	if err != nil {
		return nil, err
	}
	out := make([]AddrInfo, 0, len(addrs)*len(types))
	for _, a := range addrs {
		fam := AFInet6
		if a.Is4() {
			fam = AFInet
		}
		for _, t := range types {
			proto := 0
			switch t {
			case syscall.SOCK_STREAM:
				proto = syscall.IPPROTO_TCP
			case syscall.SOCK_DGRAM:
				proto = syscall.IPPROTO_UDP
			}
			out = append(out, AddrInfo{Family: fam, Type: t, Proto: proto, Addr: netip.AddrPortFrom(a, uint16(port))})
		}
	}
	return out, nil
}

// encodeHost returns the name to give the resolver for host: host itself when
// it is ASCII, its IDNA 2008 encoding otherwise.
func encodeHost(host string) (string, error) {
	ascii := true
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return host, nil
	}
	enc, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("anyio: host name %q is not a valid internationalized domain name (IDNA 2008): %w", host, err)
	}
	return enc, nil
}

// parseIP parses an IP address literal, with an optional zone and, for
// IPv6, optional brackets. IPv4-mapped IPv6 addresses are unmapped.
func parseIP(host string) (netip.Addr, bool) {
	h := host
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, false
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	return a, true
}

// resolveIP resolves host to IP addresses of family (AFUnspec: any), in the
// resolver's order, without duplicates.
func resolveIP(ctx context.Context, host string, family AddressFamily) ([]netip.Addr, error) {
	if host == "" {
		return nil, errors.New("anyio: an empty host name cannot be resolved")
	}
	if a, ok := parseIP(host); ok {
		if !familyMatches(a, family) {
			return nil, fmt.Errorf("anyio: address %s is not of family %v", a, family)
		}
		return []netip.Addr{a}, nil
	}
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	name, err := encodeHost(host)
	if err != nil {
		return nil, err
	}
	network := "ip"
	switch family {
	case AFInet:
		network = "ip4"
	case AFInet6:
		network = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(noDeadline{ctx}, network, name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, core.CancelErr(ctx)
		}
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ips))
	seen := make(map[netip.Addr]bool, len(ips))
	for _, a := range ips {
		if a.Is4In6() {
			a = a.Unmap()
		}
		if seen[a] || !familyMatches(a, family) {
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no suitable address found", Name: host, IsNotFound: true}
	}
	return out, nil
}

func familyMatches(a netip.Addr, f AddressFamily) bool {
	switch f {
	case AFInet:
		return a.Is4()
	case AFInet6:
		return a.Is6()
	}
	return true
}

// The flags of [GetNameInfo], with the values of getnameinfo(3) on Linux.
const (
	// NINumericHost returns the numeric form of the address, without a
	// lookup.
	NINumericHost = 1
	// NINumericServ returns the port as a number, not a service name.
	NINumericServ = 2
	// NINoFQDN returns only the first label of a host name found.
	NINoFQDN = 4
	// NINameReqd makes a host without a name an error.
	NINameReqd = 8
	// NIDgram looks the port up among the UDP services rather than TCP.
	NIDgram = 16
)

// GetNameInfo looks up the host name of an IP address and the service name
// of a port (AnyIO's getnameinfo). host must be an IP address. flags combine
// [NINumericHost], [NINumericServ], [NINoFQDN], [NINameReqd] and [NIDgram].
// Without a name for the address, the numeric address is returned (or, with
// NINameReqd, an error); without a service name for the port (looked up in
// /etc/services), the number.
//
// GetNameInfo blocks on the system's resolver and returns a cancellation
// error promptly once ctx is cancelled.
func GetNameInfo(ctx context.Context, host string, port int, flags int) (hostname, service string, err error) {
	a, ok := parseIP(host)
	if !ok {
		return "", "", fmt.Errorf("anyio: GetNameInfo: %q is not an IP address", host)
	}
	if port < 0 || port > 65535 {
		return "", "", fmt.Errorf("anyio: GetNameInfo: port %d is out of range 0-65535", port)
	}
	if ctx.Err() != nil {
		return "", "", core.CancelErr(ctx)
	}
	hostname = a.String()
	if flags&NINumericHost == 0 {
		names, lerr := net.DefaultResolver.LookupAddr(noDeadline{ctx}, a.String())
		switch {
		case ctx.Err() != nil:
			return "", "", core.CancelErr(ctx)
		case lerr == nil && len(names) > 0:
			hostname = strings.TrimSuffix(names[0], ".")
			if flags&NINoFQDN != 0 {
				hostname, _, _ = strings.Cut(hostname, ".")
			}
		case flags&NINameReqd != 0:
			if lerr == nil {
				lerr = &net.DNSError{Err: "no name for the address", Name: a.String(), IsNotFound: true}
			}
			return "", "", lerr
		}
	}
	service = strconv.Itoa(port)
	if flags&NINumericServ == 0 {
		proto := "tcp"
		if flags&NIDgram != 0 {
			proto = "udp"
		}
		if name, ok := serviceName(port, proto); ok {
			service = name
		}
	}
	return hostname, service, nil
}

// serviceName looks port/proto up in /etc/services.
func serviceName(port int, proto string) (string, bool) {
	f, err := os.Open("/etc/services")
	if err != nil {
		return "", false
	}
	defer f.Close()
	want := strconv.Itoa(port) + "/" + proto
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] == want {
			return fields[0], true
		}
	}
	return "", false
}

// noDeadline hides the deadline of a context from package net, which would
// turn it into a timeout of its own (an "i/o timeout" error) that can fire
// before the context itself is done. With it, net stops when the context is
// done, and the caller reports the cancellation.
type noDeadline struct{ context.Context }

func (noDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }
