// Package anyio brings structured concurrency to Go. It is a port of Python's
// AnyIO 4 (and, through it, of Trio's ideas): tasks are started in task
// groups that never let them outlive the code that started them,
// cancellation flows down a tree of cancel scopes, and failures flow up as
// errors.
//
// # The context is the task
//
// Go has no implicit "current task", so anyio passes it explicitly: every
// function that can block, or that acts for the current task, takes a
// context.Context first. A context made by anyio carries the chain of cancel
// scopes it runs in and the identity of its task. In every other way it is an
// ordinary context.Context: pass it to net/http or database/sql, or derive
// contexts from it with the context package; a derived context belongs to the
// same task and is cancelled with it.
//
// Run starts a tree of tasks over a plain context and returns the root task's
// error:
//
//	err := anyio.Run(ctx, func(ctx context.Context) error {
//		// ctx is the root task's context.
//		return serve(ctx)
//	})
//
// # Task groups
//
// A task group is how anyio starts tasks. WithTaskGroup runs a body with a
// *TaskGroup; the body, and the tasks it starts with TaskGroup.StartSoon or
// Start, may start more tasks while the group runs. WithTaskGroup returns
// only when the body and every task of the group have returned: on success,
// on error, on panic and on cancellation. A task therefore never outlives the
// function that started it, and everything a task did before it returned
// happens before WithTaskGroup returns.
//
//	err := anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
//		for _, url := range urls {
//			tg.StartSoon(func(ctx context.Context) error { return fetch(ctx, url) })
//		}
//		return nil
//	})
//
// The first failure — a task's error or panic, or the body's error — cancels
// the group, so that its other tasks stop at their next blocking call. Start
// is StartSoon with a handshake: the new task calls TaskStatus.Started once it
// is ready (a server has bound its port, say), and Start returns the value it
// passed; a task that fails before that fails the caller of Start, not the
// group.
//
// Tasks that produce a value are started with CreateTask, whose handle any
// task can Wait on, or run together with Gather (results in argument order),
// AMap (a function over an iter.Seq, with an optional Limit on how many calls
// run at once) or AsCompleted (handles in the order the tasks finish). A
// CreateTask task belongs to the group it was started in; the other three
// open a task group of their own. Either way the first failure cancels the
// rest, as above.
//
//	sizes, err := anyio.Gather(ctx, lookup("a"), lookup("b"), lookup("c"))
//
// # Cancel scopes
//
// A CancelScope is a region of code that can be cancelled as a whole.
// CancelScope.Run enters it and runs a body with the scope's context.
// CancelScope.Cancel cancels it from any goroutine, and a deadline (the
// Deadline option, CancelScope.SetDeadline) cancels it when the clock reaches
// it. Scopes nest: cancelling a scope cancels every scope and task inside it.
// Every task group has a scope of its own, TaskGroup.CancelScope.
//
// Cancellation is level-triggered. Once a scope is cancelled, every blocking
// anyio call inside it returns a cancellation error at once, and keeps doing
// so at every later call until the code leaves the scope: a task cannot miss
// a cancellation by ignoring the first error, it can only finish. Code that
// does not block is not interrupted; a long computation looks at ctx.Err() or
// calls lowlevel.CheckpointIfCancelled now and then.
//
// A cancellation error matches ErrCancelled and the context's Err()
// (context.Canceled; context.DeadlineExceeded when a plain context's deadline
// expired), so code that tests errors.Is(err, context.Canceled) keeps
// working. context.Cause of a cancelled scope's context says who cancelled,
// including the reason given to CancelScope.CancelWithReason. A scope's
// context is also cancelled when the scope exits, like a context whose cancel
// function was deferred.
//
// # Shielding
//
// A shielded scope (the Shielded option, or CancelScope.SetShield) does not
// see the cancellation of the scopes around it; its own Cancel and deadline
// still apply. It is for cleanup that has to block although its task is
// cancelled: flushing a buffer, saying goodbye to a peer. Give such a scope a
// deadline of its own, so that cleanup cannot hang:
//
//	err := work(ctx) // a cancellation error: the task is being cancelled
//	_ = anyio.MoveOnAfter(5*time.Second, anyio.Shielded()).Run(ctx,
//		func(ctx context.Context) error { return flush(ctx) })
//	return err
//
// Raising the shield of a scope whose context is already cancelled does not
// revive it: a context.Context stays done once it is done.
//
// # Deadlines and timeouts
//
// MoveOnAfter and MoveOnAt make scopes with a deadline: when it cuts the
// body short, Run returns nil and CancelScope.CancelledCaught reports true.
// FailAfter and FailAt make the same scopes, but their Run returns ErrTimeout
// (which matches context.DeadlineExceeded). A deadline can be moved after the
// scope was entered. The Deadline method of a scope's context reports the
// earliest deadline that applies, as does CurrentEffectiveDeadline, which
// also reports a deadline in the past for a context already cancelled. Sleep,
// SleepUntil and SleepForever wait for the clock or for cancellation.
//
// # Errors
//
// AnyIO's exceptions are sentinel errors (ErrCancelled, ErrTimeout,
// ErrClosedResource, ...) and error types (*BusyResourceError, ...) to test
// with errors.Is and errors.As. A task group reports the errors of its body
// and tasks, in the order they happened, as an *ExceptionGroup, whose
// Unwrap() []error lets errors.Is and errors.As look at every member.
// Functions that return error return an untyped nil on success.
//
// A panic is not turned into an error. A task that panics cancels the rest of
// its group; once every task of the group has returned, the goroutine that
// runs WithTaskGroup panics again with a *PanicError that holds the value
// given to panic, the stack of the goroutine that panicked, and the other
// failures of the group. Its message includes that stack, so a program that
// does not recover it crashes showing the line that panicked. A task that calls runtime.Goexit (as
// testing.T.FailNow does) fails with a *GoexitError.
//
// # Which scope swallows a cancellation
//
// CancelScope.Run returns its body's error, less the cancellation errors
// that this scope caused, by Cancel or by its deadline: those are swallowed
// (and CancelledCaught reports true), also from inside exception groups.
// When several nested scopes are cancelled, the outermost cancelled one up
// to the nearest shield swallows, provided it cancelled itself; inner scopes
// pass the cancellation on. A cancellation from a plain context is never
// swallowed. Task groups apply the same rule to their own scope: the
// cancellation errors of the group's tasks are kept with their failures, in
// order, and the scope that caused them, the group's own or one outside,
// removes them as the error passes through it; what is left of a group that
// was only cancelled is one cancellation error. So a cancelled task should
// return the cancellation error, or an error that wraps it, rather than nil
// or an error of its own making.
//
// # Foreign contexts
//
// A context that anyio did not make — context.Background(), a request's
// context in net/http, a test's context — works wherever a context is taken.
// It behaves as a task in a root scope: its cancellation and deadline are
// honoured like those of an outer scope, and are never swallowed, so Run and
// WithTaskGroup return a cancellation error that matches its Err().
// WithTaskGroup on such a context opens a Run of its own, so that an HTTP
// handler can use task groups directly. Task introspection (GetCurrentTask,
// GetRunningTasks, WaitAllTasksBlocked, DumpTasks) and run variables need a
// context from inside a Run. A goroutine started with a bare go statement
// shares the identity of the task whose context it uses: start tasks with a
// task group instead.
//
// # Package contents
//
//   - Running: [Run], [WithBackend], [GetAllBackends].
//   - Tasks: [WithTaskGroup], [TaskGroup], [Start], [TaskStatus], [TaskName].
//   - Task results: [CreateTask], [TaskHandle], [TaskStatusCode], [Gather],
//     [AMap], [Limit], [AsCompleted], [Future].
//   - Cancellation and time: [CancelScope], [NewCancelScope], [Deadline],
//     [Shielded], [MoveOnAfter], [MoveOnAt], [FailAfter], [FailAt],
//     [CurrentEffectiveDeadline], [Sleep], [SleepUntil], [SleepForever],
//     [CurrentTime].
//   - Introspection: [TaskInfo], [GetCurrentTask], [GetRunningTasks],
//     [WaitAllTasksBlocked], [DumpTasks].
//   - Errors: [ErrCancelled], [ErrTimeout] and the other sentinels,
//     [ExceptionGroup], [PanicError], [GoexitError], [CancelledError],
//     [BusyResourceError], [DelimiterNotFoundError], and the misuse errors
//     of the synchronization primitives ([ErrLockNotOwner], ...).
//   - Typed attributes: [TypedAttribute], [NewTypedAttribute],
//     [TypedAttributeProvider], [Extra], [ExtraOr], [MergeAttributes].
//   - Synchronization: [Event], [Lock], [Condition], [Semaphore],
//     [CapacityLimiter], [ResourceGuard].
//   - Streams: [ByteStream], [ObjectStream] and the other stream interfaces,
//     [Listener], [NewMemoryObjectStream], [Iterate], [IterateBytes],
//     [MultiListener], [CloseForcefully]; adapters [WrapConn], [AsConn],
//     [AsReader], [AsWriter].
//   - Networking: [ConnectTCP], [CreateTCPListener], [ConnectUnix],
//     [CreateUnixListener], [CreateUDPSocket], [CreateConnectedUDPSocket],
//     the UNIX datagram sockets, [GetAddrInfo], [GetNameInfo],
//     [WaitReadable], [WaitWritable], [WrapListener], [WrapPacketConn],
//     [TCPConnectable], [UnixConnectable], [SocketAttribute].
//   - Options: each function, or group of functions, has its own option
//     type ([RunOption], [TaskOption], [ScopeOption], [TimeoutOption],
//     [LockOption], [SemaphoreOption], [ConnectTCPOption],
//     [TCPListenerOption], [UnixListenerOption], [UDPSocketOption],
//     [UnixDatagramSocketOption], [AddrInfoOption]), so an option that means
//     nothing to a function does not compile.
//   - Signals: [OpenSignalReceiver], a stream of os.Signal.
//   - Package lowlevel: checkpoints and run variables.
//   - Package functools: an LRU cache with one computation per key at a
//     time, and Reduce.
//   - Package process: child processes (run to the end, or opened with
//     their pipes as byte streams), killed and reaped on cancellation.
//   - Packages streams/buffered, streams/text, streams/stapled,
//     streams/file and streams/tlsstream: the stream wrappers.
//   - Package anyiotest: test helpers (stream conformance suites, a
//     certificate authority, free ports).
//   - Package fileio: files with cancellable reads of pipes and FIFOs,
//     Path (Python's pathlib, with iterators that stop early), temporary
//     files and directories removed on Close.
//   - Packages tothread, fromthread and toprocess: blocking code on worker
//     goroutines (or locked OS threads), calls back into tasks and blocking
//     portals for synchronous code, and functions run in worker processes.
//   - Package anyiotest also runs test bodies: Run and RunVirtual.
//
// docs/FEATURES.md in the repository lists every AnyIO feature with its Go
// name and state.
package anyio
