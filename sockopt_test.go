package anyio_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

// A socket option whose value is out of range is an error from the function
// it was given to, naming the function and the option; nothing is created.
// (An option that means nothing to a function does not compile: see
// options_compile_test.go.)
func TestSocketOptionBadValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want string
	}{
		{"ConnectTCP/LocalPort(70000)", func(ctx context.Context) error {
			_, err := anyio.ConnectTCP(ctx, "127.0.0.1", 1, anyio.LocalPort(70000))
			return err
		}, "anyio: ConnectTCP: LocalPort(70000) is out of range"},
		{"CreateTCPListener/LocalPort(-1)", func(ctx context.Context) error {
			_, err := anyio.CreateTCPListener(ctx, anyio.LocalPort(-1))
			return err
		}, "anyio: CreateTCPListener: LocalPort(-1) is out of range"},
		{"CreateTCPListener/Backlog(-1)", func(ctx context.Context) error {
			_, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"), anyio.Backlog(-1))
			return err
		}, "anyio: CreateTCPListener: Backlog(-1) must not be negative"},
		{"CreateTCPListener/Family(AFUnix)", func(ctx context.Context) error {
			_, err := anyio.CreateTCPListener(ctx, anyio.Family(anyio.AFUnix))
			return err
		}, "anyio: CreateTCPListener: Family("},
		{"CreateTCPListener/first bad value", func(ctx context.Context) error {
			_, err := anyio.CreateTCPListener(ctx, anyio.Backlog(-2), anyio.LocalPort(-3))
			return err
		}, "Backlog(-2)"},
		{"CreateTCPListener/bad value given first, good value last", func(ctx context.Context) error {
			_, err := anyio.CreateTCPListener(ctx, anyio.Backlog(-2), anyio.Backlog(5))
			return err
		}, "Backlog(-2)"},
		{"CreateUnixListener/Backlog(-1)", func(ctx context.Context) error {
			_, err := anyio.CreateUnixListener(ctx, path, anyio.Backlog(-1))
			return err
		}, "anyio: CreateUnixListener: Backlog(-1) must not be negative"},
		{"CreateUDPSocket/LocalPort(65536)", func(ctx context.Context) error {
			_, err := anyio.CreateUDPSocket(ctx, anyio.LocalPort(65536))
			return err
		}, "anyio: CreateUDPSocket: LocalPort(65536) is out of range"},
		{"CreateConnectedUDPSocket/Family(AFUnix)", func(ctx context.Context) error {
			_, err := anyio.CreateConnectedUDPSocket(ctx, "127.0.0.1", 9, anyio.Family(anyio.AFUnix))
			return err
		}, "anyio: CreateConnectedUDPSocket: Family("},
		{"CreateUnixDatagramSocket/LocalPath(empty)", func(ctx context.Context) error {
			_, err := anyio.CreateUnixDatagramSocket(ctx, anyio.LocalPath(""))
			return err
		}, "anyio: CreateUnixDatagramSocket: LocalPath needs a non-empty path"},
		{"CreateConnectedUnixDatagramSocket/LocalPath(empty)", func(ctx context.Context) error {
			_, err := anyio.CreateConnectedUnixDatagramSocket(ctx, path, anyio.LocalPath(""))
			return err
		}, "anyio: CreateConnectedUnixDatagramSocket: LocalPath needs a non-empty path"},
		{"GetAddrInfo/Family(AFUnix)", func(ctx context.Context) error {
			_, err := anyio.GetAddrInfo(ctx, "127.0.0.1", 80, anyio.Family(anyio.AFUnix))
			return err
		}, "anyio: GetAddrInfo: Family("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anyiotest.Run(t, func(ctx context.Context) error {
				err := tt.call(ctx)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
				}
				return nil
			})
		})
	}
}

// Of two values of one option, the last wins; a nil option is no option.
func TestSocketOptionLastWinsAndNil(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		var none anyio.TCPListenerOption
		multi, err := anyio.CreateTCPListener(ctx, none, anyio.LocalHost("localhost"), anyio.Family(anyio.AFInet6), anyio.Family(anyio.AFInet))
		if err != nil {
			t.Errorf("CreateTCPListener(nil, LocalHost, Family(AFInet6), Family(AFInet)): %v", err)
			return nil
		}
		defer multi.Close(ctx)
		for _, l := range multi.Listeners() {
			addr, err := anyio.Extra(l, anyio.SocketAttribute.LocalAddress)
			if err != nil {
				return err
			}
			if tcp, ok := addr.(*net.TCPAddr); !ok || tcp.IP.To4() == nil {
				t.Errorf("CreateTCPListener(..., Family(AFInet6), Family(AFInet)) listens on %v, want IPv4 only", addr)
			}
		}
		return nil
	})
}
