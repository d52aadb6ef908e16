package anyio_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
)

// crashChildEnv makes the test binary run crashChild instead of the tests.
const crashChildEnv = "ANYIO_TEST_CRASH_CHILD"

// crashChild is the program of TestUnrecoveredTaskPanicShowsTheTask: a task
// writes to a nil map and nobody recovers the panic.
func crashChild() {
	// anyio.Run itself, not anyiotest.Run: the panic must escape and crash
	// the process, as it would in a program.
	anyio.Run(context.Background(), func(ctx context.Context) error {
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(writeToNilMap, anyio.TaskName("nil-map-writer"))
			return nil
		})
	})
}

func writeToNilMap(ctx context.Context) error {
	var m map[string]int
	//lint:ignore SA5000 the crash test needs a task that panics, and this is its panicking line
	m["key"]++ // the panicking line
	return nil
}

// A task panic that nobody recovers crashes the program from the goroutine
// that ran the task group; the crash output still shows the task's name, the
// panic value and the task's own stack down to the panicking line, above the
// stack of the joining goroutine.
func TestUnrecoveredTaskPanicShowsTheTask(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil {
		t.Fatalf("the crashing child exited 0; stderr:\n%s", stderr.String())
	}
	out := stderr.String()
	_, file, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	line := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, `m["key"]++`) {
			line = i + 1
			break
		}
	}
	for _, want := range []string{
		`panic: anyio: panic in task "nil-map-writer": assignment to entry in nil map`,
		"panicking task's stack:",
		"anyio_test.writeToNilMap(",
		fmt.Sprintf("crash_test.go:%d", line),
		"anyio_test.crashChild(", // the joining goroutine's own trace
	} {
		if !strings.Contains(out, want) {
			t.Errorf("crash output lacks %q; it is:\n%s", want, out)
		}
	}
	// The task's stack comes before the joining goroutine's trace.
	if i, j := strings.Index(out, "anyio_test.writeToNilMap("), strings.LastIndex(out, "goroutine "); i < 0 || j < 0 || i > j {
		t.Errorf("the panicking task's stack should come before the joining goroutine's trace; output:\n%s", out)
	}
}
