package lambda

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// The orphan tests run on every OS (Windows under Wine here, see the
// README's "Portability"): testdata/orphan's child detaches as far as its
// OS lets it, and must still die with the environment.

// wantDetach is how the orphan function's child must have detached: a
// session of its own on Unix; on Windows its request to break away from the
// bootstrap's job must have been refused (the job allows no breakaway).
func wantDetach() string {
	if runtime.GOOS == "windows" {
		return "breakaway-refused"
	}
	return "setsid"
}

// readPIDs waits for the orphan function's pid file: the bootstrap's pid,
// its detached child's, and checks how the child detached.
func readPIDs(t *testing.T, path string) (boot, child int) {
	t.Helper()
	var how string
	waitFor(t, 20*time.Second, "the orphan function's pid file", func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(b), &boot, &child, &how)
		return err == nil
	})
	require.Equal(t, wantDetach(), how, "how the child detached")
	return boot, child
}

func orphanPayload(mode, pidFile string) string {
	b, _ := json.Marshal(map[string]string{"mode": mode, "pidFile": pidFile})
	return string(b)
}

// TestNoOrphans: a function whose bootstrap starts a child that detaches
// (setsid: leaving the bootstrap's process group and session; Windows:
// asking to break away from its job, in a new process group without a
// console, and sharing the bootstrap's stdout and stderr) leaves no process
// and no open log pipe behind at a timeout, a crash, or when its idle
// environment is reaped.
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
			envs := watchEnvs(t, s)
			if tt.mode == "crash" {
				// The function crashes once the test has seen its
				// environment.
				go func() {
					if waitUntil(20*time.Second, func() bool { return len(envs()) > 0 }) {
						os.WriteFile(pidFile+".go", nil, 0o600)
					}
				}()
			}
			out, err := tryInvoke(c, "orphan", orphanPayload(tt.mode, pidFile), nil)
			require.NoError(t, err)
			boot, child := readPIDs(t, pidFile)
			if tt.wantError == "" {
				require.Nil(t, out.FunctionError, "payload %s", out.Payload)
				require.False(t, processGone(boot), "the warm bootstrap must run until it is reaped")
				require.False(t, processGone(child), "the detached child must run until the environment is reaped")
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
			waitFor(t, 10*time.Second, "the detached child to go", func() bool { return processGone(child) })
			// The child held the log pipe's write end: with the tree gone
			// the reader sees the end and closes the pipe.
			seen := envs()
			require.Len(t, seen, 1, "the function's environments")
			select {
			case <-seen[0].logsDone:
			case <-time.After(10 * time.Second):
				t.Fatal("the log pipe is still open after the process tree died")
			}
		})
	}
}

// watchEnvs records every environment s starts from now until the test
// ends; the returned function lists them.
func watchEnvs(t *testing.T, s *Service) func() []*env {
	var mu sync.Mutex
	var seen []*env
	known := map[*env]bool{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			s.envs.mu.Lock()
			for e := range s.envs.all {
				if !known[e] {
					known[e] = true
					mu.Lock()
					seen = append(seen, e)
					mu.Unlock()
				}
			}
			s.envs.mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return func() []*env {
		mu.Lock()
		defer mu.Unlock()
		return append([]*env(nil), seen...)
	}
}

// The cloud-exit test runs a cloud in a copy of the test binary
// (orphanCloudEnv set), kills it (SIGKILL; TerminateProcess on Windows) and
// checks that the function's bootstrap and its detached child die with it:
// the watchdog's work on Unix, the job object's kill-on-close on Windows.
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
	require.False(t, processGone(child), "the detached child runs while the cloud does")

	require.NoError(t, cmd.Process.Kill()) // SIGKILL, TerminateProcess: no cleanup runs
	cleanup()
	waitFor(t, 10*time.Second, "the bootstrap to go", func() bool { return processGone(boot) })
	waitFor(t, 10*time.Second, "the detached child to go", func() bool { return processGone(child) })
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
