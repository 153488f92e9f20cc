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
)

func TestPutAndGetMetricStatistics(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m0 := base.Truncate(time.Minute).Add(-5 * time.Minute)
	d := dims("Queue", "orders", "Env", "lab")
	_, err := e.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Lab/App"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Dimensions: d, Timestamp: aws.Time(m0.Add(5 * time.Second)), Value: aws.Float64(10), Unit: types.StandardUnitMilliseconds},
		{MetricName: aws.String("Latency"), Dimensions: d, Timestamp: aws.Time(m0.Add(20 * time.Second)), Values: []float64{1, 2, 3, 100}, Counts: []float64{10, 10, 10, 1}, Unit: types.StandardUnitMilliseconds, StorageResolution: aws.Int32(60)},
		{MetricName: aws.String("Latency"), Dimensions: d, Timestamp: aws.Time(m0.Add(70 * time.Second)), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(40), Minimum: aws.Float64(5), Maximum: aws.Float64(15)}, Unit: types.StandardUnitMilliseconds, StorageResolution: aws.Int32(1)},
	}})
	require.NoError(t, err)

	// The dimensions' order in the request does not matter.
	out, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab/App"), MetricName: aws.String("Latency"),
		Dimensions: dims("Env", "lab", "Queue", "orders"), StartTime: aws.Time(m0.Add(-time.Minute)), EndTime: aws.Time(m0.Add(3 * time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticSampleCount, types.StatisticSum, types.StatisticAverage, types.StatisticMinimum, types.StatisticMaximum}})
	require.NoError(t, err)
	assert.Equal(t, "Latency", aws.ToString(out.Label))
	require.Len(t, out.Datapoints, 2)
	first, second := out.Datapoints[0], out.Datapoints[1]
	if first.Timestamp.After(*second.Timestamp) {
		first, second = second, first
	}
	assert.True(t, first.Timestamp.Equal(m0))
	assert.Equal(t, 32.0, *first.SampleCount)
	assert.Equal(t, 10+10+20+30+100.0, *first.Sum)
	assert.Equal(t, 1.0, *first.Minimum)
	assert.Equal(t, 100.0, *first.Maximum)
	assert.InDelta(t, 170.0/32, *first.Average, 1e-9)
	assert.Equal(t, types.StandardUnitMilliseconds, first.Unit)
	assert.Equal(t, 4.0, *second.SampleCount)
	assert.Equal(t, 10.0, *second.Average)

	// Percentiles over the raw values of the first minute: 10x1, 10x2, 10x3, 1x10, 1x100.
	ext, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab/App"), MetricName: aws.String("Latency"),
		Dimensions: d, StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(time.Minute)), Period: aws.Int32(60), ExtendedStatistics: []string{"p50", "p90", "p99"}})
	require.NoError(t, err)
	require.Len(t, ext.Datapoints, 1)
	assert.Equal(t, map[string]float64{"p50": 2, "p90": 3, "p99": 100}, ext.Datapoints[0].ExtendedStatistics)

	// Another dimension set is another metric.
	none, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab/App"), MetricName: aws.String("Latency"),
		Dimensions: dims("Queue", "orders"), StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(time.Hour)), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
	require.NoError(t, err)
	assert.Empty(t, none.Datapoints)
}

func TestListMetrics(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(t, "Lab/A", "Errors", 1, base, dims("FunctionName", "intake")...)
	e.put(t, "Lab/A", "Errors", 1, base, dims("FunctionName", "worker", "Version", "1")...)
	e.put(t, "Lab/A", "Invocations", 1, base, dims("FunctionName", "intake")...)
	e.put(t, "Lab/B", "Old", 1, base.Add(-time.Hour))
	names := func(in *cloudwatch.ListMetricsInput) []string {
		out, err := e.cw.ListMetrics(ctx, in)
		require.NoError(t, err)
		var s []string
		for _, m := range out.Metrics {
			n := *m.Namespace + "/" + *m.MetricName
			for _, d := range m.Dimensions {
				n += " " + *d.Name + "=" + *d.Value
			}
			s = append(s, n)
		}
		return s
	}
	assert.Len(t, names(&cloudwatch.ListMetricsInput{}), 4)
	assert.Equal(t, []string{"Lab/A/Errors FunctionName=intake", "Lab/A/Errors FunctionName=worker Version=1"},
		names(&cloudwatch.ListMetricsInput{Namespace: aws.String("Lab/A"), MetricName: aws.String("Errors")}))
	assert.Equal(t, []string{"Lab/A/Errors FunctionName=worker Version=1"},
		names(&cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Version")}}}))
	assert.Equal(t, []string{"Lab/A/Errors FunctionName=intake", "Lab/A/Invocations FunctionName=intake"},
		names(&cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String("intake")}}}))
	// RecentlyActive PT3H: metrics that received data in the last three hours.
	e.clock.Add(150 * time.Minute)
	e.put(t, "Lab/B", "New", 1, e.clock.Now())
	e.clock.Add(40 * time.Minute)
	assert.Equal(t, []string{"Lab/B/New"}, names(&cloudwatch.ListMetricsInput{RecentlyActive: types.RecentlyActivePt3h}))
}

