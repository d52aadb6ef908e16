package anyio_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
)

// The network benchmarks pair anyio's sockets with raw net.Conn loops
// doing the same job (sub-benchmarks "anyio" and "raw"; see bench/main.go).
// Every anyio call runs with a cancellable context, so the price of
// cancellation is in the numbers.

// benchRun runs fn as the root task of a Run, inside a task group: ctx is a
// cancellable anyio scope.
func benchRun(b *testing.B, fn func(ctx context.Context, tg *anyio.TaskGroup) error) {
	b.Helper()
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, fn)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchAnyioPair returns a connected pair of anyio TCP streams.
func benchAnyioPair(b *testing.B, ctx context.Context) (anyio.SocketStream, anyio.SocketStream) {
	b.Helper()
	multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
	if err != nil {
		b.Fatal(err)
	}
	defer multi.Close(ctx)
	l := multi.Listeners()[0].(anyio.SocketListener)
	port, _ := anyio.Extra(l, anyio.SocketAttribute.LocalPort)
	c, err := anyio.ConnectTCP(ctx, "127.0.0.1", port)
	if err != nil {
		b.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return c, s
}

// benchRawPair returns a connected pair of raw TCP connections.
func benchRawPair(b *testing.B) (net.Conn, net.Conn) {
	b.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	return c, s
}

// echoStream echoes what s receives until the end of the stream.
func echoStream(ctx context.Context, s anyio.ByteStream, size int) error {
	buf := make([]byte, size)
	for {
		n, err := s.Receive(ctx, buf)
		if errors.Is(err, anyio.ErrEndOfStream) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.Send(ctx, buf[:n]); err != nil {
			return err
		}
	}
}

// BenchmarkTCPEcho measures the round trip of 64 bytes over loopback TCP:
// send, the peer echoes, receive.
func BenchmarkTCPEcho(b *testing.B) {
	const size = 64
	b.Run("anyio", func(b *testing.B) {
		benchRun(b, func(ctx context.Context, tg *anyio.TaskGroup) error {
			c, s := benchAnyioPair(b, ctx)
			defer c.Close(ctx)
			tg.StartSoon(func(ctx context.Context) error {
				defer s.Close(ctx)
				return echoStream(ctx, s, size)
			})
			msg, buf := make([]byte, size), make([]byte, size)
			b.ResetTimer()
			for range b.N {
				if err := c.Send(ctx, msg); err != nil {
					return err
				}
				for got := 0; got < size; {
					n, err := c.Receive(ctx, buf[got:])
					if err != nil {
						return err
					}
					got += n
				}
			}
			b.StopTimer()
			return c.SendEOF(ctx)
		})
	})
	b.Run("raw", func(b *testing.B) {
		c, s := benchRawPair(b)
		defer c.Close()
		var wg sync.WaitGroup
		wg.Go(func() {
			defer s.Close()
			buf := make([]byte, size)
			for {
				n, err := s.Read(buf)
				if err != nil {
					return
				}
				if _, err := s.Write(buf[:n]); err != nil {
					return
				}
			}
		})
		msg, buf := make([]byte, size), make([]byte, size)
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		c.(*net.TCPConn).CloseWrite()
		wg.Wait()
	})
}

// BenchmarkTCPBulk measures one-way throughput over loopback TCP with 64 KiB
// sends and 64 KiB receive buffers.
func BenchmarkTCPBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("anyio", func(b *testing.B) {
		b.SetBytes(chunk)
		benchRun(b, func(ctx context.Context, tg *anyio.TaskGroup) error {
			c, s := benchAnyioPair(b, ctx)
			defer c.Close(ctx)
			tg.StartSoon(func(ctx context.Context) error {
				defer s.Close(ctx)
				return drainStream(ctx, s, chunk)
			})
			msg := make([]byte, chunk)
			b.ResetTimer()
			for range b.N {
				if err := c.Send(ctx, msg); err != nil {
					return err
				}
			}
			return c.SendEOF(ctx)
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(chunk)
		c, s := benchRawPair(b)
		defer c.Close()
		var wg sync.WaitGroup
		wg.Go(func() {
			defer s.Close()
			drainConn(s, chunk)
		})
		msg := make([]byte, chunk)
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		c.(*net.TCPConn).CloseWrite()
		wg.Wait()
	})
}

// drainStream receives until the end of the stream.
func drainStream(ctx context.Context, s anyio.ByteReceiveStream, size int) error {
	buf := make([]byte, size)
	for {
		if _, err := s.Receive(ctx, buf); err != nil {
			if errors.Is(err, anyio.ErrEndOfStream) {
				return nil
			}
			return err
		}
	}
}

// drainConn reads until the end of the connection.
func drainConn(c io.Reader, size int) {
	buf := make([]byte, size)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// BenchmarkSocketCancelLatency measures how long a Receive blocked on a TCP
// socket takes to return once cancelled: from CancelScope.Cancel to the
// return (anyio), from SetReadDeadline in the past to the return of Read
// (raw). It reports the median and the 99th percentile.
func BenchmarkSocketCancelLatency(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		var lat []time.Duration
		benchRun(b, func(ctx context.Context, tg *anyio.TaskGroup) error {
			c, s := benchAnyioPair(b, ctx)
			defer c.Close(ctx)
			defer s.Close(ctx)
			buf := make([]byte, 16)
			b.ResetTimer()
			for range b.N {
				scope := anyio.NewCancelScope()
				returned := make(chan time.Time, 1)
				tg.StartSoon(func(ctx context.Context) error {
					scope.Run(ctx, func(ctx context.Context) error {
						err := skRetryBusy(func() error { // the probe below may hold c
							_, err := c.Receive(ctx, buf)
							return err
						})
						returned <- time.Now()
						return err
					})
					return nil
				})
				// Wait until the task is inside Receive.
				for {
					_, err := c.Receive(skCancelled, buf)
					var busy *anyio.BusyResourceError
					if errors.As(err, &busy) {
						break
					}
					runtime.Gosched()
				}
				start := time.Now()
				scope.Cancel()
				lat = append(lat, (<-returned).Sub(start))
			}
			return nil
		})
		reportLatency(b, lat)
	})
	b.Run("raw", func(b *testing.B) {
		c, s := benchRawPair(b)
		defer c.Close()
		defer s.Close()
		var lat []time.Duration
		buf := make([]byte, 16)
		b.ResetTimer()
		for range b.N {
			c.SetReadDeadline(time.Time{})
			returned := make(chan time.Time, 1)
			inside := make(chan struct{})
			go func() {
				close(inside)
				c.Read(buf)
				returned <- time.Now()
			}()
			<-inside
			runtime.Gosched()
			start := time.Now()
			c.SetReadDeadline(time.Unix(1, 0))
			lat = append(lat, (<-returned).Sub(start))
		}
		reportLatency(b, lat)
	})
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
}

// Conn10k: 10,000 loopback connections held open by one listener and
// echoing. The clients live in a child process (this test binary again,
// running TestConn10kClients), so that each process needs 10,000
// descriptors, not 20,000.

const conn10k = 10000

// conn10kSelected reports whether BenchmarkConn10k was asked for by name:
// it opens 20,000 sockets.
func conn10kSelected() bool {
	if os.Getenv("ANYIO_BENCH_CONN10K") != "" {
		return true
	}
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), "Conn10k")
}

