package downstream

import (
	"maps"
	"strconv"
	"time"
)

// FailureEnv returns a service function's environment with its failure
// switch set: FAIL_RATE rate and, when latency > 0, LATENCY_MS; with on
// false both are removed. The other variables are kept; env is not
// changed. The kit's `lab fail` and the grader's accounting-down check both
// flip the switch through it, so they write what ConfigFromEnv reads.
func FailureEnv(env map[string]string, on bool, rate float64, latency time.Duration) map[string]string {
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, "FAIL_RATE")
	delete(out, "LATENCY_MS")
	if on {
		out["FAIL_RATE"] = strconv.FormatFloat(rate, 'f', -1, 64)
		if latency > 0 {
			out["LATENCY_MS"] = strconv.FormatInt(latency.Milliseconds(), 10)
		}
	}
	return out
}
