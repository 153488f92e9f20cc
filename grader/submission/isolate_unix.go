//go:build unix && !linux

package submission

import (
	"os/exec"
	"syscall"
)

func namespacesAvailable() bool { return false }

// isolate puts the child in its own process group.
func isolate(cmd *exec.Cmd, jail bool) string {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return "own process group, rlimits, empty environment"
}

// killTree kills the child's process group.
func killTree(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
}

func loopbackUp() error { return errNoJail }
