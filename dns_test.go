package anyio_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestGetAddrInfo(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		got, err := anyio.GetAddrInfo(ctx, "127.0.0.1", 80)
		if err != nil {
			return err
		}
		want := []anyio.AddrInfo{
			{Family: anyio.AFInet, Type: syscall.SOCK_STREAM, Proto: syscall.IPPROTO_TCP, Addr: netip.MustParseAddrPort("127.0.0.1:80")},
			{Family: anyio.AFInet, Type: syscall.SOCK_DGRAM, Proto: syscall.IPPROTO_UDP, Addr: netip.MustParseAddrPort("127.0.0.1:80")},
			{Family: anyio.AFInet, Type: syscall.SOCK_RAW, Proto: 0, Addr: netip.MustParseAddrPort("127.0.0.1:80")},
		}
		if !slices.Equal(got, want) {
			t.Errorf("GetAddrInfo(127.0.0.1, 80) = %v, want %v", got, want)
		}
		// An IPv6 address is returned as it is, not pushed through IDNA.
		for _, typ := range []int{syscall.SOCK_STREAM, syscall.SOCK_DGRAM} {
			got, err = anyio.GetAddrInfo(ctx, "::1", 0, anyio.SocketType(typ))
			if err != nil {
				return err
			}
			proto := syscall.IPPROTO_TCP
			if typ == syscall.SOCK_DGRAM {
				proto = syscall.IPPROTO_UDP
			}
			want := []anyio.AddrInfo{{Family: anyio.AFInet6, Type: typ, Proto: proto, Addr: netip.MustParseAddrPort("[::1]:0")}}
			if !slices.Equal(got, want) {
				t.Errorf("GetAddrInfo(::1, SocketType(%d)) = %v, want %v", typ, got, want)
			}
		}
		got, err = anyio.GetAddrInfo(ctx, "localhost", 443, anyio.Family(anyio.AFInet), anyio.SocketType(syscall.SOCK_STREAM))
		if err != nil {
			return err
		}
		found := false
		for _, ai := range got {
			if ai.Family != anyio.AFInet || !ai.Addr.Addr().Is4() || ai.Addr.Port() != 443 {
				t.Errorf("GetAddrInfo(localhost, AFInet) gave %v", ai)
			}
			found = found || ai.Addr.Addr() == netip.MustParseAddr("127.0.0.1")
		}
		if !found {
			t.Errorf("GetAddrInfo(localhost) = %v, without 127.0.0.1", got)
		}
		if _, err := anyio.GetAddrInfo(ctx, "127.0.0.1", 80, anyio.Family(anyio.AFInet6)); err == nil {
			t.Error("GetAddrInfo of an IPv4 address with Family(AFInet6) succeeded")
		}
		if _, err := anyio.GetAddrInfo(ctx, "127.0.0.1", 80, anyio.Family(anyio.AFUnix)); err == nil {
			t.Error("GetAddrInfo accepted Family(AFUnix)")
		}
		if _, err := anyio.GetAddrInfo(ctx, "127.0.0.1", 70000); err == nil {
			t.Error("GetAddrInfo accepted port 70000")
		}
		return nil
	})
}

func TestGetAddrInfoIDNA(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		// Names that IDNA 2008 rejects fail before any lookup.
		for _, name := range []string{"-bücher.de", "bü cher.de", "ab--ü.de"} {
			_, err := anyio.GetAddrInfo(ctx, name, 80)
			if err == nil || !strings.Contains(err.Error(), "IDNA") {
				t.Errorf("GetAddrInfo(%q) = %v, want an IDNA error", name, err)
			}
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) {
				t.Errorf("GetAddrInfo(%q) asked the resolver: %v", name, err)
			}
		}
		return nil
	})
}

func TestGetAddrInfoCancelled(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		scope := anyio.NewCancelScope()
		scope.Cancel()
		return scope.Run(ctx, func(ctx context.Context) error {
			_, err := anyio.GetAddrInfo(ctx, "localhost", 80)
			skWantErr(t, "GetAddrInfo in a cancelled scope", err, anyio.ErrCancelled)
			_, _, err = anyio.GetNameInfo(ctx, "127.0.0.1", 80, 0)
			skWantErr(t, "GetNameInfo in a cancelled scope", err, anyio.ErrCancelled)
			return nil
		})
	})
}

func TestGetNameInfo(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		names, err := net.DefaultResolver.LookupAddr(ctx, "127.0.0.1")
		if err != nil || len(names) == 0 {
			t.Skipf("127.0.0.1 has no name on this machine (%v)", err)
		}
		wantHost := strings.TrimSuffix(names[0], ".")
		for _, tc := range []struct {
			port, flags   int
			host, service string
		}{
			{6666, 0, wantHost, "6666"},
			{80, 0, wantHost, "http"},
			{53, anyio.NIDgram, wantHost, "domain"},
			{80, anyio.NINumericHost, "127.0.0.1", "http"},
			{80, anyio.NINumericServ, wantHost, "80"},
			{80, anyio.NINumericHost | anyio.NINumericServ, "127.0.0.1", "80"},
		} {
			host, service, err := anyio.GetNameInfo(ctx, "127.0.0.1", tc.port, tc.flags)
			if err != nil || host != tc.host || service != tc.service {
				t.Errorf("GetNameInfo(127.0.0.1, %d, %#x) = %q, %q, %v; want %q, %q", tc.port, tc.flags, host, service, err, tc.host, tc.service)
			}
		}
		if _, _, err := anyio.GetNameInfo(ctx, "localhost", 80, 0); err == nil {
			t.Error("GetNameInfo of a host name (not an address) succeeded")
		}
		return nil
	})
}
