package fromthread

import (
	"context"
	"testing"
)

// inPortalTask finds the portalFrame on the caller's stack, however deep,
// and only on the goroutine that runs it.
func TestInPortalTask(t *testing.T) {
	if inPortalTask() {
		t.Error("inPortalTask is true outside any portal task")
	}
	var deep func(n int) bool
	deep = func(n int) bool {
		if n == 0 {
			return inPortalTask()
		}
		return deep(n - 1)
	}
	for _, depth := range []int{0, 10, 63, 64, 65, 200} {
		var got, inGoroutine bool
		portalFrame(context.Background(), func(context.Context) {
			got = deep(depth)
			done := make(chan bool)
			go func() { done <- inPortalTask() }()
			inGoroutine = <-done
		})
		if !got {
			t.Errorf("inPortalTask %d frames below portalFrame = false, want true", depth)
		}
		if inGoroutine {
			t.Errorf("inPortalTask in a goroutine started below portalFrame = true, want false")
		}
	}
}
