package monitoring

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestCLI drives every operation through Debian's AWS CLI v2, which speaks
// the query protocol (form bodies, XML answers).
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the AWS CLI")
	}
	t.Parallel()
	e := newEnv(t)
	cli := func(out any, args ...string) {
		t.Helper()
		cloudtest.CLIJSON(t, e.url, cloudtest.Account, out, append([]string{"cloudwatch"}, args...)...)
	}
	m0 := base.Truncate(time.Minute).Add(-2 * time.Minute)
	ts := m0.Add(10 * time.Second).Format(time.RFC3339)
	data := fmt.Sprintf(`[{"MetricName":"Latency","Dimensions":[{"Name":"Fn","Value":"intake"}],"Timestamp":"%s","Values":[1,2,3,100],"Counts":[10,10,10,1],"Unit":"Milliseconds","StorageResolution":60},
		{"MetricName":"Latency","Dimensions":[{"Name":"Fn","Value":"intake"}],"Timestamp":"%s","StatisticValues":{"SampleCount":2,"Sum":8,"Minimum":3,"Maximum":5},"Unit":"Milliseconds"},
		{"MetricName":"Errors","Dimensions":[{"Name":"Fn","Value":"intake"}],"Timestamp":"%s","Value":3,"Unit":"Count"}]`, ts, ts, ts)
	cli(nil, "put-metric-data", "--namespace", "Lab/App", "--metric-data", data)

	var stats struct {
		Label      string
		Datapoints []struct {
			SampleCount, Sum, Maximum float64
			ExtendedStatistics        map[string]float64
			Unit                      string
		}
	}
	window := []string{"--start-time", m0.Add(-time.Minute).Format(time.RFC3339), "--end-time", m0.Add(2 * time.Minute).Format(time.RFC3339), "--period", "60"}
	cli(&stats, append([]string{"get-metric-statistics", "--namespace", "Lab/App", "--metric-name", "Latency", "--dimensions", "Name=Fn,Value=intake",
		"--statistics", "SampleCount", "Sum", "Maximum"}, window...)...)
	require.Len(t, stats.Datapoints, 1)
	assert.Equal(t, 33.0, stats.Datapoints[0].SampleCount)
	assert.Equal(t, 168.0, stats.Datapoints[0].Sum)
	assert.Equal(t, 100.0, stats.Datapoints[0].Maximum)
	assert.Equal(t, "Milliseconds", stats.Datapoints[0].Unit)
	// The statistic set carries no raw values: percentiles are undefined for the minute.
	cli(&stats, append([]string{"get-metric-statistics", "--namespace", "Lab/App", "--metric-name", "Errors", "--dimensions", "Name=Fn,Value=intake",
		"--extended-statistics", "p50", "p99"}, window...)...)
	require.Len(t, stats.Datapoints, 1)
	assert.Equal(t, map[string]float64{"p50": 3, "p99": 3}, stats.Datapoints[0].ExtendedStatistics)

	var metrics struct{ Metrics []struct{ MetricName string } }
	cli(&metrics, "list-metrics", "--namespace", "Lab/App", "--dimensions", "Name=Fn,Value=intake", "--recently-active", "PT3H")
	assert.Len(t, metrics.Metrics, 2)

	var md struct {
		MetricDataResults []struct {
			Id     string
			Values []float64
		}
	}
	queries := `[{"Id":"e","MetricStat":{"Metric":{"Namespace":"Lab/App","MetricName":"Errors","Dimensions":[{"Name":"Fn","Value":"intake"}]},"Period":60,"Stat":"Sum"},"ReturnData":false},
		{"Id":"x","Expression":"IF(e > 1, e * 10, 0)"}]`
	cli(&md, "get-metric-data", "--metric-data-queries", queries, "--start-time", m0.Add(-time.Minute).Format(time.RFC3339), "--end-time", m0.Add(2*time.Minute).Format(time.RFC3339))
	require.Len(t, md.MetricDataResults, 1)
	assert.Equal(t, []float64{30}, md.MetricDataResults[0].Values)

	topic := "arn:aws:sns:us-east-1:123456789012:ops-alerts"
	cli(nil, "put-metric-alarm", "--alarm-name", "errors", "--namespace", "Lab/App", "--metric-name", "Errors", "--dimensions", "Name=Fn,Value=intake",
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "2", "--datapoints-to-alarm", "1", "--threshold", "0",
		"--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching", "--alarm-actions", topic, "--tags", "Key=lab,Value=5")
	var alarms struct {
		MetricAlarms []struct {
			AlarmName, AlarmArn, StateValue, StateReason string
			Threshold                                    float64
			EvaluationPeriods, DatapointsToAlarm         int
			AlarmActions                                 []string
			Dimensions                                   []struct{ Name, Value string }
		}
		CompositeAlarms []struct{ AlarmName, AlarmRule string }
	}
	cli(&alarms, "describe-alarms", "--alarm-names", "errors")
	require.Len(t, alarms.MetricAlarms, 1)
	a := alarms.MetricAlarms[0]
	assert.Equal(t, "INSUFFICIENT_DATA", a.StateValue)
	assert.Equal(t, 2, a.EvaluationPeriods)
	assert.Equal(t, 1, a.DatapointsToAlarm)
	assert.Equal(t, []string{topic}, a.AlarmActions)
	assert.Equal(t, "intake", a.Dimensions[0].Value)
	cli(&alarms, "describe-alarms-for-metric", "--namespace", "Lab/App", "--metric-name", "Errors", "--dimensions", "Name=Fn,Value=intake")
	require.Len(t, alarms.MetricAlarms, 1)

	cli(nil, "disable-alarm-actions", "--alarm-names", "errors")
	cli(nil, "set-alarm-state", "--alarm-name", "errors", "--state-value", "ALARM", "--state-reason", "drill")
	cli(nil, "enable-alarm-actions", "--alarm-names", "errors")
	var hist struct {
		AlarmHistoryItems []struct{ HistoryItemType, HistorySummary string }
	}
	cli(&hist, "describe-alarm-history", "--alarm-name", "errors", "--history-item-type", "StateUpdate")
	require.Len(t, hist.AlarmHistoryItems, 1)
	assert.Equal(t, "Alarm updated from INSUFFICIENT_DATA to ALARM", hist.AlarmHistoryItems[0].HistorySummary)

	cli(nil, "put-composite-alarm", "--alarm-name", "pipeline", "--alarm-rule", `ALARM("errors")`)
	cli(&alarms, "describe-alarms", "--alarm-types", "CompositeAlarm")
	require.Len(t, alarms.CompositeAlarms, 1)
	assert.Equal(t, `ALARM("errors")`, alarms.CompositeAlarms[0].AlarmRule)

	var tags struct{ Tags []struct{ Key, Value string } }
	cli(nil, "tag-resource", "--resource-arn", a.AlarmArn, "--tags", "Key=team,Value=ops")
	cli(nil, "untag-resource", "--resource-arn", a.AlarmArn, "--tag-keys", "lab")
	cli(&tags, "list-tags-for-resource", "--resource-arn", a.AlarmArn)
	assert.Equal(t, []struct{ Key, Value string }{{"team", "ops"}}, tags.Tags)

	var dash struct {
		DashboardBody    string
		DashboardEntries []struct{ DashboardName string }
	}
	cli(nil, "put-dashboard", "--dashboard-name", "pipeline", "--dashboard-body", `{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":2,"properties":{"markdown":"orders"}}]}`)
	cli(&dash, "get-dashboard", "--dashboard-name", "pipeline")
	assert.True(t, json.Valid([]byte(dash.DashboardBody)))
	cli(&dash, "list-dashboards")
	assert.Len(t, dash.DashboardEntries, 1)
	cli(nil, "delete-dashboards", "--dashboard-names", "pipeline")
	cli(nil, "delete-alarms", "--alarm-names", "errors", "pipeline")

	_, stderr, err := cloudtest.CLIResult(t, e.url, cloudtest.Account, "cloudwatch", "delete-alarms", "--alarm-names", "errors")
	require.Error(t, err)
	assert.True(t, strings.Contains(stderr, "(ResourceNotFound)"), stderr)
	_, stderr, err = cloudtest.CLIResult(t, e.url, cloudtest.Account, "cloudwatch", "put-metric-data", "--namespace", "AWS/SQS", "--metric-name", "x", "--value", "1")
	require.Error(t, err)
	assert.True(t, strings.Contains(stderr, "(InvalidParameterValue)"), stderr)
}
