//go:build !race

package anyio_test

// raceEnabled tells tests that the race detector is on (see race_test.go).
const raceEnabled = false
