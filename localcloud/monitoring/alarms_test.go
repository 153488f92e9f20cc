package monitoring

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *testEnv) state(t testing.TB, name string) types.MetricAlarm {
	t.Helper()
	out, err := e.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	require.NoError(t, err)
	require.Len(t, out.MetricAlarms, 1)
	return out.MetricAlarms[0]
}

func TestAlarmCRUD(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	topic := "arn:aws:sns:us-east-1:123456789012:ops-alerts"
	_, err := e.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("dlq-depth"), AlarmDescription: aws.String("orders stuck"),
		Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateNumberOfMessagesVisible"), Dimensions: dims("QueueName", "orders-dlq"),
		Statistic: types.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{topic}, OKActions: []string{topic},
		TreatMissingData: aws.String("notBreaching"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	require.NoError(t, err)
	a := e.state(t, "dlq-depth")
	assert.Equal(t, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:dlq-depth", *a.AlarmArn)
	assert.Equal(t, types.StateValueInsufficientData, a.StateValue)
	assert.Equal(t, "Unchecked: Initial alarm creation", *a.StateReason)
	assert.True(t, *a.ActionsEnabled)
	assert.Equal(t, []string{topic}, a.AlarmActions)
	assert.Empty(t, a.InsufficientDataActions)
	assert.Equal(t, int32(60), *a.Period)
	assert.Equal(t, 0.0, *a.Threshold)
	assert.Equal(t, "notBreaching", *a.TreatMissingData)
	assert.Equal(t, types.StatisticMaximum, a.Statistic)

	tags, err := e.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 1)
	assert.Equal(t, "ops", *tags.Tags[0].Value)
	_, err = e.cw.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: a.AlarmArn, Tags: []types.Tag{{Key: aws.String("lab"), Value: aws.String("5")}}})
	require.NoError(t, err)
	_, err = e.cw.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: a.AlarmArn, TagKeys: []string{"team"}})
	require.NoError(t, err)
	tags, err = e.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 1)
	assert.Equal(t, "lab", *tags.Tags[0].Key)

	// For its metric, with and without the matching statistic.
	fm, err := e.cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("AWS/SQS"),
		MetricName: aws.String("ApproximateNumberOfMessagesVisible"), Dimensions: dims("QueueName", "orders-dlq")})
	require.NoError(t, err)
	require.Len(t, fm.MetricAlarms, 1)
	fm, err = e.cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("AWS/SQS"),
		MetricName: aws.String("ApproximateNumberOfMessagesVisible"), Dimensions: dims("QueueName", "orders-dlq"), Statistic: types.StatisticSum})
	require.NoError(t, err)
	assert.Empty(t, fm.MetricAlarms)

	// SetAlarmState, actions disabled, history.
	_, err = e.cw.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"dlq-depth"}})
	require.NoError(t, err)
	assert.False(t, *e.state(t, "dlq-depth").ActionsEnabled)
	_, err = e.cw.EnableAlarmActions(ctx, &cloudwatch.EnableAlarmActionsInput{AlarmNames: []string{"dlq-depth", "no-such-alarm"}})
	require.NoError(t, err)
	assert.True(t, *e.state(t, "dlq-depth").ActionsEnabled)
	_, err = e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("dlq-depth"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("testing"), StateReasonData: aws.String(`{"why":"test"}`)})
	require.NoError(t, err)
	a = e.state(t, "dlq-depth")
	assert.Equal(t, types.StateValueAlarm, a.StateValue)
	assert.Equal(t, "testing", *a.StateReason)
	hist, err := e.cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("dlq-depth")})
	require.NoError(t, err)
	var summaries []string
	for _, h := range hist.AlarmHistoryItems {
		summaries = append(summaries, string(h.HistoryItemType)+": "+*h.HistorySummary)
		assert.True(t, json.Valid([]byte(*h.HistoryData)), *h.HistoryData)
	}
	// Newest first; the action failed: no SNS service is wired in this test.
	assert.Equal(t, []string{
		"Action: Failed to execute action " + topic,
		"StateUpdate: Alarm updated from INSUFFICIENT_DATA to ALARM",
		`ConfigurationUpdate: Alarm "dlq-depth" created`,
	}, summaries)

	// An update keeps the state; DescribeAlarms filters.
	_, err = e.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("dlq-depth"),
		Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateNumberOfMessagesVisible"), Dimensions: dims("QueueName", "orders-dlq"),
		Statistic: types.StatisticMaximum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold})
	require.NoError(t, err)
	a = e.state(t, "dlq-depth")
	assert.Equal(t, types.StateValueAlarm, a.StateValue)
	assert.Equal(t, int32(300), *a.Period)
	_, err = e.cw.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("pipeline"), AlarmRule: aws.String(`ALARM("dlq-depth") OR ALARM(errors)`)})
	require.NoError(t, err)
	all, err := e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm, types.AlarmTypeMetricAlarm}})
	require.NoError(t, err)
	assert.Len(t, all.MetricAlarms, 1)
	require.Len(t, all.CompositeAlarms, 1)
	assert.Equal(t, `ALARM("dlq-depth") OR ALARM(errors)`, *all.CompositeAlarms[0].AlarmRule)
	only, err := e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	require.NoError(t, err)
	assert.Len(t, only.CompositeAlarms, 0, "without AlarmTypes only metric alarms are described")
	byState, err := e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueOk})
	require.NoError(t, err)
	assert.Empty(t, byState.MetricAlarms)
	parents, err := e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("dlq-depth"), AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	require.NoError(t, err)
	assert.Len(t, parents.CompositeAlarms, 1)

	// The composite follows its child on the next evaluation.
	e.svc.EvaluateAlarms(ctx)
	all, err = e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"pipeline"}, AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	require.NoError(t, err)
	require.Len(t, all.CompositeAlarms, 1)
	assert.Equal(t, types.StateValueOk, all.CompositeAlarms[0].StateValue, "dlq-depth: notBreaching with no data is OK")

	_, err = e.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"dlq-depth", "pipeline"}})
	require.NoError(t, err)
	all, err = e.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm, types.AlarmTypeMetricAlarm}})
	require.NoError(t, err)
	assert.Empty(t, all.MetricAlarms)
	assert.Empty(t, all.CompositeAlarms)
}

