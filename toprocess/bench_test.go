package toprocess_test

import (
	"context"
	"encoding/gob"
	"os"
	"os/exec"
	"testing"

	"github.com/anyio-go/anyio"
)

// rawWorkerEnv makes the test binary serve as the yardstick's worker (see
// TestMain).
const rawWorkerEnv = "ANYIO_TOPROCESS_TEST_RAW_WORKER"

// rawWorker is the yardstick's worker: it decodes ints from stdin and
// answers their doubles on stdout, with one gob stream each way.
func rawWorker() {
	dec := gob.NewDecoder(os.Stdin)
	enc := gob.NewEncoder(os.Stdout)
	for {
		var n int
		if err := dec.Decode(&n); err != nil {
			os.Exit(0)
		}
		if err := enc.Encode(2 * n); err != nil {
			os.Exit(1)
		}
	}
}

// BenchmarkRunSync is a call of a small function on a warm worker process
// against its yardstick: a child process written by hand for the job,
// exchanging gob values with its parent over its stdin and stdout.
func BenchmarkRunSync(b *testing.B) {
	b.Run("anyio", func(b *testing.B) {
		_ = anyio.Run(context.Background(), func(ctx context.Context) error {
			if _, err := double.RunSync(ctx, 1); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := double.RunSync(ctx, 21); err != nil {
					b.Fatal(err)
				}
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), rawWorkerEnv+"=1")
		in, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		enc, dec := gob.NewEncoder(in), gob.NewDecoder(out)
		call := func(n int) int {
			if err := enc.Encode(n); err != nil {
				b.Fatal(err)
			}
			var r int
			if err := dec.Decode(&r); err != nil {
				b.Fatal(err)
			}
			return r
		}
		call(1)
		for b.Loop() {
			call(21)
		}
		in.Close()
		_ = cmd.Wait()
	})
}
