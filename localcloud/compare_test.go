package localcloud_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/bench"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// The comparison benchmarks drive the whole local cloud over loopback with
// the real SDK and 8 concurrent clients, next to baselines measured in the
// same run: a null server that answers every call with a fixed reply (the
// most the client side of this machine can do), and for DynamoDB dynalite on
// LevelDB (a durable peer) when LABKIT_DYNALITE names its executable
// (localcloud/bench/setup-dynalite.sh installs it).
//
//	go test -run '^$' -bench Compare -benchtime 3000x ./localcloud/

func startCloud(b testing.TB, mod ...func(*localcloud.Config)) string {
	b.Helper()
	cfg := localcloud.Config{DataDir: b.TempDir()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := localcloud.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	b.Cleanup(func() { cancel(); <-done; c.Close() })
	return "http://" + ln.Addr().String()
}

func sdkConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bench.Clients}}}
}

// startDynalite runs dynalite with LevelDB persistence, or skips.
func startDynalite(b *testing.B) string {
	b.Helper()
	bin := os.Getenv("LABKIT_DYNALITE")
	if bin == "" {
		b.Skip("LABKIT_DYNALITE not set (run localcloud/bench/setup-dynalite.sh)")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--path", b.TempDir(), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	if err := cmd.Start(); err != nil {
		b.Skipf("dynalite: %v", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return endpoint
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("dynalite did not start")
	return ""
}

func createOrders(b *testing.B, db *dynamodb.Client) {
	b.Helper()
	cloudtest.CreateTable(b, db, &dynamodb.CreateTableInput{
		TableName:            aws.String("Orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: "S"}, {AttributeName: aws.String("sk"), AttributeType: "S"}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: "HASH"}, {AttributeName: aws.String("sk"), KeyType: "RANGE"}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
}

func order(i int) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"pk":         &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("c-%d", i%64)},
		"sk":         &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("ord-%08d", i)},
		"status":     &ddbtypes.AttributeValueMemberS{Value: "ACCEPTED"},
		"totalCents": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(499 * (i%7 + 1))},
		"lines": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"sku": &ddbtypes.AttributeValueMemberS{Value: "SOAP-1"}, "quantity": &ddbtypes.AttributeValueMemberN{Value: "2"}}}}},
	}
}

// dynamoTargets are the servers a DynamoDB comparison runs against.
func dynamoTargets(b *testing.B, nullBody string, run func(b *testing.B, endpoint string, real bool)) {
	b.Run("null-server", func(b *testing.B) {
		run(b, bench.NullServer(b, "application/x-amz-json-1.0", nullBody), false)
	})
	b.Run("localcloud", func(b *testing.B) { run(b, startCloud(b), true) })
	b.Run("dynalite", func(b *testing.B) { run(b, startDynalite(b), true) })
	// LABKIT_COMPARE_LAB="base=/tmp/lab-old head=/tmp/lab-new" adds other
	// builds of lab, each run as `lab cloud` in its own process with a
	// fresh data dir, to compare builds in the same run.
	for _, f := range strings.Fields(os.Getenv("LABKIT_COMPARE_LAB")) {
		name, bin, _ := strings.Cut(f, "=")
		b.Run(name, func(b *testing.B) { run(b, startLab(b, bin), true) })
	}
}

// startLab runs bin (a lab binary) as `lab cloud` on a free loopback port
// with a fresh data dir until the benchmark ends.
func startLab(b *testing.B, bin string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "cloud", "--addr", addr, "--data", b.TempDir(), "--log-level", "error")
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: %v", bin, err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("%s cloud did not start", bin)
	return ""
}

func BenchmarkComparePutItem(b *testing.B) {
	dynamoTargets(b, `{}`, func(b *testing.B, endpoint string, real bool) {
		db := dynamodb.NewFromConfig(sdkConfig(endpoint))
		if real {
			createOrders(b, db)
		}
		var n atomic.Int64
		bench.RunClients(b, func(int) *dynamodb.Client { return db }, func(c *dynamodb.Client, _ int) error {
			_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: order(int(n.Add(1)))})
			return err
		})
	})
}

func BenchmarkCompareGetItem(b *testing.B) {
	dynamoTargets(b, `{"Item":{"pk":{"S":"c-1"},"sk":{"S":"ord-00000001"},"status":{"S":"ACCEPTED"}}}`, func(b *testing.B, endpoint string, real bool) {
		db := dynamodb.NewFromConfig(sdkConfig(endpoint))
		if real {
			createOrders(b, db)
			for i := 0; i < 512; i++ {
				if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: order(i)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		bench.RunClients(b, func(int) *dynamodb.Client { return db }, func(c *dynamodb.Client, i int) error {
			_, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("c-%d", i%512%64)}, "sk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("ord-%08d", i%512)}}})
			return err
		})
	})
}

func BenchmarkCompareQuery(b *testing.B) {
	dynamoTargets(b, `{"Count":0,"Items":[],"ScannedCount":0}`, func(b *testing.B, endpoint string, real bool) {
		db := dynamodb.NewFromConfig(sdkConfig(endpoint))
		if real {
			createOrders(b, db)
			for i := 0; i < 640; i++ {
				if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: order(i)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		bench.RunClients(b, func(int) *dynamodb.Client { return db }, func(c *dynamodb.Client, i int) error {
			_, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("Orders"),
				KeyConditionExpression:    aws.String("pk = :p AND begins_with(sk, :s)"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("c-%d", i%64)}, ":s": &ddbtypes.AttributeValueMemberS{Value: "ord-"}}})
			return err
		})
	})
}

func BenchmarkCompareSendReceiveDelete(b *testing.B) {
	run := func(b *testing.B, endpoint string) {
		q := sqs.NewFromConfig(sdkConfig(endpoint))
		out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("bench")})
		if err != nil {
			b.Fatal(err)
		}
		url := *out.QueueUrl
		bench.RunClients(b, func(int) *sqs.Client { return q }, func(c *sqs.Client, i int) error {
			ctx := context.Background()
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(`{"orderId":"` + strconv.Itoa(i) + `"}`)}); err != nil {
				return err
			}
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			for _, m := range out.Messages {
				if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// No null-server row: the SDK verifies MD5s of sent and received
	// messages, which a fixed reply cannot carry; the DynamoDB rows give the
	// client's ceiling.
	b.Run("localcloud", func(b *testing.B) { run(b, startCloud(b)) })
}

func BenchmarkComparePublishFanout2(b *testing.B) {
	b.Run("localcloud", func(b *testing.B) {
		endpoint := startCloud(b)
		cfg := sdkConfig(endpoint)
		ctx := context.Background()
		q, t := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
		topic, err := t.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("order-events")})
		if err != nil {
			b.Fatal(err)
		}
		for _, name := range []string{"inventory-orders", "accounting-orders"} {
			out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err != nil {
				b.Fatal(err)
			}
			arn := "arn:aws:sqs:us-east-1:123456789012:" + name
			policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, arn, *topic.TopicArn)
			if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: out.QueueUrl, Attributes: map[string]string{"Policy": policy}}); err != nil {
				b.Fatal(err)
			}
			if _, err := t.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn,
				Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
				b.Fatal(err)
			}
		}
		bench.RunClients(b, func(int) *sns.Client { return t }, func(c *sns.Client, i int) error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(`{"orderId":"` + strconv.Itoa(i) + `"}`)})
			return err
		})
	})
}
