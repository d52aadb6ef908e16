//go:build race

package toprocess

// raceEnabled reports that this program is built with the race detector,
// whose exit sleeps a second (GORACE's atexit_sleep_ms) unless told not to:
// workers, which exit at their parent's word, are told not to.
const raceEnabled = true
