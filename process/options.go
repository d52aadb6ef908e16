package process

import (
	"fmt"
	"os"
)

// Option configures [Run] and [RunCmd] (the keyword arguments of AnyIO's
// run_process). Every option that [Open] also accepts is a [CommonOption].
// When an option is given twice, the last one wins; a nil option is
// ignored.
type Option interface{ applyRun(*config) }

// OpenOption configures [Open] and [OpenCmd] (the keyword arguments of
// AnyIO's open_process).
type OpenOption interface{ applyOpen(*config) }

// CommonOption is an option that both [Run] and [Open] accept.
type CommonOption interface {
	Option
	OpenOption
}

// Redirect says where a standard stream of the child is connected: give one
// to [Stdin], [Stdout] or [Stderr] (an *os.File is the other choice).
type Redirect int

const (
	// Pipe connects the stream to a pipe of the parent: [Process.Stdin],
	// [Process.Stdout] or [Process.Stderr] for [Open]; [Run] feeds it from
	// [Input] or collects it into [Completed] (subprocess.PIPE).
	Pipe Redirect = iota + 1
	// DevNull connects the stream to the null device (subprocess.DEVNULL).
	DevNull
	// Inherit gives the child the parent's own stream (AnyIO's None).
	Inherit
	// ToStdout sends the standard error to wherever the standard output
	// goes; only [Stderr] accepts it (subprocess.STDOUT).
	ToStdout
)

// String returns the name of the redirect, e.g. "process.Pipe".
func (r Redirect) String() string {
	switch r {
	case Pipe:
		return "process.Pipe"
	case DevNull:
		return "process.DevNull"
	case Inherit:
		return "process.Inherit"
	case ToStdout:
		return "process.ToStdout"
	}
	return fmt.Sprintf("process.Redirect(%d)", int(r))
}

// config holds the options of one Run or Open. A field left at its zero
// value was not given.
type config struct {
	stdio       [3]any // nil: the default of Run or Open; else a Redirect, an *os.File or something wrong
	stdioSet    [3]bool
	input       []byte
	hasInput    bool
	check       bool
	dir         string
	dirSet      bool
	env         []string
	envSet      bool
	newSession  bool
	extraFiles  []*os.File
	extraSet    bool
	user, group string
	userSet     bool
	groupSet    bool
	extraGroups []string
	groupsSet   bool
	umask       int
	umaskSet    bool
}

func newConfig() *config { return &config{check: true} }

type commonOption func(*config)

func (o commonOption) applyRun(c *config)  { o(c) }
func (o commonOption) applyOpen(c *config) { o(c) }

type runOption func(*config)

func (o runOption) applyRun(c *config) { o(c) }

// Stdin connects the child's standard input to target: [Pipe], [DevNull],
// [Inherit] or an open *os.File. [Run] inherits by default (as AnyIO's
// run_process); [Open] makes a pipe. Anything else is an error from [Run]
// or [Open] (the child is not started); with [Run], give [Input] or Stdin,
// not both.
func Stdin(target any) CommonOption {
	return commonOption(func(c *config) { c.stdio[0], c.stdioSet[0] = target, true })
}

// Stdout connects the child's standard output to target: [Pipe] (the
// default), [DevNull], [Inherit] or an open *os.File. Anything else is an
// error from [Run] or [Open] (the child is not started).
func Stdout(target any) CommonOption {
	return commonOption(func(c *config) { c.stdio[1], c.stdioSet[1] = target, true })
}

// Stderr connects the child's standard error to target: [Pipe] (the
// default), [DevNull], [Inherit], [ToStdout] or an open *os.File. Anything
// else is an error from [Run] or [Open] (the child is not started).
func Stderr(target any) CommonOption {
	return commonOption(func(c *config) { c.stdio[2], c.stdioSet[2] = target, true })
}

// Input gives the bytes that [Run] writes to the child's standard input
// through a pipe, which it then closes: the child reads them and then the
// end of its input. An empty (or nil) input gives the child an empty input.
// A child that exits without reading all of it is no error.
func Input(data []byte) Option {
	return runOption(func(c *config) { c.input, c.hasInput = data, true })
}

// Check says whether [Run] returns a *[CalledError] when the child exits
// with a return code other than 0 (or is killed by a signal). It is true by
// default; with Check(false) the return code is only in [Completed].
func Check(check bool) Option {
	return runOption(func(c *config) { c.check = check })
}

// Dir runs the child in the directory dir (AnyIO's cwd), as exec.Cmd.Dir
// does.
func Dir(dir string) CommonOption {
	return commonOption(func(c *config) { c.dir, c.dirSet = dir, true })
}

// Env replaces the child's environment with env, a list of "KEY=value"
// entries as exec.Cmd.Env takes (a later entry for a key wins). A nil env
// inherits the parent's environment; an empty, non-nil one gives the child
// none. An entry without "=" is an error from [Run] or [Open] (the child is
// not started).
func Env(env []string) CommonOption {
	return commonOption(func(c *config) { c.env, c.envSet = env, true })
}

// StartNewSession starts the child in a session of its own (setsid(2)), so
// it leads a new process group, detached from the parent's terminal. When
// [Run] or [Process.Wait] is cancelled, the whole process group is killed,
// the child's own children included.
func StartNewSession() CommonOption {
	return commonOption(func(c *config) { c.newSession = true })
}

// ExtraFiles passes open files to the child beyond its standard streams
// (AnyIO's pass_fds): as exec.Cmd.ExtraFiles, the child sees files[i] as
// descriptor 3+i, and a nil entry leaves that descriptor closed. The parent
// keeps its own files open. A closed file is an error from [Run] or [Open]
// (the child is not started).
func ExtraFiles(files ...*os.File) CommonOption {
	return commonOption(func(c *config) { c.extraFiles, c.extraSet = files, true })
}

// User runs the child as user: a user name or a decimal user ID. The
// child's group and supplementary groups stay those of the parent unless
// [Group] or [ExtraGroups] is given (as Python's subprocess does). Changing
// to another user needs the privilege to (root, or CAP_SETUID); an unknown
// user is an error from [Run] or [Open]. Not available on Windows.
func User(user string) CommonOption {
	return commonOption(func(c *config) { c.user, c.userSet = user, true })
}

// Group runs the child with the group group: a group name or a decimal
// group ID. An unknown group is an error from [Run] or [Open]. Not
// available on Windows.
func Group(group string) CommonOption {
	return commonOption(func(c *config) { c.group, c.groupSet = group, true })
}

// ExtraGroups sets the child's supplementary groups (setgroups(2)), each a
// group name or a decimal group ID; no groups clears them. It needs the
// privilege to (root, or CAP_SETGID); an unknown group is an error from
// [Run] or [Open]. Not available on Windows.
func ExtraGroups(groups ...string) CommonOption {
	return commonOption(func(c *config) { c.extraGroups, c.groupsSet = groups, true })
}

// Umask sets the child's file mode creation mask (umask(2)) to mask, from 0
// to 0o777. Go starts children without a hook between fork and exec, so on
// Linux the child is started from a thread of its own whose umask is set
// apart from the rest of the process (unshare(2) of CLONE_FS); the parent's
// own umask never changes. Where that is not possible (other systems, or a
// sandbox that forbids unshare) Run and Open return an error matching
// [ErrUmaskUnsupported] and start nothing. A mask out of range is an error
// too.
func Umask(mask int) CommonOption {
	return commonOption(func(c *config) { c.umask, c.umaskSet = mask, true })
}
