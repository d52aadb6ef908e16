package anyio_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		// A re-executed test binary that runs a program that crashes
		// (see crash_test.go) instead of the tests.
		crashChild()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
