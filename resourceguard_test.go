package anyio_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio"
)

func TestResourceGuard(t *testing.T) {
	g := anyio.NewResourceGuard("reading from")
	if err := g.Enter(); err != nil {
		t.Fatalf("first Enter = %v, want nil", err)
	}
	err := g.Enter()
	var busy *anyio.BusyResourceError
	if !errors.As(err, &busy) || busy.Action != "reading from" || !errors.Is(err, anyio.ErrBusyResource) {
		t.Fatalf("second Enter = %#v, want a *BusyResourceError for reading from", err)
	}
	if want := "anyio: another task is already reading from this resource"; err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	g.Exit()
	if err := g.Enter(); err != nil {
		t.Errorf("Enter after Exit = %v, want nil", err)
	}
	g.Exit()
}

func TestResourceGuardZeroValue(t *testing.T) {
	var g anyio.ResourceGuard
	if err := g.Enter(); err != nil {
		t.Fatal(err)
	}
	var busy *anyio.BusyResourceError
	if err := g.Enter(); !errors.As(err, &busy) || busy.Action != "using" {
		t.Errorf("second Enter of a zero guard = %v, want a *BusyResourceError for using", err)
	}
}

// Of many goroutines entering at once, exactly one gets in.
func TestResourceGuardConcurrent(t *testing.T) {
	g := anyio.NewResourceGuard("writing to")
	var in, busy atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			if err := g.Enter(); err == nil {
				in.Add(1)
			} else if errors.Is(err, anyio.ErrBusyResource) {
				busy.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if in.Load() != 1 || busy.Load() != 15 {
		t.Errorf("entered, busy = %d, %d, want 1, 15", in.Load(), busy.Load())
	}
}
