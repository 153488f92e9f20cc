package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestMain lets a test run this binary as the real `lab` command in a child
// process (so it can be killed with SIGKILL): LAB_CHILD_ARGS holds its args.
// A sandbox re-runs this binary as `lab submission serve-isolated ...`
// with an empty environment, so that case goes by the arguments.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "submission" && os.Args[2] == "serve-isolated" {
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if args := os.Getenv("LAB_CHILD_ARGS"); args != "" {
		ctx, stop := signalContext()
		code := Run(ctx, strings.Fields(args), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	// Commands that keep state in the user's data folder by default (lab
	// check records progress there) keep it in a temporary one in tests.
	tmp, err := os.MkdirTemp("", "labkit-test-data-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// child starts `lab <args>` as a separate process.
func child(t *testing.T, args string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAB_CHILD_ARGS="+args)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func sdkConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")}
}

// TestNothingAcknowledgedIsLostOnKill9 writes items, messages and publishes
// from 8 clients, kills the local cloud with SIGKILL in the middle of the
// traffic, restarts it on the same data directory, and checks that every
// write it had acknowledged is there: items, their stream records (exactly
// once), queued messages, fanned-out publishes; and that messages that were
// in flight come back only after their visibility timeout.
func TestNothingAcknowledgedIsLostOnKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the local cloud")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	endpoint := "http://" + addr
	ctx := context.Background()
	proc := child(t, "cloud --addr "+addr+" --data "+dir+" --log-level error")
	waitHealthy(t, addr)

	cfg := sdkConfig(endpoint)
	db, q, topics := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	cloudtest.CreateTable(t, db, &dynamodb.CreateTableInput{
		TableName:            aws.String("Orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("orderId"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("orderId"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage},
	})
	direct := mustQueue(t, q, "direct", "")
	fanned := mustQueue(t, q, "fanned", "")
	inflight := mustQueue(t, q, "inflight", "")
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	fannedARN := queueARN(t, q, fanned)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, fannedARN, *topic.TopicArn)
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &fanned, Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &fannedARN,
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	// Messages in flight at the time of the crash.
	for i := 0; i < 3; i++ {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &inflight, MessageBody: aws.String(fmt.Sprint("inflight-", i))}); err != nil {
			t.Fatal(err)
		}
	}
	const visibility = 4
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &inflight, MaxNumberOfMessages: 10, VisibilityTimeout: visibility})
	if err != nil || len(got.Messages) != 3 {
		t.Fatalf("receive in-flight messages: got %d, %v", len(got.Messages), err)
	}
	receivedAt := time.Now()

	// Traffic from 8 clients; kill -9 while it runs.
	var mu sync.Mutex
	ackedItems, ackedSends, ackedPublishes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("c%d-%d", c, i)
				var err error
				switch i % 3 {
				case 0:
					_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: map[string]ddbtypes.AttributeValue{
						"orderId": &ddbtypes.AttributeValueMemberS{Value: key}}})
					if err == nil {
						mu.Lock()
						ackedItems[key] = true
						mu.Unlock()
					}
				case 1:
					_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &direct, MessageBody: aws.String(key)})
					if err == nil {
						mu.Lock()
						ackedSends[key] = true
						mu.Unlock()
					}
				case 2:
					_, err = topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(key)})
					if err == nil {
						mu.Lock()
						ackedPublishes[key] = true
						mu.Unlock()
					}
				}
				if err != nil {
					return // the cloud is gone
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	close(stop)
	wg.Wait()
	t.Logf("acknowledged before the kill: %d items, %d sends, %d publishes", len(ackedItems), len(ackedSends), len(ackedPublishes))
	if len(ackedItems) < 10 || len(ackedSends) < 10 || len(ackedPublishes) < 10 {
		t.Fatalf("too little traffic before the kill to prove anything")
	}

	child(t, "cloud --addr "+addr+" --data "+dir+" --log-level error")
	waitHealthy(t, addr)
	// Reads from here on are idempotent: let them retry a transient
	// transport error instead of failing the test on it.
	cfg.RetryMaxAttempts = 3
	db, q = dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)

	// Items: every acknowledged put is there.
	for key := range ackedItems {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: key}}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Item == nil {
			t.Errorf("item %s was acknowledged but is gone after the restart", key)
		}
	}
	// Stream: every acknowledged put has exactly one INSERT record.
	inserts := streamInserts(t, dynamodbstreams.NewFromConfig(cfg), db)
	for key := range ackedItems {
		if inserts[key] != 1 {
			t.Errorf("item %s: %d stream records, want exactly 1", key, inserts[key])
		}
	}
	for key, n := range inserts {
		if n > 1 {
			t.Errorf("item %s appears %d times in the stream", key, n)
		}
	}
	// Messages and fanned-out publishes.
	for _, tc := range []struct {
		url   string
		acked map[string]bool
	}{{direct, ackedSends}, {fanned, ackedPublishes}} {
		seen := drain(t, q, tc.url)
		for key := range tc.acked {
			if !seen[key] {
				t.Errorf("%s: message %s was acknowledged but is gone after the restart", tc.url, key)
			}
		}
	}
	// In-flight messages are invisible until their timeout, then return.
	if time.Since(receivedAt) < visibility*time.Second-500*time.Millisecond {
		early, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &inflight, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(early.Messages) != 0 {
			t.Errorf("in-flight messages came back before their visibility timeout: %d", len(early.Messages))
		}
	}
	back := map[string]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for len(back) < 3 && time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &inflight, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			back[*m.Body] = true
			if m.Attributes["ApproximateReceiveCount"] != "2" {
				t.Errorf("in-flight message %s: ApproximateReceiveCount %s, want 2 (the count survives the crash)", *m.Body, m.Attributes["ApproximateReceiveCount"])
			}
		}
	}
	if len(back) != 3 {
		t.Errorf("in-flight messages back after the timeout: got %d, want 3", len(back))
	}
}

func mustQueue(t *testing.T, q *sqs.Client, name, _ string) string {
	t.Helper()
	out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl
}

func queueARN(t *testing.T, q *sqs.Client, url string) string {
	t.Helper()
	out, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// drain receives and deletes every message in a queue and returns the bodies.
func drain(t *testing.T, q *sqs.Client, url string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for empty := 0; empty < 2; {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range out.Messages {
			seen[*m.Body] = true
			q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return seen
}

// streamInserts counts the INSERT records per orderId in the table's stream.
func streamInserts(t *testing.T, st *dynamodbstreams.Client, db *dynamodb.Client) map[string]int {
	t.Helper()
	ctx := context.Background()
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: desc.Table.LatestStreamArn})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, sh := range sd.StreamDescription.Shards {
		it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: desc.Table.LatestStreamArn, ShardId: sh.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				if r.EventName == streamtypes.OperationTypeInsert {
					if v, ok := r.Dynamodb.Keys["orderId"].(*streamtypes.AttributeValueMemberS); ok {
						counts[v.Value]++
					}
				}
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return counts
}
