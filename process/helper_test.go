//go:build unix

package process_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/process"
)

// helper returns the argv that runs the test binary as a child playing part
// mode (see runHelper), with args.
func helper(mode string, args ...string) []string {
	return append([]string{testBinary(), mode}, args...)
}

func testBinary() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

// helperCmd is helper as an *exec.Cmd.
func helperCmd(mode string, args ...string) *exec.Cmd {
	argv := helper(mode, args...)
	return exec.Command(argv[0], argv[1:]...)
}

// Shell stand-ins for the simple children: /bin/sh and the standard tools
// start far faster than the test binary, which under the race detector
// takes about a second to start on a loaded machine.
var (
	catArgv        = []string{"cat"}
	catToNullArgv  = process.Shell("cat >/dev/null")
	sleepArgv      = process.Shell("exec sleep 3600")
	readySleepArgv = process.Shell("echo ready; exec sleep 3600")
	// The session and the process group of the shell.
	sessionArgv   = process.Shell(`set -- $(cut -d" " -f5,6 /proc/$$/stat); echo "$2 $1"`)
	stdinSaysArgv = process.Shell(`read -r txt; echo "stdin says \"$txt\" but stderr says NO!" >&2; echo "stdin says \"$txt\" and stdout says YES!"`)
)

// outErrExit writes a line to stderr, then one to stdout, and exits with
// code (AnyIO's test_run_process_checked).
func outErrExit(code int) []string {
	return process.Shell(fmt.Sprintf("echo stderr-text >&2; echo stdout-text; exit %d", code))
}

// writeZeros writes n zero bytes to stdout.
func writeZeros(n int) []string { return process.Shell(fmt.Sprintf("head -c %d /dev/zero", n)) }

// runHelper plays the part of a child process in a test and returns its
// exit status.
func runHelper(mode string, args []string) int {
	switch mode {
	case "reverse": // print stdin reversed (AnyIO's test_run_process)
		data, _ := io.ReadAll(os.Stdin)
		slices.Reverse(data)
		fmt.Printf("%s\n", data)
	case "out-err-exit": // AnyIO's test_run_process_checked
		fmt.Fprintln(os.Stderr, "stderr-text")
		fmt.Println("stdout-text")
		code, _ := strconv.Atoi(args[0])
		return code
	case "sleep": // run until killed
		time.Sleep(time.Hour)
	case "sigterm-exit2": // AnyIO's test_terminate
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("ready")
		select {
		case <-c:
			return 2
		case <-time.After(time.Minute):
		}
	case "spawn": // spawn REPORT THEN PART...: start a grandchild playing
		// PART that inherits the standard streams, write "<its pid>\n" to
		// REPORT ("fd3" or "stdout"), then THEN: "exit" or "sleep".
		cmd := exec.Command(testBinary(), args[2:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		report := os.Stdout
		if args[0] == "fd3" {
			report = os.NewFile(3, "report")
		}
		fmt.Fprintf(report, "%d\n", cmd.Process.Pid)
		if args[1] == "sleep" {
			time.Sleep(time.Hour)
		}
		cmd.Process.Release()
	case "wait-stdin": // return when stdin ends, or after 10 s
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, os.Stdin)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	case "inherit-run": // AnyIO's test_run_process_inherit_stdout, from inside
		_, err := process.Run(context.Background(), helper("out-err-exit", "0"),
			process.Check(true), process.Stdout(process.Inherit), process.Stderr(process.Inherit))
		if err != nil {
			fmt.Fprintln(os.Stderr, "Run:", err)
			return 1
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown helper part %q\n", mode)
		return 99
	}
	return 0
}

// umaskOf reads the umask of process pid ("self" for this one) from
// /proc, which leaves it unchanged.
func umaskOf(pid string) string {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
