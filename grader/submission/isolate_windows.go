//go:build windows

package submission

import (
	"os/exec"
	"syscall"
)

func namespacesAvailable() bool { return false }

// isolate starts the child in its own process group. Windows has no
// rlimits or namespaces here; grade untrusted submissions in a VM.
func isolate(cmd *exec.Cmd, jail bool) string {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	return "own process group, empty environment (no limits on Windows)"
}

// killTree kills the child (its functions are killed by the local cloud
// as it exits; a function's own children may survive on Windows).
func killTree(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func applyLimits(Limits) error { return nil }

func loopbackUp() error { return errNoJail }
