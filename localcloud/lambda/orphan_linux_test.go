package lambda

import (
	"bufio"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
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

// readPIDs waits for the orphan function's pid file: the bootstrap's pid
// and its setsid child's.
func readPIDs(t *testing.T, path string) (boot, child int) {
	t.Helper()
	waitFor(t, 20*time.Second, "the orphan function's pid file", func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(b), &boot, &child)
		return err == nil
	})
	return boot, child
}

func orphanPayload(mode, pidFile string) string {
	b, _ := json.Marshal(map[string]string{"mode": mode, "pidFile": pidFile})
	return string(b)
}

// TestNoOrphans: a function whose bootstrap starts a child that calls
// setsid (leaving the bootstrap's process group and session) leaves no
// process behind at a timeout, a crash, or when its idle environment is
// reaped.
func TestNoOrphans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mode string
		wantError  string // the invocation's error type, "" for success
		reap       bool
	}{
		{"timeout", "hang", "Sandbox.Timedout", false},
		{"crash", "crash", "Runtime.ExitError", false},
		{"reaped when idle", "return", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, url := testService(t, nil)
			c := client(url, cloudtest.Account)
			createFunction(t, c, "orphan", zipOf(t, "orphan"), func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
			pidFile := filepath.Join(t.TempDir(), "pids")
			out, err := tryInvoke(c, "orphan", orphanPayload(tt.mode, pidFile), nil)
			require.NoError(t, err)
			boot, child := readPIDs(t, pidFile)
			if tt.wantError == "" {
				require.Nil(t, out.FunctionError, "payload %s", out.Payload)
				require.False(t, processGone(boot), "the warm bootstrap must run until it is reaped")
				require.False(t, processGone(child), "the setsid child must run until the environment is reaped")
			} else {
				require.Equal(t, tt.wantError, fnErrorOf(t, out).Type)
			}
			if tt.reap {
				// What reapIdle does once the environment idled too long.
				for _, e := range s.envs.idleSince(time.Now().Add(time.Hour)) {
					e.stop()
				}
			}
			waitFor(t, 10*time.Second, "the bootstrap to go", func() bool { return processGone(boot) })
			waitFor(t, 10*time.Second, "the setsid child to go", func() bool { return processGone(child) })
		})
	}
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

// The cloud-exit test runs a cloud in a copy of the test binary
// (orphanCloudEnv set), kills it with SIGKILL and checks that the function's
// bootstrap and its setsid child die with it: the watchdog's work.
const orphanCloudEnv = "LABKIT_TEST_ORPHAN_CLOUD"

func TestNoOrphansWhenTheCloudIsKilled(t *testing.T) {
	if os.Getenv(orphanCloudEnv) != "" {
		runOrphanCloud(t)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "orphan.zip")
	require.NoError(t, os.WriteFile(zipPath, zipOf(t, "orphan"), 0o600))
	pidFile := filepath.Join(dir, "pids")

	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphansWhenTheCloudIsKilled$", "-test.v")
	cmd.Env = append(os.Environ(), orphanCloudEnv+"="+zipPath+string(os.PathListSeparator)+pidFile)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	var once sync.Once
	cleanup := func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	t.Cleanup(cleanup)

	// The cloud prints "ready" once the invocation returned and the
	// environment waits, warm, with its child.
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if sc.Text() == "orphan-cloud: ready" {
			ready = true
			break
		}
	}
	require.True(t, ready, "the cloud process ended before it was ready")
	boot, child := readPIDs(t, pidFile)
	require.False(t, processGone(boot), "the warm bootstrap runs while the cloud does")
	require.False(t, processGone(child), "the setsid child runs while the cloud does")

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cleanup()
	waitFor(t, 10*time.Second, "the bootstrap to go", func() bool { return processGone(boot) })
	waitFor(t, 10*time.Second, "the setsid child to go", func() bool { return processGone(child) })
}

// runOrphanCloud is the cloud process of TestNoOrphansWhenTheCloudIsKilled.
func runOrphanCloud(t *testing.T) {
	zipPath, pidFile, _ := strings.Cut(os.Getenv(orphanCloudEnv), string(os.PathListSeparator))
	code, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "orphan", code, nil)
	out := invoke(t, c, "orphan", orphanPayload("return", pidFile), nil)
	require.Nil(t, out.FunctionError, "payload %s", out.Payload)
	fmt.Println("orphan-cloud: ready")
	select {} // until killed
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
		waitFor(t, 5*time.Second, "process "+strconv.Itoa(pid)+" to go", func() bool { return processGone(pid) })
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
