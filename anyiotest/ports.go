package anyiotest

import (
	"net"
	"sync"
	"testing"
)

// handedOut remembers the ports given out, so that a test binary never gets
// the same one twice.
var handedOut struct {
	sync.Mutex
	tcp, udp map[int]bool
}

// FreeTCPPort returns a TCP port that was free on every interface (IPv4 and
// IPv6) a moment ago, for a test that needs a port number before it binds
// (AnyIO's free_tcp_port fixture). Within one test binary it never returns
// the same port twice. Another process may still take the port in between:
// prefer binding port 0 where the API allows it.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	return freePort(t, "tcp")
}

// FreeUDPPort is [FreeTCPPort] for UDP.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	return freePort(t, "udp")
}

func freePort(t testing.TB, network string) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.tcp == nil {
		handedOut.tcp, handedOut.udp = map[int]bool{}, map[int]bool{}
	}
	seen := handedOut.tcp
	if network == "udp" {
		seen = handedOut.udp
	}
	for range 1000 {
		var port int
		if network == "tcp" {
			l, err := net.Listen("tcp", ":0")
			if err != nil {
				t.Fatalf("anyiotest.FreeTCPPort: %v", err)
			}
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
		} else {
			c, err := net.ListenPacket("udp", ":0")
			if err != nil {
				t.Fatalf("anyiotest.FreeUDPPort: %v", err)
			}
			port = c.LocalAddr().(*net.UDPAddr).Port
			c.Close()
		}
		if !seen[port] {
			seen[port] = true
			return port
		}
	}
	t.Fatalf("anyiotest: no %s port that was not handed out already", network)
	return 0
}
