package lowlevel_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/lowlevel"
)

// The examples call anyio.Run themselves, as a program does; tests use
// anyiotest.Run.

// connections counts connections per Run; every Run starts from the default.
var connections = lowlevel.NewRunVar("connections", 0)

func ExampleRunVar() {
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		_ = anyio.Run(ctx, func(ctx context.Context) error {
			n, _ := connections.Get(ctx)
			tok := connections.Set(ctx, n+1)
			n, _ = connections.Get(ctx)
			fmt.Printf("run %d: connections = %d\n", run, n)

			if err := connections.Reset(ctx, tok); err != nil {
				return err
			}
			n, _ = connections.Get(ctx)
			fmt.Printf("run %d: after Reset = %d\n", run, n)
			return nil
		})
	}

	// Outside any Run there is no value to read.
	_, err := connections.Get(ctx)
	fmt.Println(errors.Is(err, anyio.ErrLookup))
	// Output:
	// run 1: connections = 1
	// run 1: after Reset = 0
	// run 2: connections = 1
	// run 2: after Reset = 0
	// true
}

func ExampleRunVar_Get() {
	ctx := context.Background()
	name := lowlevel.NewRunVar[string]("server name") // no default
	_ = anyio.Run(ctx, func(ctx context.Context) error {
		_, err := name.Get(ctx)
		fmt.Println("unset:", errors.Is(err, anyio.ErrLookup))
		name.Set(ctx, "api-1")
		v, err := name.Get(ctx)
		fmt.Println(v, err)
		return nil
	})
	// Output:
	// unset: true
	// api-1 <nil>
}
