//go:build unix

package process_test

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv marks a run of the test binary as a child of a test: it then
// plays the part that os.Args[1] names (see helper_test.go) and exits.
const helperEnv = "ANYIO_PROCESS_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" && len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(runHelper(os.Args[1], os.Args[2:]))
	}
	// Children inherit the mark; only they have a part in os.Args[1].
	os.Setenv(helperEnv, "1")
	goleak.VerifyTestMain(m)
}
