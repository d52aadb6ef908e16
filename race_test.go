//go:build race

package anyio_test

// raceEnabled tells tests whether the race detector is on: it instruments
// memory accesses and allocates shadow state, so allocation counts differ
// (allocation checks are skipped) and the hot paths run about ten times
// slower (stress tests move fewer items).
const raceEnabled = true
