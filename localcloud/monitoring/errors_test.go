package monitoring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTypedErrors checks that each error reaches aws-sdk-go-v2 as the typed
// error of botocore's model, with the query protocol's code.
func TestTypedErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAlarms = 1 })
	ctx := context.Background()
	alarm := func(name string) *cloudwatch.PutMetricAlarmInput {
		return &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("Lab"), MetricName: aws.String("m"),
			Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold}
	}
	_, err := e.cw.PutMetricAlarm(ctx, alarm("first"))
	require.NoError(t, err)
	datum := func(d types.MetricDatum) *cloudwatch.PutMetricDataInput {
		d.MetricName = aws.String("m")
		return &cloudwatch.PutMetricDataInput{Namespace: aws.String("Lab"), MetricData: []types.MetricDatum{d}}
	}
	now := base
	cases := []struct {
		name string
		call func() error
		want any
		code string
	}{
		{"AWS namespace", func() error {
			_, err := e.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"Value and Values", func() error {
			_, err := e.cw.PutMetricData(ctx, datum(types.MetricDatum{Value: aws.Float64(1), Values: []float64{1}}))
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"Counts size", func() error {
			_, err := e.cw.PutMetricData(ctx, datum(types.MetricDatum{Values: []float64{1, 2}, Counts: []float64{1}}))
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"no value", func() error {
			_, err := e.cw.PutMetricData(ctx, datum(types.MetricDatum{}))
			return err
		}, new(*types.MissingRequiredParameterException), "MissingParameter"},
		{"old timestamp", func() error {
			_, err := e.cw.PutMetricData(ctx, datum(types.MetricDatum{Value: aws.Float64(1), Timestamp: aws.Time(now.Add(-15 * 24 * time.Hour))}))
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"bad storage resolution", func() error {
			_, err := e.cw.PutMetricData(ctx, datum(types.MetricDatum{Value: aws.Float64(1), StorageResolution: aws.Int32(5)}))
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"no statistics", func() error {
			_, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60)})
			return err
		}, new(*types.MissingRequiredParameterException), "MissingParameter"},
		{"too many datapoints", func() error {
			_, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-48 * time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"period not a multiple of 60", func() error {
			_, err := e.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Lab"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(90), Statistics: []types.Statistic{types.StatisticSum}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"bad expression", func() error {
			_, err := e.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("x"), Expression: aws.String("SUM(")}}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"bad next token", func() error {
			_, err := e.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), NextToken: aws.String("garbage"),
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("x"), Expression: aws.String("1")}}})
			return err
		}, new(*types.InvalidNextToken), "InvalidNextToken"},
		{"alarm limit", func() error {
			_, err := e.cw.PutMetricAlarm(ctx, alarm("second"))
			return err
		}, new(*types.LimitExceededFault), "LimitExceeded"},
		{"statistic and extended statistic", func() error {
			in := alarm("first")
			in.ExtendedStatistic = aws.String("p99")
			_, err := e.cw.PutMetricAlarm(ctx, in)
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"delete missing alarm", func() error {
			_, err := e.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"first", "nope"}})
			return err
		}, new(*types.ResourceNotFound), "ResourceNotFound"},
		{"set state of missing alarm", func() error {
			_, err := e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
			return err
		}, new(*types.ResourceNotFound), "ResourceNotFound"},
		{"state reason data not JSON", func() error {
			_, err := e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("first"), StateValue: types.StateValueOk, StateReason: aws.String("x"), StateReasonData: aws.String("{")})
			return err
		}, new(*types.InvalidFormatFault), "InvalidFormat"},
		{"missing dashboard", func() error {
			_, err := e.cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("nope")})
			return err
		}, new(*types.DashboardNotFoundError), "ResourceNotFound"},
		{"bad dashboard body", func() error {
			_, err := e.cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("d"), DashboardBody: aws.String(`{"widgets":{}}`)})
			return err
		}, new(*types.DashboardInvalidInputError), "InvalidParameterInput"},
		{"tags of missing alarm", func() error {
			_, err := e.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:nope")})
			return err
		}, new(*types.ResourceNotFoundException), "ResourceNotFoundException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			require.Error(t, err)
			require.True(t, errors.As(err, c.want), "%T is not %T: %v", err, c.want, err)
			var api smithy.APIError
			require.True(t, errors.As(err, &api))
			assert.Equal(t, c.code, api.ErrorCode())
			assert.NotEmpty(t, api.ErrorMessage())
		})
	}
}
