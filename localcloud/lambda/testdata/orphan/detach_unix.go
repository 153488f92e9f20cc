//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// startDetached starts the child in a session of its own (setsid): out of
// the bootstrap's process group and session.
func startDetached(newCmd func() *exec.Cmd) (*exec.Cmd, string, error) {
	cmd := newCmd()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd, "setsid", cmd.Start()
}