// raiseNoFile raises the soft limit of open files to what n connections
// need, or says why it cannot.
func raiseNoFile(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	need := uint64(n + 256)
	if lim.Max < need {
		return fmt.Errorf("the hard limit of open files is %d, %d are needed", lim.Max, need)
	}
	if lim.Cur < need {
		lim.Cur = need
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return nil
}

// TestConn10kClients is the client side of BenchmarkConn10k; it does
// nothing unless the benchmark started it.
func TestConn10kClients(t *testing.T) {
	addr := os.Getenv("ANYIO_CONN10K_ADDR")
	if addr == "" {
		t.Skip("the client process of BenchmarkConn10k")
	}
	n, _ := strconv.Atoi(os.Getenv("ANYIO_CONN10K_N"))
	if err := raiseNoFile(n); err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	msg, buf := []byte("ping"), make([]byte, 4)
	for range n {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the benchmark is done
}

// conn10kClients starts the client process for a server at addr.
func conn10kClients(b *testing.B, addr string, n int) (ready func(), done func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestConn10kClients$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "ANYIO_CONN10K_ADDR="+addr, "ANYIO_CONN10K_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ready = func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "ready" {
			b.Fatalf("client process: %q, %v", line, err)
		}
	}
	done = func() {
		stdin.Close()
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	}
	return ready, done
}

