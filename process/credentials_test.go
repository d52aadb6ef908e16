//go:build linux

package process_test

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
)

// ids runs a shell with opts that reports its credentials and umask as
// "uid=U gid=G groups=[...] umask=M" (the shell, not the test binary: a
// user other than root may not run the test binary).
func ids(t *testing.T, ctx context.Context, opts ...process.Option) string {
	t.Helper()
	s, err := idsErr(ctx, opts...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s
}

// idsErr is ids for a task other than the test's.
func idsErr(ctx context.Context, opts ...process.Option) (string, error) {
	res, err := process.Run(ctx, process.Shell("grep -E '^(Uid|Gid|Groups|Umask):' /proc/self/status"), opts...)
	if err != nil {
		return "", err
	}
	f := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f[k] = strings.Fields(v)
	}
	var groups []int
	for _, g := range f["Groups"] {
		n, _ := strconv.Atoi(g)
		groups = append(groups, n)
	}
	slices.Sort(groups)
	if groups == nil {
		groups = []int{}
	}
	return fmt.Sprintf("uid=%s gid=%s groups=%v umask=%s", first(f["Uid"]), first(f["Gid"]), groups, first(f["Umask"])), nil
}

func first(s []string) string {
	if len(s) == 0 {
		return "?"
	}
	return s[0]
}

func ownGroups(t *testing.T) []int {
	t.Helper()
	groups, err := os.Getgroups()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(groups)
	return groups
}

// Ports AnyIO's test_user_group_arguments: the process's own user and
// group, and a umask of 0, are accepted.
func TestUserGroupArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  process.CommonOption
	}{
		{"user", process.User(strconv.Itoa(os.Getuid()))},
		{"group", process.Group(strconv.Itoa(os.Getgid()))},
		{"umask", process.Umask(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			anyiotest.Run(t, func(ctx context.Context) error {
				res, err := process.Run(ctx, process.Shell("echo hello"), tc.opt)
				if err != nil {
					return err
				}
				if got := string(res.Stdout); got != "hello\n" {
					t.Errorf("Run printed %q, want hello", got)
				}
				return nil
			})
		})
	}
}

// User, Group and ExtraGroups as root: the child runs with the IDs asked
// for, by name or by number; what is not asked for stays the parent's.
func TestCredentials(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("changing to another user needs root; this test runs as uid", os.Getuid())
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user \"nobody\" to run as: %v", err)
	}
	groupName := func(gid string) string {
		g, err := user.LookupGroupId(gid)
		if err != nil {
			t.Skipf("no name for group %s: %v", gid, err)
		}
		return g.Name
	}
	leakCheck(t)
	anyiotest.Run(t, func(ctx context.Context) error {
		parent := ids(t, ctx)
		for _, tc := range []struct {
			name string
			opts []process.Option
			want string
		}{
			{"user by name", []process.Option{process.User("nobody")},
				fmt.Sprintf("uid=%s gid=%d groups=%v", nobody.Uid, os.Getgid(), ownGroups(t))},
			{"user by ID", []process.Option{process.User(nobody.Uid)},
				fmt.Sprintf("uid=%s gid=%d groups=%v", nobody.Uid, os.Getgid(), ownGroups(t))},
			{"group by name", []process.Option{process.Group(groupName(nobody.Gid))},
				fmt.Sprintf("uid=%d gid=%s groups=%v", os.Getuid(), nobody.Gid, ownGroups(t))},
			{"user, group and extra groups", []process.Option{process.User(nobody.Uid), process.Group(nobody.Gid), process.ExtraGroups("1", groupName("2"))},
				fmt.Sprintf("uid=%s gid=%s groups=[1 2]", nobody.Uid, nobody.Gid)},
			{"no extra groups", []process.Option{process.ExtraGroups()},
				fmt.Sprintf("uid=%d gid=%d groups=[]", os.Getuid(), os.Getgid())},
		} {
			got := ids(t, ctx, tc.opts...)
			if i := strings.Index(got, " umask="); i >= 0 {
				got = got[:i]
			}
			if got != tc.want {
				t.Errorf("%s: the child reports %q, want %q (the parent: %q)", tc.name, got, tc.want, parent)
			}
		}
		return nil
	})
}

// Umask sets the child's umask, and the parent's never changes, also
// while other goroutines create files meanwhile.
func TestUmask(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	parentMask := umaskOf("self")
	pm, err := strconv.ParseUint(parentMask, 8, 32)
	if err != nil {
		t.Fatalf("the parent's umask %q: %v", parentMask, err)
	}
	parentFileMode := fmt.Sprintf("%04o", 0o666&^pm)
	anyiotest.Run(t, func(ctx context.Context) error {
		for _, tc := range []struct {
			mask     int
			umask    string
			fileMode string
		}{
			{0o027, "0027", "0640"},
			{0o077, "0077", "0600"},
			{0, "0000", "0666"},
		} {
			res, err := process.Run(ctx, process.Shell("f='"+filepath.Join(dir, strconv.Itoa(tc.mask))+"'; touch \"$f\" && stat -c %04a \"$f\""), process.Umask(tc.mask))
			if err != nil {
				return err
			}
			if got := strings.TrimSpace(string(res.Stdout)); got != tc.fileMode {
				t.Errorf("Umask(%#o): the child made a file with mode %s, want %s", tc.mask, got, tc.fileMode)
			}
			got := ids(t, ctx, process.Umask(tc.mask))
			if !strings.HasSuffix(got, "umask="+tc.umask) {
				t.Errorf("Umask(%#o): the child reports %q, want umask=%s", tc.mask, got, tc.umask)
			}
		}
		// Concurrent runs with different masks, and the parent's own
		// files, each see their own umask.
		var mu sync.Mutex
		var bad []string
		err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			for i := range 8 {
				tg.StartSoon(func(ctx context.Context) error {
					mask := []int{0o002, 0o077}[i%2]
					got, err := idsErr(ctx, process.Umask(mask))
					if err != nil {
						return err
					}
					if want := fmt.Sprintf("umask=%04o", mask); !strings.HasSuffix(got, want) {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("Umask(%#o): the child reports %s", mask, got))
						mu.Unlock()
					}
					return nil
				})
				tg.StartSoon(func(ctx context.Context) error {
					name := filepath.Join(dir, fmt.Sprintf("parent-%d", i))
					f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o666)
					if err != nil {
						return err
					}
					st, err := f.Stat()
					f.Close()
					if err != nil {
						return err
					}
					if got := fmt.Sprintf("%04o", st.Mode().Perm()); got != parentFileMode {
						mu.Lock()
						bad = append(bad, "a file the parent made meanwhile has mode "+got+", want "+parentFileMode)
						mu.Unlock()
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, b := range bad {
			t.Error(b)
		}
		if m := umaskOf("self"); m != parentMask {
			t.Errorf("the parent's umask is %s after the runs, was %s", m, parentMask)
		}
		return nil
	})
}
