package toprocess_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/toprocess"
)

func TestMain(m *testing.M) {
	toprocess.Init()
	switch {
	case os.Getenv(orphanParentEnv) != "":
		orphanParent()
		return
	case os.Getenv(rawWorkerEnv) != "":
		rawWorker()
		return
	}
	goleak.VerifyTestMain(m)
}
