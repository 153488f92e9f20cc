package lambda

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// groupAttr starts a bootstrap as the leader of a new process group. macOS
// has no Pdeathsig: the watchdog kills the group when the cloud dies.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// markedProcessesOf lists, for each of markers, the processes whose
// environment holds it, read through kern.procargs2 (allowed for the
// user's own processes), in one pass.
func markedProcessesOf(markers map[string]bool) map[string][]int {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil
	}
	self := unix.Getpid()
	out := map[string][]int{}
	for _, p := range procs {
		pid := int(p.Proc.P_pid)
		if pid <= 1 || pid == self || p.Proc.P_stat == 5 { // SZOMB
			continue
		}
		b, err := unix.SysctlRaw("kern.procargs2", pid)
		if err != nil {
			continue
		}
		environMarkers(procArgsEnviron(b), markers, func(marker string) { out[marker] = append(out[marker], pid) })
	}
	return out
}

// peakMemoryMB is the process's lifetime peak physical footprint (what
// Activity Monitor calls its memory), from libSystem's proc_pid_rusage,
// called without cgo the way golang.org/x/sys calls libSystem.
func peakMemoryMB(pid int) int {
	var buf [rusageInfoV4Size]byte
	r, _, _ := syscall_syscall(libc_proc_pid_rusage_trampoline_addr, uintptr(pid), rusageInfoV4, uintptr(unsafe.Pointer(&buf[0])))
	if int32(r) != 0 {
		return 0
	}
	return rusagePeakMB(buf[:])
}

//go:linkname syscall_syscall syscall.syscall
func syscall_syscall(fn, a1, a2, a3 uintptr) (r1, r2 uintptr, err syscall.Errno)

// libc_proc_pid_rusage_trampoline_addr is the address of the trampoline to
// proc_pid_rusage (proc_darwin_*.s).
var libc_proc_pid_rusage_trampoline_addr uintptr

//go:cgo_import_dynamic libc_proc_pid_rusage proc_pid_rusage "/usr/lib/libSystem.B.dylib"
