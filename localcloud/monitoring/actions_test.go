package monitoring

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/sns"
	"github.com/labkit-dev/labkit/localcloud/sqs"
)

// TestAlarmNotifiesTopic runs the evaluation loop (shortened to 20 ms) with
// the real SNS and SQS services: breaching data takes the alarm to ALARM,
// the notification in AWS's alarm JSON arrives in a queue subscribed to
// the topic, and once the data has left the window it returns to OK and
// notifies again. The history records both transitions and both actions.
func TestAlarmNotifiesTopic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	q, err := sqs.New(sqs.Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { q.Close() })
	topics, err := sns.New(sns.Config{DataDir: dir, Logger: cloudtest.Logger(t), Queues: q})
	require.NoError(t, err)
	t.Cleanup(func() { topics.Close() })
	ck := &clock{t: time.Now().UTC().Truncate(time.Minute).Add(20 * time.Second)}
	svc, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), Topics: topics, Now: ck.Now, EvaluationInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	url := cloudtest.Serve(t, q.Route(), topics.Route(), svc.Route())
	cfg := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	ctx := context.Background()
	sqsc, snsc, cw := awssqs.NewFromConfig(cfg), awssns.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg)

	topic, err := snsc.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("ops-alerts")})
	require.NoError(t, err)
	qu, err := sqsc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("ops-inbox")})
	require.NoError(t, err)
	attrs, err := sqsc.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	qarn := attrs.Attributes["QueueArn"]
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + qarn + `"}]}`
	_, err = sqsc.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: qu.QueueUrl, Attributes: map[string]string{"Policy": policy}})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn)})
	require.NoError(t, err)

	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("orders-dlq-not-empty"), AlarmDescription: aws.String("an order is stuck"),
		Namespace: aws.String("Lab"), MetricName: aws.String("Depth"), Dimensions: dims("QueueName", "orders-dlq"), Statistic: types.StatisticMaximum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData: aws.String("notBreaching"), AlarmActions: []string{*topic.TopicArn}, OKActions: []string{*topic.TopicArn}})
	require.NoError(t, err)
	next := func() map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			out, err := sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, WaitTimeSeconds: 1})
			require.NoError(t, err)
			if len(out.Messages) == 1 {
				_, err = sqsc.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: qu.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle})
				require.NoError(t, err)
				var env struct{ Type, Subject, Message, TopicArn string }
				require.NoError(t, json.Unmarshal([]byte(*out.Messages[0].Body), &env))
				assert.Equal(t, "Notification", env.Type)
				assert.Equal(t, *topic.TopicArn, env.TopicArn)
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(env.Message), &m))
				m["_subject"] = env.Subject
				return m
			}
		}
		t.Fatal("no notification arrived")
		return nil
	}
	// No data with notBreaching: INSUFFICIENT_DATA -> OK, notified.
	first := next()
	assert.Equal(t, "OK", first["NewStateValue"])
	assert.Equal(t, "INSUFFICIENT_DATA", first["OldStateValue"])

	_, err = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Lab"), MetricData: []types.MetricDatum{{MetricName: aws.String("Depth"),
		Dimensions: dims("QueueName", "orders-dlq"), Value: aws.Float64(1), Unit: types.StandardUnitCount}}})
	require.NoError(t, err)
	m := next()
	assert.Equal(t, `ALARM: "orders-dlq-not-empty" in US East (N. Virginia)`, m["_subject"])
	assert.Equal(t, "orders-dlq-not-empty", m["AlarmName"])
	assert.Equal(t, "an order is stuck", m["AlarmDescription"])
	assert.Equal(t, "123456789012", m["AWSAccountId"])
	assert.Equal(t, "ALARM", m["NewStateValue"])
	assert.Equal(t, "OK", m["OldStateValue"])
	assert.Equal(t, "US East (N. Virginia)", m["Region"])
	assert.Equal(t, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-dlq-not-empty", m["AlarmArn"])
	assert.Regexp(t, `^Threshold Crossed: 1 datapoint \[1\.0 \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)\] was greater than the threshold \(0\.0\)\.$`, m["NewStateReason"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`, m["StateChangeTime"])
	assert.Equal(t, []any{*topic.TopicArn}, m["AlarmActions"])
	trig := m["Trigger"].(map[string]any)
	assert.Equal(t, "Depth", trig["MetricName"])
	assert.Equal(t, "Lab", trig["Namespace"])
	assert.Equal(t, "Statistic", trig["StatisticType"])
	assert.Equal(t, "MAXIMUM", trig["Statistic"])
	assert.Equal(t, []any{map[string]any{"name": "QueueName", "value": "orders-dlq"}}, trig["Dimensions"])
	assert.Equal(t, 60.0, trig["Period"])
	assert.Equal(t, "GreaterThanThreshold", trig["ComparisonOperator"])
	assert.Equal(t, "notBreaching", trig["TreatMissingData"])

	// The datapoint leaves the one-period window: back to OK.
	ck.Add(time.Minute)
	back := next()
	assert.Equal(t, "OK", back["NewStateValue"])
	assert.Equal(t, "ALARM", back["OldStateValue"])

	h, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("orders-dlq-not-empty"), ScanBy: types.ScanByTimestampAscending})
	require.NoError(t, err)
	var kinds []string
	for _, it := range h.AlarmHistoryItems {
		kinds = append(kinds, string(it.HistoryItemType)+": "+*it.HistorySummary)
	}
	assert.Equal(t, []string{`ConfigurationUpdate: Alarm "orders-dlq-not-empty" created`,
		"StateUpdate: Alarm updated from INSUFFICIENT_DATA to OK", "Action: Successfully executed action " + *topic.TopicArn,
		"StateUpdate: Alarm updated from OK to ALARM", "Action: Successfully executed action " + *topic.TopicArn,
		"StateUpdate: Alarm updated from ALARM to OK", "Action: Successfully executed action " + *topic.TopicArn}, kinds)
}
