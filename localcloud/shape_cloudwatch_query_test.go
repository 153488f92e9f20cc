package localcloud_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestCloudWatchQueryResponsesMatchBotocoreShapes drives the CloudWatch
// operations the local cloud serves in the query protocol, which Debian's
// AWS CLI v2 (botocore 1.29) speaks to CloudWatch, and the reading ones
// again in AWS JSON 1.0, and holds every XML and JSON answer to botocore's
// output shape.
func TestCloudWatchQueryResponsesMatchBotocoreShapes(t *testing.T) {
	m := cloudWatchModel(t)
	endpoint := startCloud(t)
	var calls []conformance.Call
	call := func(action string, params url.Values) {
		calls = append(calls, queryCall(t, endpoint, "monitoring", "2010-08-01", action, params))
	}
	now := time.Now().UTC()
	iso := func(d time.Duration) []string { return []string{now.Add(d).Format(time.RFC3339)} }
	metric := url.Values{"Namespace": {"Shapes"}, "MetricName": {"Latency"}, "Dimensions.member.1.Name": {"Api"}, "Dimensions.member.1.Value": {"orders"}}
	with := func(base url.Values, extra url.Values) url.Values {
		out := url.Values{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	call("PutMetricData", url.Values{"Namespace": {"Shapes"},
		"MetricData.member.1.MetricName": {"Latency"}, "MetricData.member.1.Value": {"12"}, "MetricData.member.1.Unit": {"Milliseconds"},
		"MetricData.member.1.Dimensions.member.1.Name": {"Api"}, "MetricData.member.1.Dimensions.member.1.Value": {"orders"},
		"MetricData.member.1.Timestamp": iso(-time.Minute)})
	call("ListMetrics", url.Values{"Namespace": {"Shapes"}})
	call("GetMetricStatistics", with(metric, url.Values{"StartTime": iso(-time.Hour), "EndTime": iso(time.Minute), "Period": {"60"},
		"Statistics.member.1": {"Average"}, "Statistics.member.2": {"SampleCount"}}))
	call("GetMetricStatistics", with(metric, url.Values{"StartTime": iso(-time.Hour), "EndTime": iso(time.Minute), "Period": {"60"},
		"ExtendedStatistics.member.1": {"p90"}}))
	call("GetMetricData", url.Values{"StartTime": iso(-time.Hour), "EndTime": iso(time.Minute),
		"MetricDataQueries.member.1.Id": {"m1"}, "MetricDataQueries.member.1.MetricStat.Metric.Namespace": {"Shapes"},
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                {"Latency"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  {"Api"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": {"orders"},
		"MetricDataQueries.member.1.MetricStat.Period":                           {"60"}, "MetricDataQueries.member.1.MetricStat.Stat": {"Sum"},
		"MetricDataQueries.member.2.Id": {"e1"}, "MetricDataQueries.member.2.Expression": {"m1 * 2"}})
	call("PutMetricAlarm", with(metric, url.Values{"AlarmName": {"shapes-high"}, "Statistic": {"Average"}, "Period": {"60"},
		"EvaluationPeriods": {"1"}, "Threshold": {"100"}, "ComparisonOperator": {"GreaterThanThreshold"},
		"AlarmActions.member.1": {"arn:aws:sns:us-east-1:123456789012:alerts"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}))
	call("PutCompositeAlarm", url.Values{"AlarmName": {"shapes-any"}, "AlarmRule": {`ALARM("shapes-high")`}})
	call("SetAlarmState", url.Values{"AlarmName": {"shapes-high"}, "StateValue": {"ALARM"}, "StateReason": {"test"}})
	call("DescribeAlarms", url.Values{"AlarmTypes.member.1": {"MetricAlarm"}, "AlarmTypes.member.2": {"CompositeAlarm"}})
	call("DescribeAlarmsForMetric", metric)
	call("DescribeAlarmHistory", url.Values{"AlarmName": {"shapes-high"}})
	call("DisableAlarmActions", url.Values{"AlarmNames.member.1": {"shapes-high"}})
	call("EnableAlarmActions", url.Values{"AlarmNames.member.1": {"shapes-high"}})
	arn := []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:shapes-high"}
	call("TagResource", url.Values{"ResourceARN": arn, "Tags.member.1.Key": {"k2"}, "Tags.member.1.Value": {"v2"}})
	call("ListTagsForResource", url.Values{"ResourceARN": arn})
	call("UntagResource", url.Values{"ResourceARN": arn, "TagKeys.member.1": {"k2"}})
	body := `{"widgets":[{"type":"metric","x":0,"y":0,"width":6,"height":6,"properties":{"metrics":[["Shapes","Latency","Api","orders"]],"region":"us-east-1"}}]}`
	call("PutDashboard", url.Values{"DashboardName": {"shapes"}, "DashboardBody": {body}})
	call("GetDashboard", url.Values{"DashboardName": {"shapes"}})
	call("ListDashboards", url.Values{})
	// The same answers in AWS JSON 1.0, the other protocol CloudWatch's
	// newer clients speak: timestamps are epoch seconds there.
	for _, c := range []struct{ op, body string }{
		{"DescribeAlarms", `{"AlarmTypes":["MetricAlarm","CompositeAlarm"]}`},
		{"DescribeAlarmHistory", `{"AlarmName":"shapes-high"}`},
		{"GetMetricStatistics", `{"Namespace":"Shapes","MetricName":"Latency","Dimensions":[{"Name":"Api","Value":"orders"}],"StartTime":` +
			strconv.FormatInt(now.Add(-time.Hour).Unix(), 10) + `,"EndTime":` + strconv.FormatInt(now.Add(time.Minute).Unix(), 10) + `,"Period":60,"Statistics":["Maximum"]}`},
		{"GetMetricData", `{"StartTime":` + strconv.FormatInt(now.Add(-time.Hour).Unix(), 10) + `,"EndTime":` + strconv.FormatInt(now.Add(time.Minute).Unix(), 10) +
			`,"MetricDataQueries":[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"Shapes","MetricName":"Latency","Dimensions":[{"Name":"Api","Value":"orders"}]},"Period":60,"Stat":"Sum"}}]}`},
		{"ListMetrics", `{"Namespace":"Shapes"}`},
		{"ListDashboards", `{}`},
		{"GetDashboard", `{"DashboardName":"shapes"}`},
		{"ListTagsForResource", `{"ResourceARN":"` + arn[0] + `"}`},
	} {
		status, out := cloudtest.PostJSON(t, endpoint+"/", "GraniteServiceVersion20100801."+c.op, "monitoring", []byte(c.body))
		if status != 200 {
			t.Fatalf("%s in JSON: %d %s", c.op, status, out)
		}
		calls = append(calls, conformance.Call{Operation: c.op, Status: status, Body: []byte(out)})
	}
	call("DeleteDashboards", url.Values{"DashboardNames.member.1": {"shapes"}})
	call("DeleteAlarms", url.Values{"AlarmNames.member.1": {"shapes-any"}, "AlarmNames.member.2": {"shapes-high"}})

	verifyShapes(t, m, calls, cloudWatchServed)
}
