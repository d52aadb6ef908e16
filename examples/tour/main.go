// Tour is a guided walk through anyio, printing what it does step by step.
//
// Run it from the root of the module:
//
//	go run ./examples/tour
//
// Each step is a short function that takes the context of an anyio task and
// shows one idea of structured concurrency: task groups, failure and
// cancellation, timeouts, shielded cleanup, readiness with Start, and the
// live task tree. The steps run one after another in a single anyio.Run.
//
// To add a step, write a func(ctx context.Context) error that prints with
// say, and append it to steps with a title.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/toprocess"
)

// step is one numbered section of the tour.
type step struct {
	title string
	run   func(ctx context.Context) error
}

// steps is the tour, in order.
var steps = []step{
	{"A task group of workers", workers},
	{"One child fails: its siblings are cancelled", failureCancelsSiblings},
	{"Timeouts: MoveOnAfter and FailAfter", timeouts},
	{"Shielded cleanup", shieldedCleanup},
	{"Start: wait until a task is ready", startServer},
	{"DumpTasks: the live task tree", dumpTasks},
	{"Memory object streams: a pipeline with clones", pipeline},
	{"CapacityLimiter: at most two downloads at once", limitDownloads},
	{"A TLS echo server on two sockets (MultiListener)", tlsEchoServer},
	{"Gather: three lookups at once", gatherLookups},
	{"AsCompleted: replies as they come, with a timeout", firstReplies},
	{"AMap: a crawler, at most two fetches at a time", crawl},
	{"Files: walk a tree with fileio.Path", walkTree},
	{"Worker processes: a CPU-bound job with a progress line", processPool},
	{"A synchronous function calls into the Run through a portal", portalFromSync},
	{"A pipeline of two child processes, cancelled halfway", processPipeline},
}

func main() {
	// In a worker process of toprocess (this program started again), Init
	// serves calls and exits; here it returns at once.
	toprocess.Init()
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

// run prints the whole tour to w.
func run(ctx context.Context, w io.Writer) error {
	out = &lockedWriter{w: w}
	return anyio.Run(ctx, runSteps)
}

// runSteps is the root task of the tour's anyio.Run.
func runSteps(ctx context.Context) error {
	for i, s := range steps {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "== %d. %s\n", i+1, s.title)
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
	}
	return nil
}

// out is where the tour prints. Tasks print concurrently, so it is locked.
var out io.Writer = &lockedWriter{w: os.Stdout}

// lockedWriter serializes the writes of concurrent tasks to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p to the underlying writer under the lock.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// say prints one indented line of a step.
func say(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprint(out, "   "+strings.ReplaceAll(msg, "\n", "\n   ")+"\n")
}

// workers starts a few tasks in a group; WithTaskGroup returns only when
// every one of them has returned, so their results can be read afterwards
// without any further synchronization.
func workers(ctx context.Context) error {
	squares := make([]int, 5)
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for i := range squares {
			tg.StartSoon(func(ctx context.Context) error {
				// Pretend each job waits on I/O for a moment.
				if err := anyio.Sleep(ctx, time.Duration(len(squares)-i)*time.Millisecond); err != nil {
					return err
				}
				squares[i] = i * i
				return nil
			}, anyio.TaskName(fmt.Sprintf("worker-%d", i)))
		}
		say("started %d workers; WithTaskGroup waits for all of them", len(squares))
		return nil
	})
	if err != nil {
		return err
	}
	say("all workers finished: squares = %v", squares)
	return nil
}

var errRefused = errors.New("connection refused")

// failureCancelsSiblings shows the first failure cancelling the rest of the
// group, and the group's error: an *anyio.ExceptionGroup that holds the
// failure but not the cancellations the group caused itself.
func failureCancelsSiblings(ctx context.Context) error {
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx) // a download that would take forever
			say("download stopped: %v", err)
			return err
		}, anyio.TaskName("download"))
		tg.StartSoon(func(ctx context.Context) error {
			return fmt.Errorf("fetch config: %w", errRefused)
		}, anyio.TaskName("fetch-config"))
		return nil
	})
	say("WithTaskGroup returned: %v", err)
	var eg *anyio.ExceptionGroup
	if !errors.As(err, &eg) {
		return fmt.Errorf("want an *anyio.ExceptionGroup, got %v", err)
	}
	say("errors.As(err, &eg): %d error(s) in the group", len(eg.Errors))
	say("errors.Is(err, errRefused) = %v", errors.Is(err, errRefused))
	return nil
}

