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
	log    *slog.Logger
	once   sync.Once
	wd     *watchdog // nil when it could not be started
	sweeps sweeper
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
	t := &unixTree{pid: cmd.Process.Pid, marker: marker, wd: s.wd, sweeps: &s.sweeps}
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
	sweeps *sweeper
}

func (t *unixTree) kill() {
	sweepKill(t.pid, func() []int { return t.sweeps.sweep(t.marker) })
}

func (t *unixTree) peakMemoryMB() int { return peakMemoryMB(t.pid) }

func (t *unixTree) release() { t.wd.send("gone", t.marker) }

// killTree kills process group pgid and then every process still carrying
// marker: descendants that left the group (setpgid, setsid).
func killTree(pgid int, marker string) {
	sweepKill(pgid, func() []int { return markedProcesses(marker) })
}

// markedProcesses lists the live processes whose environment holds marker.
func markedProcesses(marker string) []int {
	return markedProcessesOf(map[string]bool{marker: true})[marker]
}

// sweeper shares sweeps between environments stopped at once: a sweep
// reads every process's environment (on Linux), and a class graded on one
// cloud stops environments for room by the hundred, each in its own
// goroutine. A caller waits for the next pass that starts after it asked,
// so what it killed before asking is never missed; one pass answers every
// caller waiting for it.
type sweeper struct {
	mu      sync.Mutex
	waiting map[string][]chan []int // by marker
	running bool
	// pass is markedProcessesOf unless a test sets it.
	pass func(markers map[string]bool) map[string][]int
}

// sweep lists the live processes carrying marker, from a pass over the
// processes that starts after the call.
func (s *sweeper) sweep(marker string) []int {
	ch := make(chan []int, 1)
	s.mu.Lock()
	if s.waiting == nil {
		s.waiting = map[string][]chan []int{}
	}
	s.waiting[marker] = append(s.waiting[marker], ch)
	if !s.running {
		s.running = true
		go s.passes()
	}
	s.mu.Unlock()
	return <-ch
}

// passes sweeps for the waiting callers until none is left.
func (s *sweeper) passes() {
	pass := s.pass
	if pass == nil {
		pass = markedProcessesOf
	}
	for {
		s.mu.Lock()
		batch := s.waiting
		if len(batch) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.waiting = nil
		s.mu.Unlock()
		markers := make(map[string]bool, len(batch))
		for m := range batch {
			markers[m] = true
		}
		found := pass(markers)
		for m, chs := range batch {
			for _, ch := range chs {
				ch <- found[m]
			}
		}
	}
}

// sweepKill kills process group pgid, then sweeps (lists the marked
// processes) and kills what each sweep finds until a sweep finds no process
// it has not already killed, at most 20 sweeps; it returns how many it made.
// A process sent SIGKILL forks no more (the kernel refuses a fork with a
// fatal signal pending, and delivers a group's signal to a child forked
// meanwhile), so a child forked before the kill is alive at the next sweep,
// and a sweep that finds only processes already killed is the last. Sweeping
// until none was left instead swept again while the killed processes were
// still exiting: on Linux a sweep reads every process's environment, and a
// class graded on one cloud stops thousands of environments for room
// (BenchmarkGradeClass: 29% of the process's CPU).
func sweepKill(pgid int, sweep func() []int) int {
	if pgid > 0 {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	killed := map[int]bool{}
	for n := 1; ; n++ {
		fresh := false
		for _, p := range sweep() {
			// Killed again even when known: the pid may have been reused.
			if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				continue
			}
			if !killed[p] {
				killed[p], fresh = true, true
			}
		}
		if !fresh || n == 20 {
			return n
		}
	}
}
