package lambda

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// groupAttr starts a bootstrap as the leader of a new process group. macOS
// has no Pdeathsig: the watchdog kills the group when the cloud dies.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// markedProcesses lists the processes whose environment holds marker, read
// through kern.procargs2 (allowed for the user's own processes).
func markedProcesses(marker string) []int {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil
	}
	self := unix.Getpid()
	var pids []int
	for _, p := range procs {
		pid := int(p.Proc.P_pid)
		if pid <= 1 || pid == self || p.Proc.P_stat == 5 { // SZOMB
			continue
		}
		b, err := unix.SysctlRaw("kern.procargs2", pid)
		if err != nil {
			continue
		}
		if environHas(procArgsEnviron(b), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// peakMemoryMB is not read on macOS (proc_pid_rusage needs cgo).
func peakMemoryMB(int) int { return 0 }
