//go:build unix

package lambda

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestSweepKillStopsWhenNothingIsNew: killing an environment sweeps again
// only while a sweep finds a process it had not killed yet (a child forked
// before the kill), not until the killed processes are gone. The pids are
// above any pid_max (Linux 2^22, macOS 99,999): kill answers ESRCH.
func TestSweepKillStopsWhenNothingIsNew(t *testing.T) {
	const a, b, c = 1<<22 + 101, 1<<22 + 102, 1<<22 + 103
	for _, tc := range []struct {
		name   string
		sweeps [][]int // what each sweep finds; the last repeats
		want   int
	}{
		{"nothing left", [][]int{nil}, 1},
		{"the group's processes still exiting", [][]int{{a, b}}, 2},
		{"still exiting, then gone", [][]int{{a, b}, {a}, nil}, 2},
		{"a child forked before the kill", [][]int{{a}, {a, b}, {b}}, 3},
		{"a grandchild too", [][]int{{a}, {b}, {c}, {a, b, c}}, 4},
		{"a new process every sweep", nil, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			got := sweepKill(0, func() []int {
				n++
				if tc.sweeps == nil {
					return []int{1<<22 + 1000 + n}
				}
				return tc.sweeps[min(n, len(tc.sweeps))-1]
			})
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want, n)
		})
	}
}

// TestSweeperSharesPasses: callers that ask while a pass runs wait for the
// next pass (it starts after they asked, so it sees what they killed before
// asking), and that one pass answers all of them, each with its own
// marker's processes.
func TestSweeperSharesPasses(t *testing.T) {
	const callers = 8
	var passes atomic.Int32
	first := make(chan struct{})
	s := &sweeper{}
	s.pass = func(markers map[string]bool) map[string][]int {
		n := int(passes.Add(1))
		if n == 1 {
			<-first // the others ask meanwhile
		}
		out := map[string][]int{}
		for m := range markers {
			i, _ := strconv.Atoi(strings.TrimPrefix(m, "M="))
			out[m] = []int{n*100 + i}
		}
		return out
	}
	got := make([][]int, callers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); got[0] = s.sweep("M=0") }()
	waitFor(t, 10*time.Second, "the first pass to start", func() bool { return passes.Load() == 1 })
	for i := 1; i < callers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = s.sweep("M=" + strconv.Itoa(i)) }()
	}
	waitFor(t, 10*time.Second, "the others to wait", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.waiting) == callers-1
	})
	close(first)
	wg.Wait()
	assert.Equal(t, int32(2), passes.Load(), "one pass for the first caller, one for the seven that asked during it")
	assert.Equal(t, []int{100}, got[0])
	for i := 1; i < callers; i++ {
		assert.Equal(t, []int{200 + i}, got[i], "caller %d is answered by the pass after it asked", i)
	}
	s.mu.Lock()
	assert.False(t, s.running, "no pass runs when nobody waits")
	s.mu.Unlock()
}