// timeouts shows the two kinds of deadline scope: MoveOnAfter gives up
// quietly, FailAfter reports a timeout.
func timeouts(ctx context.Context) error {
	scope := anyio.MoveOnAfter(20 * time.Millisecond)
	err := scope.Run(ctx, func(ctx context.Context) error {
		_, ok := anyio.CurrentEffectiveDeadline(ctx)
		say("MoveOnAfter(20ms): a deadline applies inside: %v", ok)
		return anyio.SleepForever(ctx) // waiting for a reply that never comes
	})
	say("MoveOnAfter: Run returned %v, CancelledCaught() = %v", err, scope.CancelledCaught())

	err = anyio.FailAfter(20*time.Millisecond).Run(ctx, func(ctx context.Context) error {
		return anyio.Sleep(ctx, time.Hour)
	})
	say("FailAfter(20ms): Run returned %q", err)
	say("errors.Is(err, anyio.ErrTimeout) = %v, errors.Is(err, context.DeadlineExceeded) = %v",
		errors.Is(err, anyio.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	return nil
}

// shieldedCleanup shows a cancelled task that still completes its cleanup:
// cancellation is level-triggered, so every blocking call in a cancelled
// scope fails, except inside a shielded scope.
func shieldedCleanup(ctx context.Context) error {
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			err := anyio.SleepForever(ctx) // serve until told to stop
			say("worker: %v; cleaning up", err)
			say("worker: unshielded flush: %v", anyio.Sleep(ctx, 5*time.Millisecond))
			// A shielded scope ignores the cancellation around it; give it
			// its own deadline so that cleanup cannot hang forever.
			cleanup := anyio.MoveOnAfter(time.Second, anyio.Shielded())
			ferr := cleanup.Run(ctx, func(ctx context.Context) error {
				return anyio.Sleep(ctx, 5*time.Millisecond) // flush buffers
			})
			say("worker: shielded flush finished: err = %v", ferr)
			return err
		}, anyio.TaskName("worker"))
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		say("cancelling the group")
		tg.CancelScope().Cancel()
		return nil
	})
	say("WithTaskGroup returned %v: the group's own cancellation is not an error", err)
	return nil
}

// serveOn returns a fake server for Start: it binds port (ports below 1024
// fail, as they would for an unprivileged process), reports the port once it
// is ready, then serves until cancelled.
func serveOn(port int) func(ctx context.Context, status *anyio.TaskStatus[int]) error {
	return func(ctx context.Context, status *anyio.TaskStatus[int]) error {
		if port < 1024 {
			return fmt.Errorf("bind :%d: permission denied", port)
		}
		status.Started(port)
		return anyio.SleepForever(ctx)
	}
}

// startServer shows Start, which waits until the new task reports that it
// is ready and hands back the value it reported.
func startServer(ctx context.Context) error {
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		port, err := anyio.Start(ctx, tg, serveOn(8080), anyio.TaskName("http-server"))
		if err != nil {
			return err
		}
		say("Start returned: server ready on port %d", port)
		_, err = anyio.Start(ctx, tg, serveOn(80), anyio.TaskName("privileged-server"))
		say("Start returned: %v (a failure before Started goes to the caller, not the group)", err)
		say("shutting the server down")
		tg.CancelScope().Cancel()
		return nil
	})
}

// dumpTasks builds a small tree of tasks and prints it while they wait.
func dumpTasks(ctx context.Context) error {
	return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(anyio.SleepForever, anyio.TaskName("db-pool"))
		_, err := anyio.Start(ctx, tg, func(ctx context.Context, status *anyio.TaskStatus[struct{}]) error {
			return anyio.WithTaskGroup(ctx, func(ctx context.Context, conns *anyio.TaskGroup) error {
				conns.CancelScope().SetDeadline(time.Now().Add(time.Minute))
				conns.StartSoon(anyio.SleepForever, anyio.TaskName("conn-1"))
				conns.StartSoon(func(ctx context.Context) error {
					return anyio.Sleep(ctx, 30*time.Second) // reading a request
				}, anyio.TaskName("conn-2"))
				status.Started(struct{}{})
				return nil
			})
		}, anyio.TaskName("http-server"))
		if err != nil {
			return err
		}
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		var names []string
		for _, t := range anyio.GetRunningTasks(ctx) {
			names = append(names, t.Name)
		}
		say("GetRunningTasks: %s", strings.Join(names, ", "))
		var b strings.Builder
		if err := anyio.DumpTasks(ctx, &b); err != nil {
			return err
		}
		say("%s", strings.TrimSuffix(b.String(), "\n"))
		tg.CancelScope().Cancel()
		return nil
	})
}

