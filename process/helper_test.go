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

	"golang.org/x/sys/unix"

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

// runHelper plays the part of a child process in a test and returns its
// exit status.
func runHelper(mode string, args []string) int {
	switch mode {
	case "cat": // copy stdin to stdout
		io.Copy(os.Stdout, os.Stdin)
	case "reverse": // print stdin reversed (AnyIO's test_run_process)
		data, _ := io.ReadAll(os.Stdin)
		slices.Reverse(data)
		fmt.Printf("%s\n", data)
	case "out-err-exit": // AnyIO's test_run_process_checked
		fmt.Fprintln(os.Stderr, "stderr-text")
		fmt.Println("stdout-text")
		code, _ := strconv.Atoi(args[0])
		return code
	case "stdin-says": // AnyIO's test_*_connect_to_file
		data, _ := io.ReadAll(os.Stdin)
		txt := strings.TrimSpace(string(data))
		fmt.Fprintf(os.Stderr, "stdin says %q but stderr says NO!\n", txt)
		fmt.Printf("stdin says %q and stdout says YES!\n", txt)
	case "pwd":
		wd, _ := os.Getwd()
		fmt.Println(wd)
	case "getenv":
		for _, k := range args {
			fmt.Printf("%s=%s\n", k, os.Getenv(k))
		}
	case "getsid":
		sid, err := unix.Getsid(0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%d %d\n", sid, syscall.Getpgrp())
	case "ids": // uid gid groups umask
		groups, _ := syscall.Getgroups()
		slices.Sort(groups)
		fmt.Printf("uid=%d gid=%d groups=%v umask=%s\n", os.Getuid(), os.Getgid(), groups, umaskOf("self"))
	case "sleep": // run until killed
		time.Sleep(time.Hour)
	case "ready-sleep": // say "ready" on stdout, then run until killed
		fmt.Println("ready")
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
	case "write": // write args[0] bytes 0..255 over and over to stdout
		n, _ := strconv.Atoi(args[0])
		chunk := make([]byte, 256)
		for i := range chunk {
			chunk[i] = byte(i)
		}
		for ; n > 0; n -= len(chunk) {
			if _, err := os.Stdout.Write(chunk[:min(n, len(chunk))]); err != nil {
				return 1
			}
		}
	case "exit":
		code, _ := strconv.Atoi(args[0])
		return code
	case "read-fds": // print what descriptors 3.. hold, one line each
		for i := range args {
			f := os.NewFile(uintptr(3+i), args[i])
			data, err := io.ReadAll(f)
			if err != nil {
				fmt.Printf("fd %d: %v\n", 3+i, err)
				continue
			}
			fmt.Printf("fd %d: %s\n", 3+i, data)
		}
	case "signal-ready": // write "ready" to fd 3, then run until killed
		f := os.NewFile(3, "ready")
		f.WriteString("ready\n")
		f.Close()
		time.Sleep(time.Hour)
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
	case "mkfile": // create args[0] with mode 0666 and print its mode
		f, err := os.OpenFile(args[0], os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		st, _ := f.Stat()
		f.Close()
		fmt.Printf("%#o\n", st.Mode().Perm())
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
