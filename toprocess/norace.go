//go:build !race

package toprocess

const raceEnabled = false