func TestAlarmEvaluation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	put := func(name string, at time.Time, v float64) { e.put(t, "Lab", name, v, at, dims("Fn", "x")...) }
	alarm := func(name string, mod func(*cloudwatch.PutMetricAlarmInput)) {
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("Lab"), MetricName: aws.String(name),
			Dimensions: dims("Fn", "x"), Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(5), ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold}
		mod(in)
		_, err := e.cw.PutMetricAlarm(ctx, in)
		require.NoError(t, err)
	}
	now := base // 30 s into a minute
	cur := now.Truncate(time.Minute)
	// Each comparison operator against threshold 5, with value 5.
	for name, op := range map[string]types.ComparisonOperator{"ge": types.ComparisonOperatorGreaterThanOrEqualToThreshold,
		"gt": types.ComparisonOperatorGreaterThanThreshold, "lt": types.ComparisonOperatorLessThanThreshold, "le": types.ComparisonOperatorLessThanOrEqualToThreshold} {
		alarm(name, func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = op })
		put(name, cur.Add(time.Second), 5)
	}
	// 2 out of 3 periods: breaching in two older periods.
	alarm("m2of3", func(in *cloudwatch.PutMetricAlarmInput) {
		in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(2)
	})
	put("m2of3", cur.Add(-2*time.Minute), 9)
	put("m2of3", cur.Add(-1*time.Minute), 7)
	put("m2of3", cur, 1)
	// Missing data treatments with no data at all.
	for name, tmd := range map[string]string{"missing": "missing", "breaching": "breaching", "notbreaching": "notBreaching", "ignore": "ignore"} {
		alarm("tmd-"+name, func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String(tmd) })
	}
	// A percentile alarm: p90 of 1..10 is 9.
	alarm("p90", func(in *cloudwatch.PutMetricAlarmInput) {
		in.Statistic, in.ExtendedStatistic, in.Threshold = "", aws.String("p90"), aws.Float64(9)
	})
	_, err := e.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Lab"), MetricData: []types.MetricDatum{{MetricName: aws.String("p90"),
		Dimensions: dims("Fn", "x"), Timestamp: aws.Time(cur), Values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}}})
	require.NoError(t, err)
	// A metric math alarm: error rate in percent.
	_, err = e.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("rate"), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(10), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, Metrics: []types.MetricDataQuery{
			{Id: aws.String("e"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"), Metric: &types.Metric{Namespace: aws.String("Lab"), MetricName: aws.String("err"), Dimensions: dims("Fn", "x")}}},
			{Id: aws.String("i"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"), Metric: &types.Metric{Namespace: aws.String("Lab"), MetricName: aws.String("inv"), Dimensions: dims("Fn", "x")}}},
			{Id: aws.String("r"), Expression: aws.String("100*e/i"), Label: aws.String("ErrorRate")}}})
	require.NoError(t, err)
	put("err", cur, 2)
	put("inv", cur, 10)

	e.svc.EvaluateAlarms(ctx)
	want := map[string]types.StateValue{"ge": "ALARM", "gt": "OK", "lt": "OK", "le": "ALARM", "m2of3": "ALARM",
		"tmd-missing": "INSUFFICIENT_DATA", "tmd-breaching": "ALARM", "tmd-notbreaching": "OK", "tmd-ignore": "INSUFFICIENT_DATA",
		"p90": "ALARM", "rate": "ALARM"}
	for name, st := range want {
		assert.Equal(t, st, e.state(t, name).StateValue, name)
	}
	ge := e.state(t, "ge")
	assert.Equal(t, "Threshold Crossed: 1 datapoint [5.0 ("+cur.Format("02/01/06 15:04:05")+")] was greater than or equal to the threshold (5.0).", *ge.StateReason)
	var rd map[string]any
	require.NoError(t, json.Unmarshal([]byte(*ge.StateReasonData), &rd))
	assert.Equal(t, "Sum", rd["statistic"])
	assert.Equal(t, []any{5.0}, rd["recentDatapoints"])
	m := e.state(t, "m2of3")
	assert.Contains(t, *m.StateReason, "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (")
	assert.Contains(t, *m.StateReason, "(minimum 2 datapoints for OK -> ALARM transition)")
	assert.Equal(t, "Unchecked: Initial alarm creation", *e.state(t, "tmd-missing").StateReason, "no transition, no new reason")
	assert.Equal(t, "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].", *e.state(t, "tmd-breaching").StateReason)

	// A minute later the "ge" value is outside the window: missing -> INSUFFICIENT_DATA.
	e.clock.Add(time.Minute)
	e.svc.EvaluateAlarms(ctx)
	assert.Equal(t, types.StateValueInsufficientData, e.state(t, "ge").StateValue)
	assert.Equal(t, "Insufficient Data: 1 datapoint was unknown.", *e.state(t, "ge").StateReason)
	hist, err := e.cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("ge"), HistoryItemType: types.HistoryItemTypeStateUpdate, ScanBy: types.ScanByTimestampAscending})
	require.NoError(t, err)
	require.Len(t, hist.AlarmHistoryItems, 2)
	assert.Equal(t, "Alarm updated from INSUFFICIENT_DATA to ALARM", *hist.AlarmHistoryItems[0].HistorySummary)
	assert.Equal(t, "Alarm updated from ALARM to INSUFFICIENT_DATA", *hist.AlarmHistoryItems[1].HistorySummary)
}

func TestDashboards(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body := `{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","orders-dlq"]],"region":"us-east-1"}}]}`
	out, err := e.cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("pipeline"), DashboardBody: aws.String(body)})
	require.NoError(t, err)
	assert.Empty(t, out.DashboardValidationMessages)
	got, err := e.cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("pipeline")})
	require.NoError(t, err)
	assert.Equal(t, body, *got.DashboardBody)
	assert.Equal(t, "arn:aws:cloudwatch::123456789012:dashboard/pipeline", *got.DashboardArn)
	_, err = e.cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("other"), DashboardBody: aws.String(`{"widgets":[]}`)})
	require.NoError(t, err)
	list, err := e.cw.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{DashboardNamePrefix: aws.String("pipe")})
	require.NoError(t, err)
	require.Len(t, list.DashboardEntries, 1)
	assert.Equal(t, int64(len(body)), *list.DashboardEntries[0].Size)
	_, err = e.cw.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"pipeline", "other"}})
	require.NoError(t, err)
	list, err = e.cw.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})
	require.NoError(t, err)
	assert.Empty(t, list.DashboardEntries)
}
