package checks_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
)

// TestStructuredLogsSkipPlatformLines: the lines Lambda itself writes to a
// function's log group (START/END/REPORT and the "Task timed out" line of
// an invocation that timed out) are not the function's logging, so a
// function whose own lines are JSON passes even after a timeout; a plain
// line of its own still fails.
func TestStructuredLogsSkipPlatformLines(t *testing.T) {
	cfg := startCloud(t)
	ctx := context.Background()
	c := cloudwatchlogs.NewFromConfig(cfg)
	const req = "35513b41-6c0c-45e6-8a96-2ae2a6a461c2"
	tests := []struct {
		name  string
		lines []string
		want  grader.Status
	}{
		{"json and platform lines", []string{
			"START RequestId: " + req + " Version: $LATEST",
			`{"time":"2026-12-07T06:40:47Z","level":"INFO","msg":"published","orderId":"o-1"}`,
			"2026-12-07T06:40:50.115Z " + req + " Task timed out after 10.00 seconds",
			"END RequestId: " + req,
			"REPORT RequestId: " + req + "\tDuration: 10000.00 ms\tBilled Duration: 10000 ms",
		}, grader.Pass},
		{"a plain line of its own", []string{
			`{"time":"2026-12-07T06:40:47Z","level":"INFO","msg":"published","orderId":"o-1"}`,
			"2026-12-07T06:40:50.115Z " + req + " published the order",
		}, grader.Fail},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := []string{"timed-out-fn", "plain-fn"}[i]
			group := "/aws/lambda/" + fn
			_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
			require.NoError(t, err)
			_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("s")})
			require.NoError(t, err)
			var events []cwltypes.InputLogEvent
			now := time.Now().UnixMilli()
			for j, l := range tc.lines {
				events = append(events, cwltypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now + int64(j))})
			}
			_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("s"), LogEvents: events})
			require.NoError(t, err)

			check := structuredCheck(t, fn)
			r := gradeChecks(t, cfg, nil, []*grader.Check{check})[0]
			assert.Equal(t, tc.want, r.Status, "%s: %v", r.Reason, r.Parts)
		})
	}
}

// structuredCheck is lab 5's structured-logs check narrowed to one
// function that must also log orderId.
func structuredCheck(t *testing.T, fn string) *grader.Check {
	t.Helper()
	for _, c := range loadManifests(t)["lab5"].Checks {
		if c.ID == "structured-logs" {
			cc := *c
			cc.Needs = nil
			cc.Params = grader.Params{"functions": []any{fn}, "orderIdFunctions": []any{fn}, "window": "1h"}
			return &cc
		}
	}
	t.Fatal("no lab5/structured-logs")
	return nil
}
