// Package process runs child processes the anyio way (AnyIO's run_process,
// open_process and Process): on top of os/exec, with cancellation through
// ctx, the child's pipes as anyio byte streams, and nothing left behind.
//
// [Run] runs a command to its end and collects its output:
//
//	res, err := process.Run(ctx, []string{"git", "rev-parse", "HEAD"})
//	if err != nil {
//		return err // a *process.CalledError if git exited with a code other than 0
//	}
//	fmt.Printf("%s", res.Stdout)
//
// [Open] starts a command and returns a [Process] whose Stdin, Stdout and
// Stderr are anyio streams, to be driven by tasks; [Process.Close] closes
// them and waits for the child:
//
//	p, err := process.Open(ctx, []string{"sort"})
//	if err != nil {
//		return err
//	}
//	defer p.Close(ctx)
//
// [RunCmd] and [OpenCmd] take an *exec.Cmd that a program already built,
// keeping its settings.
//
// # Cancellation
//
// Cancelling the ctx of [Run], [Process.Wait] or [Process.Close] kills the
// child with SIGKILL (its whole process group when it was started with
// [StartNewSession]), waits until it is reaped, closes the pipes and returns
// a cancellation error that matches anyio.ErrCancelled and ctx.Err(). A
// cancelled Receive or Send on a pipe returns promptly and leaves the child
// alone. A process started by the child that still holds a pipe does not
// keep a cancelled call waiting.
//
// # Options
//
// Options are checked by the compiler: [Input] and [Check] configure only
// [Run]; the others ([Stdin], [Stdout], [Stderr], [Dir], [Env],
// [StartNewSession], [ExtraFiles], [User], [Group], [ExtraGroups], [Umask])
// both [Run] and [Open]. A value that cannot be used is an error matching
// [ErrInvalidArgument], and nothing is started.
package process
