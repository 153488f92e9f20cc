package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/bench"
)

// TestServiceMetrics puts a known workload through the real services (7
// invocations of a real function, 2 of them failing; 3 messages into a
// queue; 2 sent, 2 received, 1 deleted and 1 empty receive on another; 3
// publishes to a topic whose filtered subscriber takes 2; 2 DynamoDB calls
// on a missing table) and reads the metrics AWS
// publishes for them back through CloudWatch, under AWS's namespaces,
// names, dimensions and units, in 1-minute periods.
func TestServiceMetrics(t *testing.T) {
	cfg, start, zip := metricsWorkload(t)
	ctx := context.Background()
	fns := lambda.NewFromConfig(cfg)
	createFunction(t, cfg, zip, "flaky", nil)
	for i := 0; i < 7; i++ {
		payload := `{}`
		if i%3 == 1 {
			payload = `{"error":"boom"}`
		}
		out, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("flaky"), Payload: []byte(payload)})
		require.NoError(t, err)
		assert.Equal(t, i%3 == 1, out.FunctionError != nil, "invocation %d", i)
	}
	q := sqs.NewFromConfig(cfg)
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders-dlq")})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String("poison")})
		require.NoError(t, err)
	}
	work, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work")})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: work.QueueUrl, MessageBody: aws.String("job")})
		require.NoError(t, err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: work.QueueUrl, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, got.Messages, 2)
	_, err = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: work.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle})
	require.NoError(t, err)
	empty, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: work.QueueUrl})
	require.NoError(t, err)
	require.Empty(t, empty.Messages)

	// SNS: 3 published to a topic whose one queue subscriber takes kind=a only.
	topics := sns.NewFromConfig(cfg)
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	require.NoError(t, err)
	fan, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fan"), Attributes: map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:fan"}]}`}})
	require.NoError(t, err)
	_, err = topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:fan"),
		Attributes: map[string]string{"FilterPolicy": `{"kind":["a"]}`}})
	require.NoError(t, err)
	for _, kind := range []string{"a", "b", "a"} {
		_, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("m"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String(kind)}}})
		require.NoError(t, err)
	}
	fanMsgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: fan.QueueUrl, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, fanMsgs.Messages, 2)

	db := dynamodb.NewFromConfig(cfg)
	for i := 0; i < 2; i++ {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no-such-table")})
		require.Error(t, err)
	}

	cw := cloudwatch.NewFromConfig(cfg)
	stat := func(id, ns, name, st string, dims ...string) cwtypes.MetricDataQuery {
		m := &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
		for i := 0; i+1 < len(dims); i += 2 {
			m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
		}
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Metric: m, Period: aws.Int32(60), Stat: aws.String(st)}}
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start.Add(-time.Minute)), EndTime: aws.Time(time.Now().Add(2 * time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			stat("inv", "AWS/Lambda", "Invocations", "Sum", "FunctionName", "flaky"),
			stat("err", "AWS/Lambda", "Errors", "Sum", "FunctionName", "flaky"),
			stat("errcount", "AWS/Lambda", "Errors", "SampleCount", "FunctionName", "flaky"),
			stat("dur", "AWS/Lambda", "Duration", "SampleCount", "FunctionName", "flaky"),
			stat("all", "AWS/Lambda", "Invocations", "Sum"),
			stat("thr", "AWS/Lambda", "Throttles", "Sum", "FunctionName", "flaky"),
			stat("conc", "AWS/Lambda", "ConcurrentExecutions", "Maximum", "FunctionName", "flaky"),
			stat("vis", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "QueueName", "orders-dlq"),
			stat("user", "AWS/DynamoDB", "UserErrors", "Sum"),
			stat("sent", "AWS/SQS", "NumberOfMessagesSent", "Sum", "QueueName", "work"),
			stat("received", "AWS/SQS", "NumberOfMessagesReceived", "Sum", "QueueName", "work"),
			stat("deleted", "AWS/SQS", "NumberOfMessagesDeleted", "Sum", "QueueName", "work"),
			stat("empty", "AWS/SQS", "NumberOfEmptyReceives", "Sum", "QueueName", "work"),
			stat("published", "AWS/SNS", "NumberOfMessagesPublished", "Sum", "TopicName", "events"),
			stat("delivered", "AWS/SNS", "NumberOfNotificationsDelivered", "Sum", "TopicName", "events"),
			stat("filtered", "AWS/SNS", "NumberOfNotificationsFilteredOut", "Sum", "TopicName", "events"),
			stat("failed", "AWS/SNS", "NumberOfNotificationsFailed", "Sum", "TopicName", "events"),
			stat("fansent", "AWS/SQS", "NumberOfMessagesSent", "Sum", "QueueName", "fan"),
		}})
	require.NoError(t, err)
	sums := map[string]float64{}
	maxes := map[string]float64{}
	for _, r := range out.MetricDataResults {
		for i, v := range r.Values {
			assert.Equal(t, 0, r.Timestamps[i].Second(), "1-minute periods")
			sums[*r.Id] += v
			maxes[*r.Id] = max(maxes[*r.Id], v)
		}
	}
	assert.Equal(t, 7.0, sums["inv"])
	assert.Equal(t, 2.0, sums["err"])
	assert.Equal(t, 7.0, sums["errcount"], "Errors is published for every invocation, 0 or 1")
	assert.Equal(t, 7.0, sums["dur"])
	assert.Equal(t, 7.0, sums["all"], "the account-wide series without dimensions")
	assert.Equal(t, 0.0, sums["thr"])
	assert.Equal(t, 1.0, maxes["conc"], "one invocation at a time")
	assert.Equal(t, 3.0, maxes["vis"])
	assert.Equal(t, 2.0, sums["user"])
	assert.Equal(t, map[string]float64{"sent": 2, "received": 2, "deleted": 1, "empty": 1, "published": 3, "delivered": 2, "filtered": 1, "failed": 0, "fansent": 2},
		map[string]float64{"sent": sums["sent"], "received": sums["received"], "deleted": sums["deleted"], "empty": sums["empty"], "published": sums["published"],
			"delivered": sums["delivered"], "filtered": sums["filtered"], "failed": sums["failed"], "fansent": sums["fansent"]})

	st, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("flaky")}}, StartTime: aws.Time(start.Add(-time.Minute)),
		EndTime: aws.Time(time.Now().Add(time.Minute)), Period: aws.Int32(3600), Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum}})
	require.NoError(t, err)
	require.NotEmpty(t, st.Datapoints)
	assert.Equal(t, cwtypes.StandardUnitMilliseconds, st.Datapoints[0].Unit)

	lm, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/SQS")})
	require.NoError(t, err)
	var names []string
	for _, m := range lm.Metrics {
		names = append(names, *m.MetricName+" "+*m.Dimensions[0].Name+"="+*m.Dimensions[0].Value)
	}
	assert.Subset(t, names, []string{"ApproximateNumberOfMessagesVisible QueueName=orders-dlq", "ApproximateNumberOfMessagesNotVisible QueueName=orders-dlq",
		"ApproximateNumberOfMessagesDelayed QueueName=orders-dlq", "NumberOfMessagesSent QueueName=orders-dlq", "NumberOfEmptyReceives QueueName=work"})
}

// BenchmarkServiceMetrics measures what publishing the services' metrics
// costs the calls that feed them: PutItem and SendMessage throughput with 8
// SDK clients, with service metrics on (the default) and off, in one run.
// The goal is a cost under 5%.
func BenchmarkServiceMetrics(b *testing.B) {
	for _, on := range []bool{true, false} {
		name := map[bool]string{true: "on", false: "off"}[on]
		cloud := func(b *testing.B) aws.Config {
			return sdkConfig(startCloud(b, func(c *localcloud.Config) { c.NoServiceMetrics = !on }))
		}
		b.Run("PutItem/"+name, func(b *testing.B) {
			db := dynamodb.NewFromConfig(cloud(b))
			createOrders(b, db)
			var n atomic.Int64
			bench.RunClients(b, func(int) *dynamodb.Client { return db }, func(c *dynamodb.Client, _ int) error {
				_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: order(int(n.Add(1)))})
				return err
			})
		})
		b.Run("SendMessage/"+name, func(b *testing.B) {
			q := sqs.NewFromConfig(cloud(b))
			qu, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			bench.RunClients(b, func(int) *sqs.Client { return q }, func(c *sqs.Client, _ int) error {
				_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String("order")})
				return err
			})
		})
	}
}

// TestLogMetrics: a metric filter publishes per matching line (from a
// function's output and from PutLogEvents), and a function's lines in the
// embedded metric format become metrics.
func TestLogMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda function")
	}
	t.Parallel()
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	zip, err := bundle.Build(ctx, "./lambda/testdata/logs", bundle.Options{})
	require.NoError(t, err)
	fns := lambda.NewFromConfig(cfg)
	_, err = fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("talker"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(t, cfg, "talker")), Code: &lambdatypes.FunctionCode{ZipFile: zip}})
	require.NoError(t, err)
	lg := cloudwatchlogs.NewFromConfig(cfg)
	_, err = lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/lambda/talker")})
	require.NoError(t, err)
	_, err = lg.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("/aws/lambda/talker"), FilterName: aws.String("errors"),
		FilterPattern: aws.String(`{ $.level = "ERROR" }`), MetricTransformations: []cwltypes.MetricTransformation{{MetricNamespace: aws.String("Lab/Orders"),
			MetricName: aws.String("ErrorLines"), MetricValue: aws.String("1"), Unit: cwltypes.StandardUnitCount}}})
	require.NoError(t, err)
	emf := `{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Lab/Orders","Dimensions":[["channel"]],"Metrics":[{"Name":"OrderValue","Unit":"None"}]}]},"channel":"web","OrderValue":[12.5,7.5]}`
	lines := []string{`{"level":"INFO","message":"ok"}`, `{"level":"ERROR","message":"boom"}`, `{"level":"ERROR","message":"again"}`,
		fmt.Sprintf(emf, time.Now().UnixMilli())}
	payload, _ := json.Marshal(map[string]any{"lines": lines})
	_, err = fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("talker"), Payload: payload})
	require.NoError(t, err)

	_, err = lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("app")})
	require.NoError(t, err)
	_, err = lg.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("app"), LogStreamName: aws.String("s")})
	require.NoError(t, err)
	_, err = lg.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("app"), FilterName: aws.String("latency"),
		FilterPattern: aws.String(`{ $.latency > 0 }`), MetricTransformations: []cwltypes.MetricTransformation{{MetricNamespace: aws.String("Lab/App"),
			MetricName: aws.String("Latency"), MetricValue: aws.String("$.latency"), Dimensions: map[string]string{"Route": "$.route"}, Unit: cwltypes.StandardUnitMilliseconds}}})
	require.NoError(t, err)
	now := time.Now().UnixMilli()
	_, err = lg.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("app"), LogStreamName: aws.String("s"), LogEvents: []cwltypes.InputLogEvent{
		{Timestamp: aws.Int64(now), Message: aws.String(`{"route":"POST /orders","latency":20}`)},
		{Timestamp: aws.Int64(now), Message: aws.String(`{"route":"POST /orders","latency":40}`)},
		{Timestamp: aws.Int64(now), Message: aws.String(`plain text`)}}})
	require.NoError(t, err)

	cw := cloudwatch.NewFromConfig(cfg)
	// Lambda writes a function's output to its log group shortly after the
	// invocation: poll until the metric appears.
	get := func(ns, name string, dims ...cwtypes.Dimension) []cwtypes.Datapoint {
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: dims,
				StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)), Period: aws.Int32(7200),
				Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}})
			require.NoError(t, err)
			if len(out.Datapoints) > 0 || time.Now().After(deadline) {
				return out.Datapoints
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	errs := get("Lab/Orders", "ErrorLines")
	require.Len(t, errs, 1)
	assert.Equal(t, 2.0, *errs[0].Sum)
	assert.Equal(t, cwtypes.StandardUnitCount, errs[0].Unit)
	val := get("Lab/Orders", "OrderValue", cwtypes.Dimension{Name: aws.String("channel"), Value: aws.String("web")})
	require.Len(t, val, 1)
	assert.Equal(t, 20.0, *val[0].Sum)
	assert.Equal(t, 2.0, *val[0].SampleCount)
	lat := get("Lab/App", "Latency", cwtypes.Dimension{Name: aws.String("Route"), Value: aws.String("POST /orders")})
	require.Len(t, lat, 1)
	assert.Equal(t, 60.0, *lat[0].Sum)
	assert.Equal(t, cwtypes.StandardUnitMilliseconds, lat[0].Unit)
}
