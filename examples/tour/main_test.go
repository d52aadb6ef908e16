package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/toprocess"
)

func TestMain(m *testing.M) {
	toprocess.Init() // the tour starts worker processes: this binary again
	goleak.VerifyTestMain(m)
}

func TestTour(t *testing.T) {
	var b strings.Builder
	if err := run(context.Background(), &b); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, b.String())
	}
	got := b.String()

	var want []string
	for i, s := range steps {
		want = append(want, fmt.Sprintf("== %d. %s\n", i+1, s.title))
	}
	want = append(want,
		"all workers finished: squares = [0 1 4 9 16]",
		"download stopped: anyio: cancelled: task fetch-config failed",
		"WithTaskGroup returned: anyio: unhandled error in a task group: fetch config: connection refused",
		"errors.As(err, &eg): 1 error(s) in the group",
		"errors.Is(err, errRefused) = true",
		"MoveOnAfter: Run returned <nil>, CancelledCaught() = true",
		`FailAfter(20ms): Run returned "anyio: timed out (deadline exceeded)"`,
		"errors.Is(err, anyio.ErrTimeout) = true, errors.Is(err, context.DeadlineExceeded) = true",
		"worker: unshielded flush: anyio: cancelled",
		"worker: shielded flush finished: err = <nil>",
		"WithTaskGroup returned <nil>",
		"server ready on port 8080",
		"Start returned: bind :80: permission denied",
		// The root task is named after its function, whose package path
		// differs between "go run" (main) and "go test".
		"runSteps, db-pool, http-server, conn-1, conn-2",
		`"db-pool" waiting on SleepForever`,
		`"http-server" waiting on task group join`,
		"task group (deadline in ",
		`"conn-2" waiting on Sleep (`,
		"collected 6 results, each exactly once: sum of the squares of 1..6 = 91",
		"jobs stream at the end: 0 send and 0 receive handles open",
		"Send after the receivers closed: anyio: broken resource",
		"while busy: 2 of 2 tokens borrowed, 4 tasks waiting for one",
		"all six downloads done, at most 2 at once; 0 tokens borrowed now",
		"TLS echo server on 2 sockets: TCP 127.0.0.1 and a UNIX socket",
		`client 1 over tcp (TLS 1.3): sent "hello from client 1", got "HELLO FROM CLIENT 1"`,
		`client 2 over unix (TLS 1.3): sent "hello from client 2", got "HELLO FROM CLIENT 2"`,
		`client 3 over tcp (TLS 1.3): sent "hello from client 3", got "HELLO FROM CLIENT 3"`,
		"Gather: db.internal=10.0.0.5, cache.internal=10.0.0.7, api.internal=10.0.0.9",
		"mirror-us answered after 10ms",
		"mirror-eu answered after 20ms",
		"mirror-mars: gave up (anyio: cancelled",
		"timeout: true, after 2 replies",
		"depth 0: /\n",
		"depth 1: /docs /blog /about\n",
		"depth 2: /docs/tasks /docs/streams /blog/2024 /blog/2025\n",
		"depth 3: /docs/tls\n",
		"crawled 9 pages; never more than 2 fetches at once: true",
		"Walk found 9 paths:",
		"internal/db/db_test.go (11 bytes)",
		`Rglob("*.go"): internal/db/db.go, internal/db/db_test.go, main.go`,
		"a walk stopped after 2 paths: nothing to close",
		"after Close in a cancelled scope, the directory exists: false",
		"progress: [#       ] 1/8 chunks",
		"progress: [########] 8/8 chunks",
		"primes below 400000: 33860, counted in worker processes (at most ",
		"the synchronous function reported: 3 items, 600 bytes",
		"Call from the portal's own task: anyio/fromthread: called on the goroutine of a portal's task",
		`line 1 from the pipeline: "got 1"`,
		`line 3 from the pipeline: "got 3"`,
		"enough: cancelling the pipeline halfway",
		"seq reaped: true, return code -9 (killed by SIGKILL)",
		"the loop reaped: true, return code -9 (killed by SIGKILL)",
	)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("tour output lacks %q\noutput:\n%s", w, got)
		}
	}

	// The steps print in a fixed order, whatever the scheduling.
	last := -1
	for i := range steps {
		at := strings.Index(got, fmt.Sprintf("== %d. ", i+1))
		if at < last {
			t.Errorf("step %d printed out of order\noutput:\n%s", i+1, got)
		}
		last = at
	}
	if c, s := strings.Index(got, "cancelling the group"), strings.Index(got, "worker: anyio: cancelled; cleaning up"); c < 0 || s < c {
		t.Errorf("the worker reported its cancellation before the group was cancelled\noutput:\n%s", got)
	}
}
