//go:build unix

package process

import (
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// prepareSys applies the options that become cmd.SysProcAttr (a copy of
// cmd's own, which is kept) and reports whether the child will lead a
// process group of its own, which a cancellation kills as a whole.
func prepareSys(cmd *exec.Cmd, cfg *config) (groupLeader bool, err error) {
	sys := &syscall.SysProcAttr{}
	if cmd.SysProcAttr != nil {
		c := *cmd.SysProcAttr
		sys = &c
	}
	if cfg.newSession {
		sys.Setsid = true
	}
	if cfg.userSet || cfg.groupSet || cfg.groupsSet {
		// As Python's subprocess: what is not given stays the parent's
		// (exec.Cmd always sets a uid and a gid when it has a Credential).
		cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}
		if sys.Credential != nil {
			c := *sys.Credential
			cred = &c
		}
		if cfg.userSet {
			if cred.Uid, err = lookupUser(cfg.user); err != nil {
				return false, err
			}
		}
		if cfg.groupSet {
			if cred.Gid, err = lookupGroup("Group", cfg.group); err != nil {
				return false, err
			}
		}
		if cfg.groupsSet {
			cred.Groups = make([]uint32, len(cfg.extraGroups))
			for i, g := range cfg.extraGroups {
				if cred.Groups[i], err = lookupGroup("ExtraGroups", g); err != nil {
					return false, err
				}
			}
			cred.NoSetGroups = false
		}
		sys.Credential = cred
	}
	cmd.SysProcAttr = sys
	return sys.Setsid || (sys.Setpgid && sys.Pgid == 0), nil
}

// lookupUser returns the user ID of a user name or decimal ID.
func lookupUser(name string) (uint32, error) {
	if id, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(id), nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, &invalidError{msg: "User(" + strconv.Quote(name) + ")", cause: err}
	}
	id, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, &invalidError{msg: "User(" + strconv.Quote(name) + "): user ID " + u.Uid, cause: err}
	}
	return uint32(id), nil
}

// lookupGroup returns the group ID of a group name or decimal ID.
func lookupGroup(opt, name string) (uint32, error) {
	if id, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(id), nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, &invalidError{msg: opt + "(" + strconv.Quote(name) + ")", cause: err}
	}
	id, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, &invalidError{msg: opt + "(" + strconv.Quote(name) + "): group ID " + g.Gid, cause: err}
	}
	return uint32(id), nil
}

// killGroup kills the process group pgid. The caller makes sure that its
// leader is not reaped yet, so that the ID names the child's group.
func killGroup(pgid int) { syscall.Kill(-pgid, syscall.SIGKILL) }

// terminate asks the process to end: SIGTERM.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

func shellArgv(cmd string) []string { return []string{"/bin/sh", "-c", cmd} }