// inUseMemory returns the heap and stack memory in use after a collection.
func inUseMemory() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// BenchmarkConn10k holds 10,000 loopback connections open, each served by
// a handler that echoes, and reports the memory in use per connection
// (B/conn, this process: the server side) and the time to cancel every
// handler (cancel-ns). Select it by name (-bench Conn10k); it needs 10,256
// descriptors per process.
func BenchmarkConn10k(b *testing.B) {
	if !conn10kSelected() {
		b.Skip("skipped: it opens 20,000 sockets; select it with -bench=Conn10k or set ANYIO_BENCH_CONN10K=1")
	}
	if err := raiseNoFile(conn10k); err != nil {
		b.Skipf("skipped: %v", err)
	}
	b.Run("anyio", func(b *testing.B) {
		for range b.N {
			base := inUseMemory()
			var perConn float64
			var cancelTime time.Duration
			benchRun(b, func(ctx context.Context, tg *anyio.TaskGroup) error {
				multi, err := anyio.CreateTCPListener(ctx, anyio.LocalHost("127.0.0.1"))
				if err != nil {
					return err
				}
				defer multi.Close(ctx)
				port, _ := anyio.Extra(multi, anyio.SocketAttribute.LocalPort)
				ready, done := conn10kClients(b, "127.0.0.1:"+strconv.Itoa(port), conn10k)
				defer done()
				serve := anyio.NewCancelScope()
				served := make(chan time.Time, 1)
				tg.StartSoon(func(ctx context.Context) error {
					serve.Run(ctx, func(ctx context.Context) error {
						return multi.Serve(ctx, func(ctx context.Context, s anyio.SocketStream) error {
							defer s.Close(ctx)
							return echoStream(ctx, s, 64)
						}, nil)
					})
					served <- time.Now()
					return nil
				})
				ready()
				perConn = float64(int64(inUseMemory())-int64(base)) / conn10k
				start := time.Now()
				serve.Cancel()
				cancelTime = (<-served).Sub(start)
				return nil
			})
			b.ReportMetric(perConn, "B/conn")
			b.ReportMetric(float64(cancelTime), "cancel-ns")
		}
	})
	b.Run("raw", func(b *testing.B) {
		for range b.N {
			base := inUseMemory()
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ready, done := conn10kClients(b, l.Addr().String(), conn10k)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() {
				stop := context.AfterFunc(ctx, func() { l.Close() })
				defer stop()
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					wg.Go(func() {
						defer c.Close()
						stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
						defer stop()
						buf := make([]byte, 64)
						for {
							n, err := c.Read(buf)
							if err != nil {
								return
							}
							if _, err := c.Write(buf[:n]); err != nil {
								return
							}
						}
					})
				}
			})
			ready()
			perConn := float64(int64(inUseMemory())-int64(base)) / conn10k
			start := time.Now()
			cancel()
			wg.Wait()
			cancelTime := time.Since(start)
			done()
			b.ReportMetric(perConn, "B/conn")
			b.ReportMetric(float64(cancelTime), "cancel-ns")
		}
	})
}
