package anyio_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
)

// runStreams runs fn as the root task of a Run and fails t on its error. The
// timeout is a safety net against a hang, never a synchronisation.
//
// Only the tests of conn.go, ioadapt.go and multilistener.go still use it:
// they move to anyiotest.Run with the other socket tests, and this file goes
// with them.
func runStreams(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := anyio.Run(ctx, fn); err != nil {
		t.Fatal(err)
	}
}
