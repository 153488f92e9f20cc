//go:build unix && !linux && !darwin

package lambda

import "syscall"

// groupAttr starts a bootstrap as the leader of a new process group.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// markedProcessesOf is not implemented on the BSDs: a descendant that
// leaves the bootstrap's process group is not found.
func markedProcessesOf(map[string]bool) map[string][]int { return nil }

func peakMemoryMB(int) int { return 0 }
