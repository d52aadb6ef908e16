//go:build unix && !linux

package process

import "os/exec"

// startCmd starts cmd. Other systems than Linux have no way to give one
// thread its own umask, so Umask is not supported there.
func startCmd(cmd *exec.Cmd, cfg *config) error {
	if cfg.umaskSet {
		return ErrUmaskUnsupported
	}
	return cmd.Start()
}

// waitExited reports that it cannot wait for the child without reaping it:
// the reaper then reaps at once, and a group kill can race with the reap.
func waitExited(pid int) bool { return false }
