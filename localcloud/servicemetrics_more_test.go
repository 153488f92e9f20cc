package localcloud_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// metricReader reads one statistic of one metric over the test's minutes
// with real SDK calls.
type metricReader struct {
	t     *testing.T
	cw    *cloudwatch.Client
	start time.Time
}

// stats returns the metric's datapoint of each 1-minute period as
// Sum, SampleCount, Maximum and its unit, summed or maxed over the periods.
func (r metricReader) stats(ns, name string, dims ...string) (sum, count, maximum float64, unit cwtypes.StandardUnit) {
	r.t.Helper()
	in := &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String(ns), MetricName: aws.String(name), StartTime: aws.Time(r.start.Add(-time.Minute)),
		EndTime: aws.Time(time.Now().Add(2 * time.Minute)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum}}
	for i := 0; i+1 < len(dims); i += 2 {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	out, err := r.cw.GetMetricStatistics(context.Background(), in)
	require.NoError(r.t, err)
	for _, p := range out.Datapoints {
		assert.Zero(r.t, p.Timestamp.Second(), "1-minute periods")
		sum += aws.ToFloat64(p.Sum)
		count += aws.ToFloat64(p.SampleCount)
		maximum = max(maximum, aws.ToFloat64(p.Maximum))
		unit = p.Unit
	}
	return sum, count, maximum, unit
}

// metricsWorkload starts a cloud for a published-metrics test (skipped with
// -short: it builds a function) and returns its SDK config, the minute the
// test began and the panic test function's zip.
func metricsWorkload(t *testing.T) (aws.Config, time.Time, []byte) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a Lambda function")
	}
	t.Parallel()
	cfg := sdkConfig(startCloud(t))
	start := time.Now().UTC().Truncate(time.Minute)
	zip, err := bundle.Build(context.Background(), "./lambda/testdata/panic", bundle.Options{})
	require.NoError(t, err)
	return cfg, start, zip
}

// createFunction creates a function from zip with its own role, changed
// by mod.
func createFunction(t *testing.T, cfg aws.Config, zip []byte, name string, mod func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(t, cfg, name)), Code: &lambdatypes.FunctionCode{ZipFile: zip}}
	if mod != nil {
		mod(in)
	}
	out, err := lambda.NewFromConfig(cfg).CreateFunction(context.Background(), in)
	require.NoError(t, err)
	return out
}

// TestAPIStageQueueAgeAndIteratorAge puts a known workload through the
// real services and reads back the metrics AWS documents for it: an HTTP
// API's requests by ApiId and by ApiId and Stage, with IntegrationLatency
// only for the requests that reached the integration; a queue's
// ApproximateAgeOfOldestMessage; and a stream mapping's IteratorAge.
func TestAPIStageQueueAgeAndIteratorAge(t *testing.T) {
	cfg, start, zip := metricsWorkload(t)
	ctx := context.Background()
	fns := lambda.NewFromConfig(cfg)
	fn := createFunction(t, cfg, zip, "sink", nil)
	require.NoError(t, lambda.NewFunctionActiveV2Waiter(fns).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sink")}, 30*time.Second))

	// HTTP API: 2 requests reach the function, 1 matches no route.
	gw := apigatewayv2.NewFromConfig(cfg)
	api, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("orders"), ProtocolType: "HTTP", Target: fn.FunctionArn, RouteKey: aws.String("GET /m")})
	require.NoError(t, err)
	_, err = fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("sink"), StatementId: aws.String("apigw"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
		SourceArn: aws.String(fmt.Sprintf("arn:aws:execute-api:us-east-1:123456789012:%s/*", *api.ApiId))})
	require.NoError(t, err)
	for _, path := range []string{"/m", "/nope", "/m"} {
		resp, err := http.Get(*api.ApiEndpoint + path)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, map[string]int{"/m": 200, "/nope": 404}[path], resp.StatusCode, path)
	}

	// A queue holding 2 messages.
	q := sqs.NewFromConfig(cfg)
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("stuck")})
	require.NoError(t, err)
	sent := time.Now()
	for i := 0; i < 2; i++ {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String("order")})
		require.NoError(t, err)
	}

	// A stream mapping that delivers 3 writes.
	db := dynamodb.NewFromConfig(cfg)
	table := cloudtest.CreateTable(t, db, &dynamodb.CreateTableInput{TableName: aws.String("Orders"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
	_, err = fns.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("sink"),
		EventSourceArn: table.LatestStreamArn, StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(1)})
	require.NoError(t, err)
	wrote := time.Now()
	for i := 0; i < 3; i++ {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprint(i)}}})
		require.NoError(t, err)
	}

	r := metricReader{t: t, cw: cloudwatch.NewFromConfig(cfg), start: start}
	// The mapping delivers in the background: wait for its three batches.
	require.Eventually(t, func() bool {
		_, n, _, _ := r.stats("AWS/Lambda", "IteratorAge", "FunctionName", "sink")
		return n >= 3
	}, 30*time.Second, 100*time.Millisecond, "IteratorAge of the three batches")
	_, n, age, unit := r.stats("AWS/Lambda", "IteratorAge", "FunctionName", "sink")
	assert.Equal(t, 3.0, n, "one IteratorAge per batch of one record")
	assert.Equal(t, cwtypes.StandardUnitMilliseconds, unit)
	// A stream record's creation time is in whole seconds, as on AWS.
	assert.LessOrEqual(t, age, float64(time.Since(wrote.Truncate(time.Second)).Milliseconds()), "a record is no older than the test's writes")

	for _, dims := range [][]string{{"ApiId", *api.ApiId}, {"ApiId", *api.ApiId, "Stage", "$default"}} {
		sum, _, _, _ := r.stats("AWS/ApiGateway", "Count", dims...)
		assert.Equal(t, 3.0, sum, "Count %v", dims)
		sum, _, _, _ = r.stats("AWS/ApiGateway", "4xx", dims...)
		assert.Equal(t, 1.0, sum, "4xx %v", dims)
		sum, _, _, _ = r.stats("AWS/ApiGateway", "5xx", dims...)
		assert.Equal(t, 0.0, sum, "5xx %v", dims)
		_, n, _, _ = r.stats("AWS/ApiGateway", "Latency", dims...)
		assert.Equal(t, 3.0, n, "Latency %v", dims)
		_, n, _, unit = r.stats("AWS/ApiGateway", "IntegrationLatency", dims...)
		assert.Equal(t, 2.0, n, "IntegrationLatency %v: only the requests that reached the function", dims)
		assert.Equal(t, cwtypes.StandardUnitMilliseconds, unit)
	}

	_, n, oldest, unit := r.stats("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "stuck")
	assert.Positive(t, n)
	assert.Equal(t, cwtypes.StandardUnitSeconds, unit)
	assert.LessOrEqual(t, oldest, time.Since(sent).Seconds(), "whole seconds since the first send, at most")
}

