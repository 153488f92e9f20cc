//go:build unix

package lambda

import (
	"testing"

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
