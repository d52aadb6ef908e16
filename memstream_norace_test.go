//go:build !race

package anyio_test

// streamsRace tells the stream tests that the race detector is on (see
// memstream_race_test.go).
const streamsRace = false