// TestDynamoDBTableMetrics puts a known workload on a table and reads back
// the AWS/DynamoDB metrics AWS's CloudWatch documentation lists for it
// (botocore has no metric list; the names, dimensions and units are from
// the DynamoDB developer guide's "DynamoDB metrics and dimensions"):
// ConsumedRead/WriteCapacityUnits by TableName (Count), the units DynamoDB
// charges, a failed condition's write included; SuccessfulRequestLatency by
// TableName and Operation (Milliseconds), one sample per successful
// request; ConditionalCheckFailedRequests by TableName (Count), which
// UserErrors leaves out; ThrottledRequests only when a request is throttled
// (the local cloud never throttles, so none).
func TestDynamoDBTableMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	start := time.Now().UTC().Truncate(time.Minute)
	db := dynamodb.NewFromConfig(cfg)
	cloudtest.CreateTable(t, db, &dynamodb.CreateTableInput{TableName: aws.String("Carts"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}})
	key := func(id string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}
	}
	// Writes: 3 puts (1 unit each), a put whose condition fails (1 unit),
	// a batch of 2 puts (2 units): 6 units.
	for _, id := range []string{"a", "b", "c"} {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Carts"), Item: key(id)})
		require.NoError(t, err)
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Carts"), Item: key("a"), ConditionExpression: aws.String("attribute_not_exists(id)")})
	var ccf *ddbtypes.ConditionalCheckFailedException
	require.ErrorAs(t, err, &ccf)
	_, err = db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{"Carts": {
		{PutRequest: &ddbtypes.PutRequest{Item: key("d")}}, {PutRequest: &ddbtypes.PutRequest{Item: key("e")}}}}})
	require.NoError(t, err)
	// Reads: 2 strongly consistent gets (1 unit each), 2 eventually
	// consistent ones (half a unit each), a query of one small item (half
	// a unit): 3.5 units.
	for i := 0; i < 4; i++ {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Carts"), Key: key("a"), ConsistentRead: aws.Bool(i < 2)})
		require.NoError(t, err)
	}
	_, err = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("Carts"), KeyConditionExpression: aws.String("id = :a"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":a": &ddbtypes.AttributeValueMemberS{Value: "b"}}})
	require.NoError(t, err)
	// A user error: a get on a missing table.
	_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("NoSuchTable"), Key: key("a")})
	require.Error(t, err)

	r := metricReader{t: t, cw: cloudwatch.NewFromConfig(cfg), start: start}
	sum, _, _, unit := r.stats("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", "Carts")
	assert.Equal(t, 6.0, sum, "ConsumedWriteCapacityUnits")
	assert.Equal(t, cwtypes.StandardUnitCount, unit)
	sum, _, _, unit = r.stats("AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", "Carts")
	assert.Equal(t, 3.5, sum, "ConsumedReadCapacityUnits")
	assert.Equal(t, cwtypes.StandardUnitCount, unit)
	sum, _, _, unit = r.stats("AWS/DynamoDB", "ConditionalCheckFailedRequests", "TableName", "Carts")
	assert.Equal(t, 1.0, sum, "ConditionalCheckFailedRequests")
	assert.Equal(t, cwtypes.StandardUnitCount, unit)
	sum, _, _, _ = r.stats("AWS/DynamoDB", "UserErrors")
	assert.Equal(t, 1.0, sum, "UserErrors: the missing table, not the failed condition")
	for op, want := range map[string]float64{"PutItem": 3, "BatchWriteItem": 1, "GetItem": 4, "Query": 1, "Scan": 0} {
		_, n, _, unit := r.stats("AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", "Carts", "Operation", op)
		assert.Equal(t, want, n, "SuccessfulRequestLatency samples of %s", op)
		if want > 0 {
			assert.Equal(t, cwtypes.StandardUnitMilliseconds, unit, op)
		}
	}
	lm, err := r.cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/DynamoDB"), MetricName: aws.String("ThrottledRequests")})
	require.NoError(t, err)
	assert.Empty(t, lm.Metrics, "nothing was throttled")
}

