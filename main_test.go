package anyio_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childProgramEnv names the program of childPrograms that a re-executed
// test binary runs instead of the tests.
const childProgramEnv = "ANYIO_TEST_CHILD_PROGRAM"

// childPrograms are the programs that tests run in a child process, the
// test binary run again with childProgramEnv set; each returns its exit
// status. Test files add theirs in init.
var childPrograms = map[string]func() int{}

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		// A re-executed test binary that runs a program that crashes
		// (see crash_test.go) instead of the tests.
		crashChild()
		os.Exit(0)
	}
	if name := os.Getenv(childProgramEnv); name != "" {
		// A re-executed test binary that runs a program of a test (see
		// childPrograms) instead of the tests.
		program, ok := childPrograms[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "no child program %q\n", name)
			os.Exit(2)
		}
		os.Exit(program())
	}
	goleak.VerifyTestMain(m)
}
