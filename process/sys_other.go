//go:build !unix

package process

import (
	"os"
	"os/exec"
)

// prepareSys rejects the options that only Unix systems have.
func prepareSys(cmd *exec.Cmd, cfg *config) (groupLeader bool, err error) {
	switch {
	case cfg.newSession:
		return false, invalid("StartNewSession is not available on this system")
	case cfg.userSet || cfg.groupSet || cfg.groupsSet:
		return false, invalid("User, Group and ExtraGroups are not available on this system")
	}
	return false, nil
}

func startCmd(cmd *exec.Cmd, cfg *config) error {
	if cfg.umaskSet {
		return ErrUmaskUnsupported
	}
	return cmd.Start()
}

func waitExited(pid int) bool { return false }

func killGroup(pgid int) {}

// terminate ends the process: there is no gentler way here.
func terminate(p *os.Process) error { return p.Kill() }

func shellArgv(cmd string) []string { return []string{"cmd.exe", "/c", cmd} }
