package localcloud_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// cloudWatchServed are the CloudWatch operations the local cloud serves
// (localcloud/monitoring's table).
var cloudWatchServed = []string{"DeleteAlarms", "DeleteDashboards", "DescribeAlarmHistory", "DescribeAlarms", "DescribeAlarmsForMetric",
	"DisableAlarmActions", "EnableAlarmActions", "GetDashboard", "GetMetricData", "GetMetricStatistics", "ListDashboards", "ListMetrics",
	"ListTagsForResource", "PutCompositeAlarm", "PutDashboard", "PutMetricAlarm", "PutMetricData", "SetAlarmState", "TagResource", "UntagResource"}

// TestCloudWatchResponsesMatchBotocoreShapes drives the CloudWatch
// operations the local cloud serves through the SDK, which speaks
// rpcv2-cbor to CloudWatch (metrics, statistics, alarms and their history,
// dashboards, tags), and holds every answer to botocore's output shape for
// its operation.
func TestCloudWatchResponsesMatchBotocoreShapes(t *testing.T) {
	m := cloudWatchModel(t)
	cfg, rec := recording(sdkConfig(startCloud(t)))
	ctx := context.Background()
	c := cloudwatch.NewFromConfig(cfg)
	now := time.Now()
	ns, name := aws.String("Shapes"), aws.String("Latency")
	dims := []types.Dimension{{Name: aws.String("Api"), Value: aws.String("orders")}}

	do(c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: ns, MetricData: []types.MetricDatum{
		{MetricName: name, Dimensions: dims, Value: aws.Float64(12), Unit: types.StandardUnitMilliseconds, Timestamp: aws.Time(now.Add(-time.Minute))},
		{MetricName: name, Dimensions: dims, Values: []float64{5, 7}, Counts: []float64{1, 2}, Timestamp: aws.Time(now)}}})).ok(t)
	do(c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: ns})).ok(t)
	do(c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: ns, MetricName: name, Dimensions: dims,
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticAverage, types.StatisticSampleCount, types.StatisticMaximum, types.StatisticSum, types.StatisticMinimum}})).ok(t)
	do(c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: ns, MetricName: name, Dimensions: dims,
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)), Period: aws.Int32(60), ExtendedStatistics: []string{"p90"}})).ok(t)
	do(c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("m1"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: ns, MetricName: name, Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("e1"), Expression: aws.String("m1 * 2"), Label: aws.String("double")}}})).ok(t)

	alarm := aws.String("shapes-high")
	do(c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: alarm, Namespace: ns, MetricName: name, Dimensions: dims, Statistic: types.StatisticAverage,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:alerts"}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})).ok(t)
	do(c.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("shapes-any"), AlarmRule: aws.String(`ALARM("shapes-high")`),
		AlarmDescription: aws.String("any")})).ok(t)
	do(c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("shapes-p90"), Namespace: ns, MetricName: name, Dimensions: dims,
		ExtendedStatistic: aws.String("p90"), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2), Threshold: aws.Float64(100),
		ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching"), Unit: types.StandardUnitMilliseconds,
		AlarmDescription: aws.String("slow")})).ok(t)
	do(c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("shapes-math"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(10),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, Metrics: []types.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: ns, MetricName: name, Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("e1"), Expression: aws.String("m1 * 2"), Label: aws.String("double"), ReturnData: aws.Bool(true)}}})).ok(t)
	do(c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: alarm, StateValue: types.StateValueAlarm, StateReason: aws.String("test")})).ok(t)
	do(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})).ok(t)
	do(c.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: ns, MetricName: name, Dimensions: dims})).ok(t)
	do(c.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: alarm})).ok(t)
	do(c.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{*alarm}})).ok(t)
	do(c.EnableAlarmActions(ctx, &cloudwatch.EnableAlarmActionsInput{AlarmNames: []string{*alarm}})).ok(t)
	arn := aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:shapes-high")
	do(c.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: arn})).ok(t)
	do(c.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"k2"}})).ok(t)

	body := `{"widgets":[{"type":"metric","x":0,"y":0,"width":6,"height":6,"properties":{"metrics":[["Shapes","Latency","Api","orders"]],"region":"us-east-1"}}]}`
	do(c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("shapes"), DashboardBody: aws.String(body)})).ok(t)
	do(c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("shapes")})).ok(t)
	do(c.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})).ok(t)
	do(c.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"shapes"}})).ok(t)
	do(c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"shapes-any", *alarm, "shapes-p90", "shapes-math"}})).ok(t)

	verifyShapes(t, m, rec.Calls(), cloudWatchServed)
}

// cloudWatchModel is botocore's CloudWatch model with the members AWS added
// after it that aws-sdk-go-v2 has (TestCloudWatchNewerMembersAreInTheSDK).
func cloudWatchModel(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "cloudwatch")
	m.Newer = map[string][]string{"MetricAlarm": {"StateTransitionedTimestamp"}}
	return m
}

func TestCloudWatchNewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, cloudWatchModel(t), map[string]reflect.Type{"MetricAlarm": reflect.TypeFor[types.MetricAlarm]()})
}
