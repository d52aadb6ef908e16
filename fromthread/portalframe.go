package fromthread

import (
	"context"
	"runtime"
	"sync"
)

// The functions of a portal that take no context (Call, StartTaskSoon,
// StartTask, Enter) refuse to run on the goroutine of a portal's task,
// which they would block outside anyio's cancellation. Go tells no
// goroutine its identity, so every portal task and body runs below a frame
// of portalFrame, and a call looks for that frame on its own stack: one
// unwinding of the stack (no symbolization), about as costly as a
// goroutine's start.

// portalFrame calls f(ctx); its frame marks a goroutine that runs a
// portal's task or body.
//
//go:noinline
func portalFrame(ctx context.Context, f func(ctx context.Context)) { f(ctx) }

// portalPC is the return address inside portalFrame of its call of f: the
// program counter that a portalFrame frame has on every stack.
var portalPC = sync.OnceValue(func() uintptr {
	var pc [1]uintptr
	portalFrame(context.Background(), func(context.Context) {
		// Skip runtime.Callers and this function: the caller's frame is
		// portalFrame's.
		runtime.Callers(2, pc[:])
	})
	return pc[0]
})

// inPortalTask reports whether the calling goroutine runs a task or the
// body of a BlockingPortal.
func inPortalTask() bool {
	want := portalPC()
	var pcs [64]uintptr
	skip := 2
	for {
		n := runtime.Callers(skip, pcs[:])
		for _, pc := range pcs[:n] {
			if pc == want {
				return true
			}
		}
		if n < len(pcs) {
			return false
		}
		skip += n
	}
}
