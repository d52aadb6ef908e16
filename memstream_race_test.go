//go:build race

package anyio_test

// streamsRace tells the stream tests that the race detector is on: the
// stress tests then move fewer items (the detector slows the hot path about
// tenfold) and the allocation checks are skipped (it allocates on its own).
const streamsRace = true
