//go:build linux

package submission

import (
	"os"
	"os/exec"
	"syscall"
)

// namespacesAvailable reports whether this kernel offers user namespaces
// (whether this user may create one is only known by trying).
func namespacesAvailable() bool {
	_, err := os.Stat("/proc/self/ns/user")
	return err == nil
}

// isolate sets how the child starts: its own process group, killed if the
// grader dies, and with jail its own user (this user mapped to root inside,
// nothing else), mount, PID, IPC and UTS namespaces.
func isolate(cmd *exec.Cmd, jail bool) string {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	mode := "own process group, rlimits, empty environment"
	if jail {
		attr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		mode = "user, mount and PID namespaces, " + mode
	}
	cmd.SysProcAttr = attr
	return mode
}

// killTree kills the child's process group; in its own PID namespace the
// kernel then kills every process of the namespace with it.
func killTree(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
}
