package checks_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
)

// TestAlarmFires grades lab 5's alarm-fires check against what `lab solve`
// deploys, changed one way per case: the broken alarms fail it with a
// reason that names the cause, the valid alternatives pass, and every run
// leaves nothing of the grader's behind (no order, no message in the
// dead-letter, worker or alerts queue).
func TestAlarmFires(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, d *deployment, alarm *cloudwatch.PutMetricAlarmInput)
		want   string // "" for a pass; else what the failure reason must say
	}{
		{name: "the reference"},
		{name: "an extra action, Average >= 1, OK actions", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			other, err := d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("oncall-archive")})
			d.must(err, "topic")
			in.AlarmActions = append(in.AlarmActions, aws.ToString(other.TopicArn))
			in.Statistic, in.Threshold, in.ComparisonOperator = cwtypes.StatisticAverage, aws.Float64(1), cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold
		}},
		{name: "a metric-math alarm", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			asMetricMath(in)
		}},
		{name: "a two-minute period", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			in.Period = aws.Int32(120)
		}},
		{name: "no alarm action", want: "has no ALARM action", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			in.AlarmActions = nil
		}},
		{name: "the wrong metric", want: "no alarm watches AWS/SQS ApproximateNumberOfMessagesVisible", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			in.MetricName = aws.String("NumberOfMessagesSent")
		}},
		{name: "a threshold too high", want: "does not fire on one message", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			in.Threshold = aws.Float64(5)
		}},
		{name: "SNS may not send to the inbox", want: "no ALARM notification reached", change: func(ctx context.Context, d *deployment, in *cloudwatch.PutMetricAlarmInput) {
			d.setQueue(ctx, "alertsQueue", map[string]string{"Policy": ""})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, cfg := kitSolved(t, nil, "all")
			d := newDeployment(t, cfg, nil)
			dlq := d.n("accountingDLQ")
			if tc.change != nil {
				d.alarm(ctx, dlq+"-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq, func(in *cloudwatch.PutMetricAlarmInput) {
					in.OKActions = in.AlarmActions
					tc.change(ctx, d, in)
				})
			}
			list := only(t, "lab5/alarm-fires")
			list[0].Params["notify"] = "15s"
			began := time.Now()
			r := gradeChecks(t, cfg, nil, list)[0]
			t.Logf("%s: %s %s%s", tc.name, r.Status, r.Reason, strings.Join(r.Evidence, " "))
			if tc.want == "" {
				require.Equal(t, grader.Pass, r.Status, r.Reason)
				hist, err := d.cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(dlq + "-not-empty"),
					HistoryItemType: cwtypes.HistoryItemTypeStateUpdate})
				require.NoError(t, err)
				var summaries []string
				for _, h := range hist.AlarmHistoryItems {
					summaries = append(summaries, aws.ToString(h.HistorySummary))
				}
				// Newest first: the change to ALARM (from OK, or from
				// INSUFFICIENT_DATA when it had not been evaluated yet),
				// then back to OK.
				require.GreaterOrEqual(t, len(summaries), 2)
				require.Equal(t, "Alarm updated from ALARM to OK", summaries[0])
				require.Regexp(t, `^Alarm updated from (OK|INSUFFICIENT_DATA) to ALARM$`, summaries[1])
			} else {
				require.Equal(t, grader.Fail, r.Status, r.Reason)
				require.Contains(t, r.Reason, tc.want)
				require.Len(t, r.Hints, 2)
			}
			leftNothing(ctx, t, d, began)
		})
	}
}

// leftNothing asserts no grader order or message remains: the worker and
// dead-letter queues are empty and the alerts inbox holds no notification
// of a change to or from ALARM since the check began.
func leftNothing(ctx context.Context, t *testing.T, d *deployment, began time.Time) {
	t.Helper()
	for _, key := range []string{"accountingDLQ", "accountingQueue"} {
		// The worker may still be deleting the redriven message.
		var attrs map[string]string
		require.Eventually(t, func() bool {
			out, err := d.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(d.queueURL(ctx, key)),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			require.NoError(t, err)
			attrs = out.Attributes
			return attrs["ApproximateNumberOfMessages"] == "0" && attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
		}, 15*time.Second, 50*time.Millisecond, "%s holds messages after the check: %v", key, attrs)
	}
	inbox := aws.String(d.queueURL(ctx, "alertsQueue"))
	for {
		out, err := d.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: inbox, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			// The alarms' first evaluations (INSUFFICIENT_DATA to OK) may
			// notify while the check runs; the check's own are the changes
			// to and from ALARM.
			var n struct{ StateChangeTime, OldStateValue, NewStateValue string }
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &n))
			at, err := time.Parse("2006-01-02T15:04:05.000-0700", n.StateChangeTime)
			require.NoError(t, err)
			mine := at.After(began) && (n.OldStateValue == "ALARM" || n.NewStateValue == "ALARM")
			require.False(t, mine, "the check left a notification in the inbox: %s", aws.ToString(m.Body))
		}
	}
	scan, err := d.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(d.n("ordersTable"))})
	require.NoError(t, err)
	require.Zero(t, scan.Count, "orders left in the table")
}
