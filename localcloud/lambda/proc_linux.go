package lambda

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procDir is Linux's process file system.
const procDir = "/proc"

// groupAttr starts a bootstrap as the leader of a new process group, sent
// SIGKILL by the kernel when the thread that started it exits: at the
// latest when the cloud exits (Go ends threads only of goroutines that
// locked one, which the cloud's do not).
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// markedProcessesOf lists, for each of markers, the live processes whose
// environment holds it, in one pass over /proc. Zombies have an empty
// environ and are not listed.
func markedProcessesOf(markers map[string]bool) map[string][]int {
	d, err := os.Open(procDir)
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	self := os.Getpid()
	out := map[string][]int{}
	buf := make([]byte, 64*1024)
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == self {
			continue
		}
		f, err := os.Open(procDir + "/" + n + "/environ")
		if err != nil {
			continue // gone, or another user's
		}
		m, _ := io.ReadFull(f, buf)
		f.Close()
		environMarkers(buf[:m], markers, func(marker string) { out[marker] = append(out[marker], pid) })
	}
	return out
}

// peakMemoryMB reads a process's peak resident memory (VmHWM).
func peakMemoryMB(pid int) int {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}
