package anyio

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// sockaddrAddrPort converts the address of a datagram's sender, as
// recvfrom(2) gives it, to a netip.AddrPort; an IPv6 scope becomes its zone
// (the interface's name, or its index when it has none).
func sockaddrAddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(zoneName(sa.ZoneId))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func zoneName(id uint32) string {
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}

// udpSockaddr converts a destination to the address sendto(2) takes on a
// socket of the given family: an IPv4 destination of an IPv6 socket is
// IPv4-mapped; an IPv6 destination of an IPv4 socket is an error (as it is
// for net.UDPConn).
func udpSockaddr(family AddressFamily, to netip.AddrPort) (syscall.Sockaddr, error) {
	a := to.Addr()
	if family == AFInet {
		if a.Is4In6() {
			a = a.Unmap()
		}
		if !a.Is4() {
			return nil, &net.AddrError{Err: "non-IPv4 address", Addr: a.String()}
		}
		return &syscall.SockaddrInet4{Port: int(to.Port()), Addr: a.As4()}, nil
	}
	sa := &syscall.SockaddrInet6{Port: int(to.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		} else {
			return nil, &net.AddrError{Err: "unknown IPv6 zone", Addr: a.String()}
		}
	}
	return sa, nil
}
