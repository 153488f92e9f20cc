package cloudtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// crashDirEnv hands a crash child its data directory.
const crashDirEnv = "LABKIT_CRASH_CHILD_DIR"

// CrashChild is the process a kill -9 test kills. A package's
// TestCrashChild calls it: started by StartCrashChild, it serves the route
// newRoute builds on the data directory it was given, prints its URL and
// blocks until it is killed; in a normal test run it skips.
func CrashChild(t *testing.T, newRoute func(dataDir string) (protocol.Route, error)) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only runs as the child process of a kill -9 test")
	}
	route, err := newRoute(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("url", Serve(t, route))
	select {}
}

// CrashChildProcess is a child process serving a service until Kill.
type CrashChildProcess struct {
	URL string
	cmd *exec.Cmd
}

// StartCrashChild runs this test binary's TestCrashChild (which calls
// CrashChild) on dataDir and returns once it serves. The child is killed
// when the test ends, if Kill did not kill it before.
func StartCrashChild(t *testing.T, dataDir string) *CrashChildProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dataDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the crash child: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if url, ok := strings.CutPrefix(line, "url "); ok {
			go io.Copy(io.Discard, out) // the child never blocks on a full pipe
			return &CrashChildProcess{URL: url, cmd: cmd}
		}
		if strings.HasPrefix(line, "error ") {
			t.Fatalf("the crash child could not serve: %s", line)
		}
	}
	t.Fatal("the crash child exited without reporting its URL")
	return nil
}

// Kill kills the child with SIGKILL (it gets no chance to flush or close
// anything) and waits until it is gone.
func (c *CrashChildProcess) Kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the crash child: %v", err)
	}
	c.cmd.Wait()
}