func TestGetMetricData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m0 := base.Truncate(time.Minute).Add(-5 * time.Minute)
	// errors: 1, -, 3, -, 5 ; invocations: 10 each minute
	for i := 0; i < 5; i++ {
		at := m0.Add(time.Duration(i) * time.Minute)
		if i%2 == 0 {
			e.put(t, "Lab", "Errors", float64(i+1), at, dims("Fn", "a")...)
		}
		e.put(t, "Lab", "Invocations", 10, at, dims("Fn", "a")...)
		e.put(t, "Lab", "Invocations", 20, at, dims("Fn", "b")...)
	}
	stat := func(id, name, fn string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &types.Metric{Namespace: aws.String("Lab"), MetricName: aws.String(name), Dimensions: dims("Fn", fn)}}}
	}
	expr := func(id, ex string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), Expression: aws.String(ex), Label: aws.String(id)}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(5 * time.Minute)), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{stat("e", "Errors", "a"), stat("ia", "Invocations", "a"), stat("ib", "Invocations", "b"),
			expr("rate", "100*e/ia"), expr("total", "SUM(METRICS(\"i\"))"), expr("filled", "FILL(e, 0)"), expr("rep", "FILL(e, REPEAT)"),
			expr("lin", "FILL(e, LINEAR)"), expr("big", "IF(e > 2, e, 0)"), expr("avg", "AVG([ia, ib])"), expr("mx", "MAX(METRICS())"),
			expr("mn", "MIN([ia, ib]) - 1"), expr("sumall", "SUM(e) + e*0")}}
	out, err := e.cw.GetMetricData(ctx, in)
	require.NoError(t, err)
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		assert.Equal(t, types.StatusCodeComplete, r.StatusCode)
		got[*r.Id] = r.Values
		assert.Equal(t, len(r.Values), len(r.Timestamps))
	}
	assert.Equal(t, map[string][]float64{
		"rate":   {10, 30, 50},
		"total":  {30, 30, 30, 30, 30},
		"filled": {1, 0, 3, 0, 5},
		"rep":    {1, 1, 3, 3, 5},
		"lin":    {1, 2, 3, 4, 5},
		"big":    {0, 3, 5},
		"avg":    {15, 15, 15, 15, 15},
		"mx":     {20, 20, 20, 20, 20},
		"mn":     {9, 9, 9, 9, 9},
		"sumall": {9, 9, 9},
	}, got)

	// Pagination: at most 4 datapoints a page, newest first by default.
	in = &cloudwatch.GetMetricDataInput{StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(5 * time.Minute)), MaxDatapoints: aws.Int32(4),
		MetricDataQueries: []types.MetricDataQuery{expr("filled", "FILL(e, 0)"), stat("e", "Errors", "a")}}
	var pages [][]float64
	for {
		out, err := e.cw.GetMetricData(ctx, in)
		require.NoError(t, err)
		require.Len(t, out.MetricDataResults, 1)
		pages = append(pages, out.MetricDataResults[0].Values)
		if out.NextToken == nil {
			assert.Equal(t, types.StatusCodeComplete, out.MetricDataResults[0].StatusCode)
			break
		}
		assert.Equal(t, types.StatusCodePartialData, out.MetricDataResults[0].StatusCode)
		in.NextToken = out.NextToken
	}
	assert.Equal(t, [][]float64{{5, 0, 3, 0}, {1}}, pages)

	// The SDK's paginator walks the same pages.
	p := cloudwatch.NewGetMetricDataPaginator(e.cw, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(m0), EndTime: aws.Time(m0.Add(5 * time.Minute)), MaxDatapoints: aws.Int32(2),
		MetricDataQueries: []types.MetricDataQuery{expr("filled", "FILL(e, 0)"), stat("e", "Errors", "a")}})
	n := 0
	for p.HasMorePages() {
		_, err := p.NextPage(ctx)
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
}
