package downstream

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFailureEnvRoundTrips sets and clears the switch and reads it back
// through ConfigFromEnv, the way the deployed service reads it.
func TestFailureEnvRoundTrips(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "accounting-records", "FAIL_RATE": "0.5"}
	tests := []struct {
		name    string
		on      bool
		rate    float64
		latency time.Duration
		want    Config
	}{
		{"on", true, 1, 0, Config{Table: "accounting-records", FailRate: 1}},
		{"on with latency", true, 0.25, 40 * time.Millisecond, Config{Table: "accounting-records", FailRate: 0.25, Latency: 40 * time.Millisecond}},
		{"off", false, 1, time.Second, Config{Table: "accounting-records"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := FailureEnv(base, tt.on, tt.rate, tt.latency)
			got, err := ConfigFromEnv(func(k string) string { return env[k] }, "", "", "")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, "0.5", base["FAIL_RATE"], "the input environment is not changed")
		})
	}
}