// pipeline passes work between tasks over memory object streams: a producer,
// two workers that receive from clones of one receive handle, and the
// collector in the body. Every task closes its own clone; a stream ends for
// its receivers once every clone of its send handle is closed.
func pipeline(ctx context.Context) error {
	jobs, jobsIn := anyio.NewMemoryObjectStream[int](0) // a rendezvous
	results, resultsIn := anyio.NewMemoryObjectStream[int](4)
	sum, count := 0, 0
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		tg.StartSoon(func(ctx context.Context) error {
			defer jobs.Close(ctx)
			for n := 1; n <= 6; n++ {
				if err := jobs.Send(ctx, n); err != nil {
					return err
				}
			}
			return nil
		}, anyio.TaskName("producer"))
		for w := range 2 {
			in, out := jobsIn.Clone(), results.Clone()
			tg.StartSoon(func(ctx context.Context) error {
				defer in.Close(ctx)
				defer out.Close(ctx)
				for n, err := range anyio.Iterate(ctx, in) {
					if err != nil {
						return err
					}
					if err := out.Send(ctx, n*n); err != nil {
						return err
					}
				}
				return nil
			}, anyio.TaskName(fmt.Sprintf("squarer-%d", w)))
		}
		// Only the clones are used: close the originals.
		jobsIn.Close(ctx)
		results.Close(ctx)
		defer resultsIn.Close(ctx)
		for sq, err := range anyio.Iterate(ctx, resultsIn) {
			if err != nil {
				return err
			}
			sum += sq
			count++
		}
		return nil
	})
	if err != nil {
		return err
	}
	say("producer -> squarer-0, squarer-1 (clones of one receive handle) -> collector")
	say("collected %d results, each exactly once: sum of the squares of 1..6 = %d", count, sum)
	st := jobs.Statistics()
	say("jobs stream at the end: %d send and %d receive handles open", st.OpenSendStreams, st.OpenReceiveStreams)

	// Once every receive handle is closed, a Send fails: nobody would get it.
	send, recv := anyio.NewMemoryObjectStream[string](1)
	recv.Close(ctx)
	say("Send after the receivers closed: %v", send.Send(ctx, "hello?"))
	return send.Close(ctx)
}

// limitDownloads bounds how many tasks do a job at once: six downloads share
// a CapacityLimiter of two tokens, and the others wait for a token, first
// come, first served. (tothread.RunSync takes such a limiter to bound worker
// threads.)
func limitDownloads(ctx context.Context) error {
	limiter := anyio.NewCapacityLimiter(2)
	var active, peak atomic.Int32
	proceed := anyio.NewEvent() // lets the downloads finish
	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
		for i := range 6 {
			tg.StartSoon(func(ctx context.Context) error {
				if err := limiter.Acquire(ctx); err != nil {
					return err // cancelled while waiting: no token borrowed
				}
				defer limiter.Release(ctx)
				if n := active.Add(1); n > peak.Load() {
					peak.Store(n)
				}
				defer active.Add(-1)
				return proceed.Wait(ctx) // downloading
			}, anyio.TaskName(fmt.Sprintf("download-%d", i)))
		}
		if err := anyio.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		st := limiter.Statistics()
		say("while busy: %d of %d tokens borrowed, %d tasks waiting for one", st.BorrowedTokens, st.TotalTokens, st.TasksWaiting)
		proceed.Set()
		return nil
	})
	if err != nil {
		return err
	}
	say("all six downloads done, at most %d at once; %d tokens borrowed now", peak.Load(), limiter.BorrowedTokens())
	return nil
}
