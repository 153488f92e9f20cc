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

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// TestCrashChild is the process TestKill9 kills: it serves CloudWatch on
// its data directory until killed. It does nothing as a normal test.
func TestCrashChild(t *testing.T) {
	cloudtest.CrashChild(t, func(dir string) (protocol.Route, error) {
		svc, err := New(Config{DataDir: dir})
		if err != nil {
			return protocol.Route{}, err
		}
		return svc.Route(), nil
	})
}

// TestKill9 kills a serving process with SIGKILL right after its answers and
// reopens the data: every acknowledged datapoint, alarm, state change,
// dashboard and tag is there.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	child := cloudtest.StartCrashChild(t, dir)
	ctx := context.Background()
	c := cloudwatch.NewFromConfig(cloudtest.Config(child.URL, cloudtest.Account, "us-east-1"))
	now := time.Now().UTC().Truncate(time.Minute)
	for i := 0; i < 50; i++ {
		_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Lab"), MetricData: []types.MetricDatum{
			{MetricName: aws.String("Orders"), Value: aws.Float64(float64(i)), Timestamp: aws.Time(now.Add(-time.Minute))}}})
		require.NoError(t, err)
	}
	_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("orders"), Namespace: aws.String("Lab"), MetricName: aws.String("Orders"),
		Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err)
	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("orders"), StateValue: types.StateValueAlarm, StateReason: aws.String("drill")})
	require.NoError(t, err)
	_, err = c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("d"), DashboardBody: aws.String(`{"widgets":[]}`)})
	require.NoError(t, err)
	child.Kill(t)

	svc, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	require.NoError(t, err)
	defer svc.Close()
	c = cloudwatch.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	st, err := c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab"), MetricName: aws.String("Orders"),
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum, types.StatisticSampleCount}})
	require.NoError(t, err)
	require.Len(t, st.Datapoints, 1)
	assert.Equal(t, 50.0, *st.Datapoints[0].SampleCount)
	assert.Equal(t, float64(49*50/2), *st.Datapoints[0].Sum)
	al, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	require.NoError(t, err)
	require.Len(t, al.MetricAlarms, 1)
	assert.Equal(t, types.StateValueAlarm, al.MetricAlarms[0].StateValue)
	tags, err := c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: al.MetricAlarms[0].AlarmArn})
	require.NoError(t, err)
	assert.Len(t, tags.Tags, 1)
	h, err := c.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("orders")})
	require.NoError(t, err)
	assert.Len(t, h.AlarmHistoryItems, 2)
	_, err = c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("d")})
	require.NoError(t, err)
}
