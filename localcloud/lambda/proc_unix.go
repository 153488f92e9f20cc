//go:build unix

package lambda

import (
	"errors"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
)

// unixStarter starts bootstraps in their own process group and tells the
// watchdog about each, so that the cloud's death still kills them.
type unixStarter struct {
	log  *slog.Logger
	once sync.Once
	wd   *watchdog // nil when it could not be started
}

func newHostStarter(log *slog.Logger) procStarter { return &unixStarter{log: log} }

func (s *unixStarter) start(cmd *exec.Cmd, marker string) (procTree, error) {
	s.once.Do(func() {
		wd, err := startWatchdog()
		if err != nil {
			// Pdeathsig (Linux) still kills the bootstrap itself.
			s.log.Warn("lambda: no watchdog; functions' child processes may outlive a crashed cloud", "err", err)
			return
		}
		s.wd = wd
	})
	cmd.SysProcAttr = groupAttr()
	// Registered before the start, so that a cloud dying in between still
	// has the watchdog sweep for the marker.
	s.wd.send("env", marker)
	if err := cmd.Start(); err != nil {
		s.wd.send("gone", marker)
		return nil, err
	}
	t := &unixTree{pid: cmd.Process.Pid, marker: marker, wd: s.wd}
	s.wd.send("pgid", marker, t.pid)
	return t, nil
}

func (s *unixStarter) close() {
	if s.wd != nil {
		s.wd.close()
	}
}

// unixTree is a bootstrap leading its own process group (pgid == pid).
type unixTree struct {
	pid    int
	marker string
	wd     *watchdog
}

func (t *unixTree) kill() { killTree(t.pid, t.marker) }

func (t *unixTree) peakMemoryMB() int { return peakMemoryMB(t.pid) }

func (t *unixTree) release() { t.wd.send("gone", t.marker) }

// killTree kills process group pgid and then every process still carrying
// marker: descendants that left the group (setpgid, setsid). A process
// forking while it is swept is found by the next round.
func killTree(pgid int, marker string) {
	if pgid > 0 {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	for range 20 {
		pids := markedProcesses(marker)
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				continue
			}
		}
	}
}
