//go:build linux

package process_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// children returns the process IDs of this process's children, zombies
// included, from /proc.
func children(t *testing.T) []int {
	t.Helper()
	self := strconv.Itoa(os.Getpid())
	matches, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := data[bytes.LastIndexByte(data, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) > 1 && f[1] == self {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(m)))
			out = append(out, pid)
		}
	}
	return out
}

// openFDs returns the number of open descriptors of this process.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // the directory's own
}

// leakCheck records the children and descriptors of the process and, at
// the end of the test, fails it if a child is left (a zombie included) or a
// descriptor is still open.
func leakCheck(t *testing.T) {
	t.Helper()
	warmUp.Do(func() {
		// The runtime opens descriptors of its own on first use (the
		// poller, a probe of pidfd): let it before counting.
		if err := exec.Command("/bin/sh", "-c", "exit 0").Run(); err != nil {
			t.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		w.Close()
	})
	if kids := children(t); len(kids) != 0 {
		t.Fatalf("children before the test: %v (an earlier test leaked them)", kids)
	}
	before := openFDs(t)
	t.Cleanup(func() {
		if kids := children(t); len(kids) != 0 {
			t.Errorf("children left after the test: %v", kids)
		}
		if after := openFDs(t); after != before {
			t.Errorf("open descriptors: %d after the test, %d before", after, before)
		}
	})
}

// processGone waits until pid no longer runs (it does not exist or is a
// zombie that its new parent has not reaped), and reports whether it went
// within the safety-net timeout.
func processGone(pid int) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		rest := data[bytes.LastIndexByte(data, ')')+1:]
		if f := strings.Fields(string(rest)); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

var warmUp sync.Once

func unixGetsid() (int, error) { return unix.Getsid(0) }

func itoa(i int) string { return strconv.Itoa(i) }

func atoi(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }
