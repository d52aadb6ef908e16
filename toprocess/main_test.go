package toprocess_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/toprocess"
)

func TestMain(m *testing.M) {
	toprocess.Init()
	if os.Getenv(orphanParentEnv) != "" {
		orphanParent()
		return
	}
	goleak.VerifyTestMain(m)
}
