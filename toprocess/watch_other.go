//go:build !unix

package toprocess

// watchParent has nothing to watch with outside Unix: a worker there ends
// at the end of its request pipe between calls only.
func watchParent(fd int) {}
