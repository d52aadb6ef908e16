//go:build race

package anyio_test

// raceEnabled tells tests that the race detector is on: it instruments memory
// accesses and allocates shadow state, so allocation counts differ.
const raceEnabled = true
