//go:build unix

package lambda

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The watchdog is a copy of the running binary, started once per Service,
// that outlives the cloud. The cloud tells it on a pipe which environments
// exist; when the pipe closes (the cloud exited, crashed or was killed with
// SIGKILL) it kills every environment's process group and the processes
// carrying their markers, then exits. Any binary that links this package
// can be the watchdog: init runs it before main (or a test's TestMain).
const watchdogEnv = "LABKIT_LAMBDA_WATCHDOG"

func init() {
	if os.Getenv(watchdogEnv) != "1" {
		return
	}
	// Terminal and session signals meant for the cloud must not end the
	// watchdog before it has swept.
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGQUIT)
	runWatchdog(os.Stdin, killTree)
	os.Exit(0)
}

// watchdog is the cloud's end of the pipe.
type watchdog struct {
	mu  sync.Mutex
	w   *os.File
	cmd *exec.Cmd
}

func startWatchdog() (*watchdog, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start the lambda watchdog: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start the lambda watchdog: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{watchdogEnv + "=1"}
	cmd.Stdin = r
	// Its own process group: a Ctrl-C in the cloud's terminal does not
	// reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("start the lambda watchdog: %w", err)
	}
	go cmd.Wait()
	return &watchdog{w: w, cmd: cmd}, nil
}

// send writes one line of the protocol: "env MARKER" before a bootstrap
// starts, "pgid MARKER PID" once it runs, "gone MARKER" once it is reaped
// and its tree killed. A nil watchdog sends nothing.
func (wd *watchdog) send(verb, marker string, pid ...int) {
	if wd == nil {
		return
	}
	line := verb + "\t" + marker
	for _, p := range pid {
		line += "\t" + strconv.Itoa(p)
	}
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.w != nil {
		io.WriteString(wd.w, line+"\n")
	}
}

// close closes the pipe: the watchdog sweeps what is left and exits.
func (wd *watchdog) close() {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.w != nil {
		wd.w.Close()
		wd.w = nil
	}
}

// runWatchdog reads the protocol from r until it ends, then kills every
// environment still registered (pgid 0 when it never started).
func runWatchdog(r io.Reader, kill func(pgid int, marker string)) {
	live := map[string]int{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case len(f) == 2 && f[0] == "env":
			live[f[1]] = 0
		case len(f) == 3 && f[0] == "pgid":
			if pid, err := strconv.Atoi(f[2]); err == nil && pid > 0 {
				live[f[1]] = pid
			}
		case len(f) == 2 && f[0] == "gone":
			delete(live, f[1])
		}
	}
	for marker, pgid := range live {
		kill(pgid, marker)
	}
}
