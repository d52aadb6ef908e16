package fromthread

import "runtime"

// goid returns the ID of the calling goroutine. Go has no public API for
// it; the first line of the goroutine's own trace ("goroutine 18
// [running]:") has it. A portal uses it to refuse calls from its own tasks,
// which take no context that would tell.
func goid() uint64 {
	var buf [40]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
