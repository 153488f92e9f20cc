package lambda

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/dynamo"
	lcsqs "github.com/labkit-dev/labkit/localcloud/sqs"
)

// esmFn is the zip of testdata/esm-fn, built once per test binary run.
var esmFn struct {
	once sync.Once
	zip  []byte
	err  error
}

func esmZip(t testing.TB) []byte {
	t.Helper()
	esmFn.once.Do(func() {
		esmFn.zip, esmFn.err = bundle.Build(context.Background(), "testdata/esm-fn", bundle.Options{})
	})
	if esmFn.err != nil {
		t.Fatalf("build testdata/esm-fn: %v", esmFn.err)
	}
	return esmFn.zip
}

// world is a local cloud of the real SQS, DynamoDB and Lambda services
// behind one listener.
type world struct {
	dir    string
	bus    *activity.Bus
	url    string
	sqsSvc *lcsqs.Service
	ddbSvc *dynamo.Service
	lam    *Service
	sqs    *sqs.Client
	ddb    *dynamodb.Client
	lc     *awslambda.Client
}

// newWorld starts the three services in a temporary data directory (dir
// when not empty).
func newWorld(t testing.TB, dir string) *world {
	t.Helper()
	return newWorldBus(t, dir, nil)
}

// newWorldBus is newWorld with Lambda publishing to bus.
func newWorldBus(t testing.TB, dir string, bus *activity.Bus) *world {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	w := &world{dir: dir, bus: bus}
	var err error
	if w.sqsSvc, err = lcsqs.New(lcsqs.Config{DataDir: dir, Logger: cloudtest.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sqsSvc.Close() })
	if w.ddbSvc, err = dynamo.New(dynamo.Config{DataDir: dir, Logger: cloudtest.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.ddbSvc.Close() })
	w.startLambda(t)
	return w
}

// startLambda (re)opens the Lambda service on the world's data directory
// behind a new listener.
func (w *world) startLambda(t testing.TB) {
	t.Helper()
	lam, err := New(Config{DataDir: w.dir, Logger: cloudtest.Logger(t), IdleTimeout: time.Minute, Bus: w.bus})
	if err != nil {
		t.Fatal(err)
	}
	w.lam = lam
	w.url = cloudtest.Serve(t, w.sqsSvc.Route(), w.ddbSvc.Route(), lam.Route())
	// Cleanups run last first: the pollers stop before the listener closes.
	t.Cleanup(func() { lam.Close() })
	lam.SetEndpoint(w.url)
	cfg := cloudtest.Config(w.url, cloudtest.Account, "us-east-1")
	w.sqs, w.ddb, w.lc = sqs.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg), awslambda.NewFromConfig(cfg)
}

// queue creates a queue and returns its URL and ARN.
func (w *world) queue(t testing.TB, name string, attrs map[string]string) (string, string) {
	t.Helper()
	ctx := context.Background()
	out, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	a, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

// seenQueue creates the FIFO queue esm-fn forwards records to.
func (w *world) seenQueue(t testing.TB) string {
	t.Helper()
	url, _ := w.queue(t, "seen.fifo", map[string]string{"FifoQueue": "true"})
	return url
}

// function creates esm-fn with a timeout and environment.
func (w *world) function(t testing.TB, name string, timeout int32, env map[string]string) {
	t.Helper()
	createFunction(t, w.lc, name, esmZip(t), func(in *awslambda.CreateFunctionInput) {
		in.Timeout = aws.Int32(timeout)
		in.Environment = &types.Environment{Variables: env}
	})
}

// drain receives every message visible in a queue within d of quiet.
func (w *world) drain(t testing.TB, url string, d time.Duration) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for {
		out, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: int32(d / time.Second), MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
		var entries []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := w.sqs.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
			t.Fatalf("DeleteMessageBatch: %v", err)
		}
	}
}

// collect receives from url until want messages arrived or d passed.
func (w *world) collect(t testing.TB, url string, want int, d time.Duration) []string {
	t.Helper()
	var bodies []string
	deadline := time.Now().Add(d)
	for len(bodies) < want && time.Now().Before(deadline) {
		for _, m := range w.drain(t, url, time.Second) {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
	return bodies
}

// depth returns a queue's visible plus in-flight messages.
func (w *world) depth(t testing.TB, url string) int {
	t.Helper()
	out, err := w.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	a, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	b, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return a + b
}

func (w *world) send(t testing.TB, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := w.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
}

// mapping creates an event source mapping and fails the test on error.
func (w *world) mapping(t testing.TB, in *awslambda.CreateEventSourceMappingInput) *awslambda.CreateEventSourceMappingOutput {
	t.Helper()
	out, err := w.lc.CreateEventSourceMapping(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	return out
}

// table creates a table with a stream and returns the stream ARN.
func (w *world) table(t testing.TB, name string) string {
	t.Helper()
	desc := cloudtest.CreateTable(t, w.ddb, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	return aws.ToString(desc.LatestStreamArn)
}

func (w *world) put(t testing.TB, table string, item map[string]string) {
	t.Helper()
	av := map[string]ddbtypes.AttributeValue{}
	for k, v := range item {
		av[k] = &ddbtypes.AttributeValueMemberS{Value: v}
	}
	if _, err := w.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func (w *world) del(t testing.TB, table, pk string) {
	t.Helper()
	if _, err := w.ddb.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
}

// decodeAll decodes JSON bodies into values of T.
func decodeAll[T any](t testing.TB, bodies []string) []T {
	t.Helper()
	out := make([]T, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal([]byte(b), &out[i]); err != nil {
			t.Fatalf("body %s: %v", b, err)
		}
	}
	return out
}
