package monitoring

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestConcurrentExecutions publishes invocation events on a real bus and
// reads AWS/Lambda ConcurrentExecutions back: the most invocations running
// at once in each minute, per function and for the account.
func TestConcurrentExecutions(t *testing.T) {
	bus := activity.NewBus()
	e := newEnv(t, func(c *Config) { c.Bus = bus })
	m0 := base.Truncate(time.Minute).Add(-5 * time.Minute)
	run := func(fn string, from, to time.Duration) {
		bus.Publish(activity.Event{Kind: activity.KindInvocation, Name: fn, Account: cloudtest.Account, Region: "us-east-1", Outcome: "ok",
			Time: m0.Add(to), Duration: to - from})
	}
	// Minute 0: a and b overlap three deep at 10-20 s; minute 1: one run
	// that started in minute 0 and one of b; minute 2: nothing; minute 3:
	// a throttled call does not run.
	run("a", 5*time.Second, 30*time.Second)
	run("a", 10*time.Second, 20*time.Second)
	run("b", 15*time.Second, 70*time.Second)
	run("b", 80*time.Second, 90*time.Second)
	run("c", 4*time.Minute, 4*time.Minute) // under a millisecond still ran
	bus.Publish(activity.Event{Kind: activity.KindInvocation, Name: "a", Account: cloudtest.Account, Region: "us-east-1", Outcome: "throttled", Time: m0.Add(3*time.Minute + time.Second)})
	peaks := func(d ...types.Dimension) map[int]float64 {
		out, err := e.cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"),
			MetricName: aws.String("ConcurrentExecutions"), Dimensions: d, StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(5 * time.Minute)),
			Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticMaximum}})
		require.NoError(t, err)
		got := map[int]float64{}
		for _, p := range out.Datapoints {
			got[int(p.Timestamp.Sub(m0)/time.Minute)] = *p.Maximum
		}
		return got
	}
	assert.Equal(t, map[int]float64{0: 3, 1: 1, 4: 1}, peaks())
	assert.Equal(t, map[int]float64{0: 2}, peaks(dims("FunctionName", "a")...))
	assert.Equal(t, map[int]float64{0: 1, 1: 1}, peaks(dims("FunctionName", "b")...))
	assert.Equal(t, map[int]float64{3: 1}, func() map[int]float64 {
		out, err := e.cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"),
			MetricName: aws.String("Throttles"), Dimensions: dims("FunctionName", "a"), StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(5 * time.Minute)),
			Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
		require.NoError(t, err)
		got := map[int]float64{}
		for _, p := range out.Datapoints {
			got[int(p.Timestamp.Sub(m0)/time.Minute)] = *p.Sum
		}
		return got
	}())
}
