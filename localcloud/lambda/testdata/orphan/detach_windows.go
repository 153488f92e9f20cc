package main

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detached leaves the bootstrap's process group (Ctrl+Break) and console.
const detached = windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS

// startDetached first asks to break away from the bootstrap's job object
// (CREATE_BREAKAWAY_FROM_JOB), which only a job allowing it grants; refused
// (access denied), it starts the child detached but still in the job.
// how is "breakaway" or "breakaway-refused".
func startDetached(newCmd func() *exec.Cmd) (*exec.Cmd, string, error) {
	cmd := newCmd()
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: detached | windows.CREATE_BREAKAWAY_FROM_JOB}
	err := cmd.Start()
	if err == nil {
		return cmd, "breakaway", nil
	}
	if !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return nil, "", err
	}
	cmd = newCmd()
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: detached}
	return cmd, "breakaway-refused", cmd.Start()
}
