package anyio_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
)

func TestAsConnNettest(t *testing.T) {
	// x/net's conformance test for net.Conn implementations, against AsConn
	// of several stream pairs.
	pairs := map[string]func(t *testing.T) (anyio.ByteStream, anyio.ByteStream){
		"Memory": func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return memoryBytePair(4) },
		"Pipe":   func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return wrapPair(net.Pipe()) },
		"TCP":    func(t *testing.T) (anyio.ByteStream, anyio.ByteStream) { return wrapPair(tcpPair(t)) },
	}
	for name, pair := range pairs {
		t.Run(name, func(t *testing.T) {
			nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
				a, b := pair(t)
				ctx := context.Background()
				c1, c2 := anyio.AsConn(ctx, a), anyio.AsConn(ctx, b)
				return c1, c2, func() { c1.Close(); c2.Close() }, nil
			})
		})
	}
}

func TestAsConnDeadline(t *testing.T) {
	a, b := memoryBytePair(0)
	c := anyio.AsConn(context.Background(), a)
	defer c.Close()
	defer anyio.CloseForcefully(b)
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past its deadline = %v, want a timeout", err)
	}
	// A new deadline makes the conn usable again; a Write is unaffected.
	c.SetReadDeadline(time.Time{})
	go b.Send(context.Background(), []byte("x"))
	if n, err := c.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Fatalf("Read after clearing the deadline = %d, %v", n, err)
	}
}

func TestAsConnContextCancelled(t *testing.T) {
	a, b := memoryBytePair(0)
	defer anyio.CloseForcefully(b)
	ctx, cancel := context.WithCancel(context.Background())
	c := anyio.AsConn(ctx, a)
	defer c.Close()
	done := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, anyio.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read when the conn's context is cancelled = %v", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("a cancellation reported as a timeout: %v", err)
	}
}

func TestAsReaderAsWriter(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		a, b := memoryBytePair(1)
		defer anyio.CloseForcefully(b)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer a.Close(ctx)
				w := bufio.NewWriter(anyio.AsWriter(ctx, a))
				for i := range 1000 {
					fmt.Fprintf(w, "line %d\n", i)
				}
				return w.Flush()
			})
			sc := bufio.NewScanner(anyio.AsReader(ctx, b))
			i := 0
			for sc.Scan() {
				if want := fmt.Sprintf("line %d", i); sc.Text() != want {
					return fmt.Errorf("line %d = %q, want %q", i, sc.Text(), want)
				}
				i++
			}
			if sc.Err() != nil || i != 1000 {
				return fmt.Errorf("scanned %d lines, error %v; want 1000 lines and the end", i, sc.Err())
			}
			if n, err := anyio.AsReader(ctx, b).Read(nil); n != 0 || err != nil {
				t.Errorf("Read with an empty buffer = %d, %v; want 0, nil", n, err)
			}
			return nil
		})
	})
}

func TestIOCopyBetweenStreams(t *testing.T) {
	anyiotest.Run(t, func(ctx context.Context) error {
		src1, src2 := memoryBytePair(2)
		dst1, dst2 := wrapPair(tcpPair(t))
		defer anyio.CloseForcefully(src2)
		defer anyio.CloseForcefully(dst1)
		defer anyio.CloseForcefully(dst2)
		data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer src1.Close(ctx)
				_, err := io.Copy(anyio.AsWriter(ctx, src1), bytes.NewReader(data))
				return err
			})
			tg.StartSoon(func(ctx context.Context) error {
				if _, err := io.Copy(anyio.AsWriter(ctx, dst1), anyio.AsReader(ctx, src2)); err != nil {
					return err
				}
				return dst1.SendEOF(ctx)
			})
			got, err := io.ReadAll(anyio.AsReader(ctx, dst2))
			if err != nil {
				return err
			}
			if !bytes.Equal(got, data) {
				t.Errorf("copied %d bytes, want the %d sent", len(got), len(data))
			}
			return nil
		})
	})
}

func TestJSONOverStreams(t *testing.T) {
	type msg struct {
		ID   int               `json:"id"`
		Text string            `json:"text"`
		Tags map[string]string `json:"tags"`
	}
	anyiotest.Run(t, func(ctx context.Context) error {
		a, b := memoryBytePair(0)
		defer anyio.CloseForcefully(b)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error {
				defer a.Close(ctx)
				enc := json.NewEncoder(anyio.AsWriter(ctx, a))
				for i := range 50 {
					if err := enc.Encode(msg{ID: i, Text: strings.Repeat("é", i), Tags: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
						return err
					}
				}
				return nil
			})
			dec := json.NewDecoder(anyio.AsReader(ctx, b))
			for i := 0; ; i++ {
				var m msg
				err := dec.Decode(&m)
				if err == io.EOF {
					if i != 50 {
						t.Errorf("decoded %d messages, want 50", i)
					}
					return nil
				}
				if err != nil {
					return err
				}
				if m.ID != i || m.Text != strings.Repeat("é", i) || m.Tags["n"] != fmt.Sprint(i) {
					t.Errorf("message %d = %+v", i, m)
				}
			}
		})
	})
}

// chanListener is a net.Listener whose connections come from a channel.
type chanListener struct {
	conns     chan net.Conn
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func TestHTTPOverAsConn(t *testing.T) {
	// An HTTP server and client talking over memory streams: net/http sees
	// only net.Conns made by AsConn.
	ctx := context.Background()
	l := &chanListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, b := memoryBytePair(4)
		select {
		case l.conns <- anyio.AsConn(context.Background(), b):
			return anyio.AsConn(context.Background(), a), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	client := &http.Client{Transport: tr}
	for i := range 3 {
		body := strings.NewReader(fmt.Sprintf("request %d", i))
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://anyio.test/echo", body)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("POST /echo request %d", i); err != nil || string(got) != want {
			t.Errorf("response %d = %q, %v; want %q", i, got, err, want)
		}
	}
	tr.CloseIdleConnections()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
}
