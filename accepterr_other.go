//go:build !windows

package anyio

// platformBackOffErrors are the errors of running out of resources that
// the system has beyond the POSIX ones: none here.
var platformBackOffErrors []error
