//go:build linux

package submission

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

// namespacesAvailable reports whether this kernel offers user namespaces
// (whether this user may create one is only known by trying).
func namespacesAvailable() bool {
	_, err := os.Stat("/proc/self/ns/user")
	return err == nil
}

// isolate sets how the child starts: its own process group, killed if the
// grader dies, and with jail its own user (this user mapped to root inside,
// nothing else), mount, PID, network, IPC and UTS namespaces.
func isolate(cmd *exec.Cmd, jail bool) string {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	mode := "own process group, rlimits, empty environment"
	if jail {
		attr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		mode = "user, mount, PID and network namespaces, " + mode
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

// loopbackUp brings up the loopback interface of this process's (new)
// network namespace, which starts down.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer syscall.Close(fd)
	var req struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], "lo")
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&req))); errno != 0 {
		return fmt.Errorf("loopback flags: %w", errno)
	}
	req.flags |= syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&req))); errno != 0 {
		return fmt.Errorf("loopback up: %w", errno)
	}
	return nil
}
