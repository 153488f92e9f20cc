package logs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestValidationNamesTheCrossedBound: CloudWatch Logs' validation errors
// name the bound a value crossed ("Member must have value less than or
// equal to 10000", "Member must have length less than or equal to 512"),
// one clause per failed constraint, and come before any lookup (so an
// over-long log group name is InvalidParameterException, never
// ResourceNotFoundException). Bounds are botocore's (EventsLimit 1..10000,
// DescribeLimit 1..50, LogGroupName 1..512, FilterName 1..512 [^:*]*).
func TestValidationNamesTheCrossedBound(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "g", "s")
	long := strings.Repeat("a", 513)
	prefix := "1 validation error detected: "
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"GetLogEvents limit", func() error {
			_, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10001)})
			return err
		}, prefix + "Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"FilterLogEvents limit", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(0)})
			return err
		}, prefix + "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"DescribeLogGroups limit", func() error {
			_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(51)})
			return err
		}, prefix + "Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"},
		{"CreateLogGroup name length", func() error {
			_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(long)})
			return err
		}, prefix + "Value '" + long + "' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"DescribeMetricFilters name length before lookup", func() error {
			_, err := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String(long)})
			return err
		}, prefix + "Value '" + long + "' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"DeleteMetricFilter filter name before lookup", func() error {
			_, err := c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("absent"), FilterName: aws.String("x:x")})
			return err
		}, prefix + "Value 'x:x' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"},
		{"two constraints of one member", func() error {
			_, err := c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("g"), FilterName: aws.String(strings.Repeat(":", 513))})
			return err
		}, "2 validation errors detected: Value '" + strings.Repeat(":", 513) + "' at 'filterName' failed to satisfy constraint: Member must have length less than or equal to 512; " +
			"Value '" + strings.Repeat(":", 513) + "' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"},
	}
	for _, tc := range cases {
		err := tc.call()
		var e *types.InvalidParameterException
		if assert.True(t, errors.As(err, &e), "%s: %v", tc.name, err) {
			assert.Equal(t, tc.want, e.ErrorMessage(), tc.name)
		}
	}
	// A valid name of a missing group is still not found.
	_, err := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("absent")})
	var nf *types.ResourceNotFoundException
	require.True(t, errors.As(err, &nf), "%v", err)
}

// TestEmptyOrderByIsRefused: orderBy is an enum (LogStreamName,
// LastEventTime); given as "" (the SDKs leave an empty enum out, so the
// request is sent raw) it fails the enum constraint like any other value,
// while leaving it out orders by name.
func TestEmptyOrderByIsRefused(t *testing.T) {
	t.Parallel()
	c, _, url := newClient(t)
	mustGroup(t, c, "g", "s")
	status, body := cloudtest.PostJSON(t, url, "Logs_20140328.DescribeLogStreams", "logs", []byte(`{"logGroupName":"g","orderBy":""}`))
	assert.Equal(t, 400, status)
	assert.Contains(t, body, "InvalidParameterException")
	assert.Contains(t, body, "1 validation error detected: Value '' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	status, body = cloudtest.PostJSON(t, url, "Logs_20140328.DescribeLogStreams", "logs", []byte(`{"logGroupName":"g"}`))
	assert.Equal(t, 200, status, body)
}
