package lambda

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestMaxEnvironmentsStopsLeastRecentlyUsed: with room for two
// environments, a third function's first invocation stops the idle
// environment used longest ago (in another account too), and the others
// stay warm; every invocation still succeeds, as on AWS, where a reclaimed
// environment only means a cold start.
func TestMaxEnvironmentsStopsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.MaxEnvironments = 2 })
	a, b := client(url, cloudtest.Account), client(url, "222222222222")
	createFunction(t, a, "first", zipOf(t, "env"), nil)
	createFunction(t, a, "second", zipOf(t, "env"), nil)
	createFunction(t, b, "third", zipOf(t, "env"), roleIn("222222222222"))
	invokePID := func(name string) int {
		c := a
		if name == "third" {
			c = b
		}
		var o struct{ PID int }
		require.NoError(t, json.Unmarshal(invoke(t, c, name, `{}`, nil).Payload, &o))
		require.NotZero(t, o.PID)
		return o.PID
	}
	first := invokePID("first")
	second := invokePID("second")
	assert.Equal(t, first, invokePID("first"), "warm: first is now the most recently used")
	third := invokePID("third")
	waitFor(t, 30*time.Second, "second's idle environment to stop", func() bool { return processGone(second) && len(envPIDs(s)) == 2 })
	assert.ElementsMatch(t, []int{first, third}, envPIDs(s))
	assert.Equal(t, first, invokePID("first"), "first stayed warm")
	assert.Equal(t, third, invokePID("third"), "third stayed warm")
	assert.NotEqual(t, second, invokePID("second"), "second starts cold")
}

// TestMaxEnvironmentsNeverStopsBusy: a burst that needs more environments
// than the bound gets them all (busy environments are never stopped), and
// once they are idle the next new environment brings the count back down.
func TestMaxEnvironmentsNeverStopsBusy(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.MaxEnvironments = 2 })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "slow", zipOf(t, "sleep"), func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(120) })
	createFunction(t, c, "other", zipOf(t, "echo"), nil)
	const burst = 5
	// Each invocation holds its environment until the test has seen all
	// of them busy (a release file), however slowly processes start: the
	// function's 120 s timeout and its 110 s cap are far beyond the wait
	// below (the 9 s it held them before counted against five cold starts
	// on a loaded machine).
	release := filepath.Join(t.TempDir(), "release")
	payload := fmt.Sprintf(`{"ms":110000,"until":%q}`, release)
	// Released before the service closes (cleanups run last first) when
	// the test fails early, so a failure does not wait out the cap.
	t.Cleanup(func() { os.WriteFile(release, nil, 0o600) })
	pids := make([]int, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := tryInvoke(c, "slow", payload, nil)
			if !assert.NoError(t, err) || !assert.Nil(t, out.FunctionError) {
				return
			}
			var o struct{ PID int }
			assert.NoError(t, json.Unmarshal(out.Payload, &o))
			pids[i] = o.PID
		}()
	}
	waitFor(t, 90*time.Second, fmt.Sprintf("%d busy environments", burst), func() bool { return busyEnvs(s) == burst })
	require.NoError(t, os.WriteFile(release, nil, 0o600))
	wg.Wait()
	seen := map[int]bool{}
	for _, p := range pids {
		seen[p] = true
	}
	assert.Len(t, seen, burst, "each concurrent invocation had an environment of its own")
	invoke(t, c, "other", `{}`, nil)
	waitFor(t, 30*time.Second, "the idle environments beyond the bound to stop", func() bool { return len(envPIDs(s)) == 2 })
}
