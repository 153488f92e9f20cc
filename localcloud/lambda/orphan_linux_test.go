package lambda

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// processGone reports whether pid no longer runs (gone or a zombie).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

// sessionOf returns the session id of pid, 0 when it cannot be read.
func sessionOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp session ...
	if len(f) < 4 {
		return 0
	}
	sid, _ := strconv.Atoi(f[3])
	return sid
}

// TestKillTreeReachesSetsidChildren shows why the marker sweep exists:
// killing the process group alone leaves a child that called setsid
// running; killTree does not.
func TestKillTreeReachesSetsidChildren(t *testing.T) {
	t.Parallel()
	marker := "LABKIT_TEST_MARKER=" + randomHex(8)
	childFile := filepath.Join(t.TempDir(), "child")
	cmd := exec.Command("sh", "-c", `setsid sleep 300 & echo $! > "$0"; wait`, childFile)
	cmd.Env = append(os.Environ(), marker)
	cmd.SysProcAttr = groupAttr()
	require.NoError(t, cmd.Start())
	var child int
	waitFor(t, 10*time.Second, "the child's pid", func() bool {
		b, err := os.ReadFile(childFile)
		if err != nil {
			return false
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && child > 0
	})
	waitFor(t, 10*time.Second, "the child to lead its own session", func() bool {
		return sessionOf(child) == child
	})
	waitFor(t, 10*time.Second, "the child to carry the marker", func() bool {
		return len(markedProcesses(marker)) == 2 // sh and sleep
	})

	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	require.False(t, processGone(child), "the setsid child survives a process-group kill")
	require.Equal(t, []int{child}, markedProcesses(marker))

	killTree(cmd.Process.Pid, marker)
	waitFor(t, 10*time.Second, "the setsid child to go", func() bool { return processGone(child) })
}

func TestCloseLeavesNoProcesses(t *testing.T) {
	t.Parallel()
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "worker", zipOf(t, "sleep"), nil)

	// One finished invocation that left a child process behind...
	var first struct{ PID, ChildPID int }
	json.Unmarshal(invoke(t, c, "worker", `{"ms":1,"spawn":true}`, nil).Payload, &first)
	if first.ChildPID == 0 {
		t.Fatal("the function did not start its child")
	}
	// ...and two running when Close comes, one with a child of its own.
	var wg sync.WaitGroup
	for _, p := range []string{`{"ms":20000,"spawn":true}`, `{"ms":20000}`} {
		wg.Add(1)
		go func() { defer wg.Done(); tryInvoke(c, "worker", p, nil) }()
	}
	waitFor(t, 20*time.Second, "two busy environments", func() bool { return busyEnvs(s) == 2 })
	var pids []int
	for _, pid := range envPIDs(s) {
		pids = append(pids, processGroup(pid)...)
	}
	pids = append(pids, first.ChildPID)
	if len(pids) < 4 {
		t.Fatalf("got processes %v, want at least 2 bootstraps and 2 children", pids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, pid := range pids {
		// Reparented children are reaped by init shortly after.
		waitFor(t, 30*time.Second, "process "+strconv.Itoa(pid)+" to go", func() bool { return processGone(pid) })
	}
	if n := len(envPIDs(s)); n != 0 {
		t.Errorf("got %d environments after Close, want 0", n)
	}
}

// processGroup returns the pids of the live processes in process group pgid.
func processGroup(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state ppid pgrp ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}