// TestDeadLetterQueueAndErrors: an Event invocation that fails past its
// retries reaches the function's dead-letter queue (the event as the body,
// AWS's RequestID, ErrorCode and ErrorMessage attributes), and when the
// dead-letter queue is gone the failed send is counted in AWS/Lambda
// DeadLetterErrors (Count) by FunctionName and account-wide, as AWS's
// Lambda metric documentation names it.
func TestDeadLetterQueueAndErrors(t *testing.T) {
	cfg, start, zip := metricsWorkload(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(cfg)
	fns := lambda.NewFromConfig(cfg)
	for _, name := range []string{"kept", "lost"} {
		qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
		require.NoError(t, err)
		createFunction(t, cfg, zip, name, func(in *lambda.CreateFunctionInput) {
			in.DeadLetterConfig = &lambdatypes.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:" + name + "-dlq")}
		})
		_, err = fns.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(name), MaximumRetryAttempts: aws.Int32(0)})
		require.NoError(t, err)
		got, err := fns.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		require.NoError(t, err)
		require.NotNil(t, got.DeadLetterConfig)
		assert.Equal(t, "arn:aws:sqs:us-east-1:123456789012:"+name+"-dlq", aws.ToString(got.DeadLetterConfig.TargetArn))
		if name == "lost" {
			_, err = q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: qu.QueueUrl})
			require.NoError(t, err)
		}
		out, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: lambdatypes.InvocationTypeEvent,
			Payload: []byte(`{"error":"boom"}`)})
		require.NoError(t, err)
		assert.Equal(t, int32(202), out.StatusCode)
	}
	_, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bad"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(t, cfg, "bad")), Code: &lambdatypes.FunctionCode{ZipFile: zip},
		DeadLetterConfig: &lambdatypes.DeadLetterConfig{TargetArn: aws.String("arn:aws:s3:::bucket")}})
	cloudtest.APIError(t, err, "InvalidParameterValueException", "The provided target arn is invalid: arn:aws:s3:::bucket. It must be an SQS queue or an SNS topic.")

	kept, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("kept-dlq")})
	require.NoError(t, err)
	var msgs []sqstypes.Message
	require.Eventually(t, func() bool {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: kept.QueueUrl, MessageAttributeNames: []string{"All"}, VisibilityTimeout: 30})
		require.NoError(t, err)
		msgs = out.Messages
		return len(msgs) > 0
	}, 30*time.Second, 50*time.Millisecond, "the failed event in kept-dlq")
	m := msgs[0]
	assert.JSONEq(t, `{"error":"boom"}`, aws.ToString(m.Body))
	assert.Equal(t, "200", aws.ToString(m.MessageAttributes["ErrorCode"].StringValue))
	assert.Equal(t, "Number", aws.ToString(m.MessageAttributes["ErrorCode"].DataType))
	assert.Equal(t, "boom", aws.ToString(m.MessageAttributes["ErrorMessage"].StringValue))
	assert.Len(t, aws.ToString(m.MessageAttributes["RequestID"].StringValue), 36)

	r := metricReader{t: t, cw: cloudwatch.NewFromConfig(cfg), start: start}
	require.Eventually(t, func() bool {
		sum, _, _, _ := r.stats("AWS/Lambda", "DeadLetterErrors", "FunctionName", "lost")
		return sum >= 1
	}, 30*time.Second, 100*time.Millisecond, "DeadLetterErrors of lost")
	sum, _, _, unit := r.stats("AWS/Lambda", "DeadLetterErrors", "FunctionName", "lost")
	assert.Equal(t, 1.0, sum)
	assert.Equal(t, cwtypes.StandardUnitCount, unit)
	sum, _, _, _ = r.stats("AWS/Lambda", "DeadLetterErrors", "FunctionName", "kept")
	assert.Zero(t, sum, "kept's event reached its queue")
	sum, _, _, _ = r.stats("AWS/Lambda", "DeadLetterErrors")
	assert.Equal(t, 1.0, sum, "account-wide")
}
