//go:build unix

package anyio_test

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/anyio-go/anyio"
)

// Receive signals as a stream, for instance to reload a configuration on
// SIGHUP.
func ExampleOpenSignalReceiver() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		signals := anyio.OpenSignalReceiver(syscall.SIGHUP)
		defer signals.Close(ctx)

		syscall.Kill(os.Getpid(), syscall.SIGHUP) // as if from outside
		for sig, err := range anyio.Iterate(ctx, signals) {
			if err != nil {
				return err
			}
			fmt.Println("received", sig, "- reloading")
			break
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// received hangup - reloading
}
