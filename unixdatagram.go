package anyio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/anyio-go/anyio/internal/core"
)

// UnixDatagramPacket is a datagram of a UNIX datagram socket with the path
// of the socket it came from or goes to ("" for an unbound sender).
type UnixDatagramPacket struct {
	Data []byte
	Addr string
}

// UnixDatagramSocket is an unconnected UNIX domain datagram socket (AnyIO
// 4's UNIXDatagramSocket). Receive, Send and SendTo behave as those of
// [UDPSocket], with socket paths for addresses. The socket offers
// SocketAttribute.Family, LocalAddress and RawSocket.
type UnixDatagramSocket interface {
	UnreliableObjectStream[UnixDatagramPacket]
	SendTo(ctx context.Context, data []byte, path string) error
}

// ConnectedUnixDatagramSocket is a UNIX domain datagram socket connected to
// one peer socket (AnyIO 4's ConnectedUNIXDatagramSocket); it behaves as a
// [ConnectedUDPSocket]. It offers SocketAttribute.Family, LocalAddress,
// RemoteAddress and RawSocket.
type ConnectedUnixDatagramSocket interface {
	UnreliableObjectStream[[]byte]
}

// CreateUnixDatagramSocket creates an unconnected UNIX datagram socket
// (AnyIO's create_unix_datagram_socket), bound to [LocalPath] when given
// (a stale socket file there is removed first, and [Mode] sets the file's
// permissions), else unbound: it can send, but nobody can answer it. It
// returns a cancellation error once ctx is cancelled.
func CreateUnixDatagramSocket(ctx context.Context, opts ...UnixDatagramSocketOption) (UnixDatagramSocket, error) {
	cfg, err := applySocketOptions("CreateUnixDatagramSocket", opts)
	if err != nil {
		return nil, err
	}
	uc, err := unixDatagram(ctx, cfg, "")
	if err != nil {
		return nil, err
	}
	s := &unixDgram{uc: uc}
	s.pc = uc
	s.attrs = socketAttributes(uc.LocalAddr(), nil, uc)
	s.initFDs("UNIX datagram")
	return s, nil
}

// CreateConnectedUnixDatagramSocket creates a UNIX datagram socket
// connected to the socket at path (AnyIO's
// create_connected_unix_datagram_socket). [LocalPath] binds it (so that the
// peer can answer) and [Mode] sets the permissions of that file. It returns
// a cancellation error once ctx is cancelled.
func CreateConnectedUnixDatagramSocket(ctx context.Context, path string, opts ...UnixDatagramSocketOption) (ConnectedUnixDatagramSocket, error) {
	cfg, err := applySocketOptions("CreateConnectedUnixDatagramSocket", opts)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("anyio: CreateConnectedUnixDatagramSocket: empty remote path")
	}
	uc, err := unixDatagram(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	s := &connectedDgram{conn: uc}
	s.pc = uc
	s.attrs = socketAttributes(uc.LocalAddr(), remoteAddr(uc), uc)
	s.initFDs("UNIX datagram")
	return s, nil
}

// unixDatagram makes a UNIX datagram socket bound as cfg says and
// connected to remote, if not empty.
func unixDatagram(ctx context.Context, cfg socketConfig, remote string) (*net.UnixConn, error) {
	if ctx.Err() != nil {
		return nil, core.CancelErr(ctx)
	}
	var local *net.UnixAddr
	if cfg.localPath != "" {
		if err := removeStaleSocket(cfg.localPath); err != nil {
			return nil, err
		}
		local = &net.UnixAddr{Name: cfg.localPath, Net: "unixgram"}
	}
	var (
		uc  *net.UnixConn
		err error
	)
	switch {
	case remote != "":
		uc, err = net.DialUnix("unixgram", local, &net.UnixAddr{Name: remote, Net: "unixgram"})
	case local != nil:
		uc, err = net.ListenUnixgram("unixgram", local)
	default:
		uc, err = unboundUnixgram()
	}
	if err != nil {
		return nil, err
	}
	if cfg.has(optMode) && cfg.localPath != "" && !isAbstract(cfg.localPath) {
		if err := os.Chmod(cfg.localPath, cfg.mode); err != nil {
			uc.Close()
			return nil, err
		}
	}
	return uc, nil
}

type unixDgram struct {
	dgram
	uc *net.UnixConn
}

var _ UnixDatagramSocket = (*unixDgram)(nil)

func (s *unixDgram) Receive(ctx context.Context) (UnixDatagramPacket, error) {
	var from string
	data, sa, err := s.receive(ctx, func(p []byte) (int, error) {
		n, a, err := s.uc.ReadFromUnix(p)
		if a != nil {
			from = a.Name
		}
		return n, err
	}, true)
	if su, ok := sa.(*syscall.SockaddrUnix); ok {
		from = su.Name
	}
	if err != nil {
		return UnixDatagramPacket{}, err
	}
	return UnixDatagramPacket{Data: data, Addr: from}, nil
}

func (s *unixDgram) Send(ctx context.Context, packet UnixDatagramPacket) error {
	if packet.Addr == "" {
		return fmt.Errorf("anyio: UnixDatagramSocket.Send: empty destination path")
	}
	to := &net.UnixAddr{Name: packet.Addr, Net: "unixgram"}
	return s.send(ctx, func() (int, error) { return s.uc.WriteToUnix(packet.Data, to) }, packet.Data, &syscall.SockaddrUnix{Name: packet.Addr}, to)
}

func (s *unixDgram) SendTo(ctx context.Context, data []byte, path string) error {
	return s.Send(ctx, UnixDatagramPacket{Data: data, Addr: path})
}
