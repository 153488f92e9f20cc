package lambda

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnePassFindsEveryMarker: one pass over /proc finds the processes of
// several environments, each under its own marker, and a process that
// merely has a marker's text inside another variable is not one of them.
func TestOnePassFindsEveryMarker(t *testing.T) {
	t.Parallel()
	a, b := "LABKIT_TEST_MARKER="+randomHex(8), "LABKIT_TEST_MARKER="+randomHex(8)
	start := func(env ...string) int {
		cmd := exec.Command("sleep", "300")
		cmd.Env = append(os.Environ(), env...)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	pa, pb := start(a), start(b)
	start("NOT_A_MARKER=" + a)
	want := map[string][]int{a: {pa}, b: {pb}}
	var got map[string][]int
	waitFor(t, 10*time.Second, "both processes to carry their markers", func() bool {
		got = markedProcessesOf(map[string]bool{a: true, b: true})
		return len(got[a]) == 1 && len(got[b]) == 1
	})
	assert.Equal(t, want, got)

	s := &sweeper{}
	assert.Equal(t, []int{pa}, s.sweep(a))
	sweepKill(0, func() []int { return s.sweep(a) })
	waitFor(t, 10*time.Second, "the swept process to go", func() bool { return processGone(pa) })
	assert.False(t, processGone(pb), "the other environment's process is left alone")
}
