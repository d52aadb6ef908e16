package toprocess_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/toprocess"
)

// The functions the tests run in worker processes, registered at package
// level as the package documentation says.

type point struct{ X, Y int }

var (
	double = toprocess.Register("toprocess_test.double", func(ctx context.Context, n int) (int, error) {
		return 2 * n, nil
	})
	getpid = toprocess.Register("toprocess_test.getpid", func(ctx context.Context, _ struct{}) (int, error) {
		return os.Getpid(), nil
	})
	sortDesc = toprocess.Register("toprocess_test.sortDesc", func(ctx context.Context, s []string) ([]string, error) {
		s = slices.Clone(s)
		slices.Sort(s)
		slices.Reverse(s)
		return s, nil
	})
	atoi = toprocess.Register("toprocess_test.atoi", func(ctx context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	})
	printLine = toprocess.Register("toprocess_test.print", func(ctx context.Context, s string) (struct{}, error) {
		fmt.Println(s)
		return struct{}{}, nil
	})
	writeStderr = toprocess.Register("toprocess_test.writeStderr", func(ctx context.Context, s string) (struct{}, error) {
		_, err := fmt.Fprint(os.Stderr, s)
		return struct{}{}, err
	})
	floodStderr = toprocess.Register("toprocess_test.floodStderr", func(ctx context.Context, n int) (string, error) {
		payload := strings.Repeat("x", n)
		for _, f := range []*os.File{os.Stdout, os.Stderr} {
			if _, err := f.WriteString(payload); err != nil {
				return "", err
			}
		}
		return "completed", nil
	})
	sleep = toprocess.Register("toprocess_test.sleep", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d)
		return os.Getpid(), nil
	})
	crash = toprocess.Register("toprocess_test.crash", func(ctx context.Context, how string) (int, error) {
		fmt.Fprintln(os.Stderr, "about to", how)
		switch how {
		case "panic":
			panic("boom in the worker")
		case "exit":
			os.Exit(3)
		case "nil dereference":
			var p *point
			return p.X, nil
		case "kill":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return 0, errors.New("unknown way to crash: " + how)
	})
	mirror = toprocess.Register("toprocess_test.mirror", func(ctx context.Context, p *point) (*point, error) {
		if p == nil {
			return nil, nil
		}
		return &point{X: p.Y, Y: p.X}, nil
	})
	// A worker busy until it is killed, which says so first.
	announceAndSleep = toprocess.Register("toprocess_test.announceAndSleep", func(ctx context.Context, _ struct{}) (struct{}, error) {
		fmt.Println(os.Getpid())
		time.Sleep(time.Hour)
		return struct{}{}, nil
	})
	// A function whose arguments gob cannot encode.
	takesFunc = toprocess.Register("toprocess_test.takesFunc", func(ctx context.Context, f func()) (int, error) {
		return 0, nil
	})
	// A function whose context is an anyio task's.
	hasTask = toprocess.Register("toprocess_test.hasTask", func(ctx context.Context, _ int) (bool, error) {
		return anyio.GetCurrentTask(ctx).ID != 0 && ctx.Err() == nil, nil
	})
)
