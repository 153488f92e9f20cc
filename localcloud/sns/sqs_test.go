package sns

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/sqs"
)

// cloud is SNS and the real SQS service behind one listener.
type cloud struct {
	*testEnv
	queues *sqs.Service
	sqs    *awssqs.Client
	sns    *awssns.Client
}

func newCloud(t testing.TB) *cloud {
	t.Helper()
	dir := t.TempDir()
	q, err := sqs.New(sqs.Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatalf("sqs.New: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	lazy := &lazyHandler{}
	url := cloudtest.Serve(t, q.Route(), protocol.Route{Service: "sns", QueryVersions: []string{APIVersion}, Handler: lazy})
	cfg := Config{DataDir: dir, Endpoint: url, Logger: cloudtest.Logger(t), Queues: q}
	svc, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	lazy.set(svc.Route().Handler)
	awsCfg := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	return &cloud{testEnv: &testEnv{svc: svc, url: url, cfg: cfg}, queues: q, sqs: awssqs.NewFromConfig(awsCfg), sns: awssns.NewFromConfig(awsCfg)}
}

// queue creates an SQS queue; when allowTopic is set, its policy lets that
// topic send to it. It returns the queue's URL and ARN.
func (c *cloud) queue(t testing.TB, name, allowTopic string) (string, string) {
	t.Helper()
	ctx := context.Background()
	attrs := map[string]string{}
	if strings.HasSuffix(name, ".fifo") {
		attrs["FifoQueue"] = "true"
	}
	out, err := c.sqs.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes(%s): %v", name, err)
	}
	arn := a.Attributes["QueueArn"]
	if allowTopic != "" {
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` +
			arn + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + allowTopic + `"}}}]}`
		if _, err := c.sqs.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: out.QueueUrl, Attributes: map[string]string{"Policy": policy}}); err != nil {
			t.Fatalf("SetQueueAttributes(%s): %v", name, err)
		}
	}
	return aws.ToString(out.QueueUrl), arn
}

// receive returns every message now in the queue (without deleting them).
func (c *cloud) receive(t testing.TB, queueURL string) []sqstypes.Message {
	t.Helper()
	out, err := c.sqs.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10,
		MessageAttributeNames: []string{"All"}, VisibilityTimeout: 30})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func TestSQSFanoutEnvelopeAndRaw(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	ctx := context.Background()
	topic := createTopic(t, c.sns, "fanout", nil)
	envURL, envARN := c.queue(t, "envelope", topic)
	rawURL, rawARN := c.queue(t, "raw", topic)
	envSub := subscribe(t, c.sns, topic, "sqs", envARN, nil)
	subscribe(t, c.sns, topic, "sqs", rawARN, map[string]string{"RawMessageDelivery": "true"})

	pub, err := c.sns.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"orderId":"o-1"}`), Subject: aws.String("Order"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"eventType": {DataType: aws.String("String"), StringValue: aws.String("created")},
			"amount":    {DataType: aws.String("Number"), StringValue: aws.String("12.5")},
			"sig":       {DataType: aws.String("Binary"), BinaryValue: []byte("bin")},
		}})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	// Synchronous: both queues hold the message as soon as Publish answered.
	msgs := c.receive(t, envURL)
	if len(msgs) != 1 {
		t.Fatalf("envelope queue has %d messages, want 1", len(msgs))
	}
	body := aws.ToString(msgs[0].Body)
	var env map[string]any
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("envelope is not JSON: %v\n%s", err, body)
	}
	wantKeys := []string{"Message", "MessageAttributes", "MessageId", "Signature", "SignatureVersion", "SigningCertURL", "Subject", "Timestamp", "TopicArn", "Type", "UnsubscribeURL"}
	var keys []string
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("envelope keys = %v, want %v", keys, wantKeys)
	}
	for k, want := range map[string]string{"Type": "Notification", "MessageId": aws.ToString(pub.MessageId), "TopicArn": topic, "Subject": "Order",
		"Message": `{"orderId":"o-1"}`, "SignatureVersion": "1"} {
		if env[k] != want {
			t.Errorf("envelope %s = %v, want %q", k, env[k], want)
		}
	}
	ts, err := time.Parse("2006-01-02T15:04:05.000Z", env["Timestamp"].(string))
	if err != nil || time.Since(ts) > time.Minute {
		t.Errorf("Timestamp = %v (%v)", env["Timestamp"], err)
	}
	if u, _ := env["UnsubscribeURL"].(string); !strings.Contains(u, "SubscriptionArn="+strings.ReplaceAll(envSub, ":", "%3A")) {
		t.Errorf("UnsubscribeURL = %s, want it to name %s", u, envSub)
	}
	attrs, _ := env["MessageAttributes"].(map[string]any)
	for name, want := range map[string][2]string{"eventType": {"String", "created"}, "amount": {"Number", "12.5"}, "sig": {"Binary", "Ymlu"}} {
		a, _ := attrs[name].(map[string]any)
		if a["Type"] != want[0] || a["Value"] != want[1] {
			t.Errorf("envelope attribute %s = %v, want %v", name, a, want)
		}
	}
	if len(msgs[0].MessageAttributes) != 0 {
		t.Errorf("enveloped message has SQS attributes %v, want none", msgs[0].MessageAttributes)
	}

	raw := c.receive(t, rawURL)
	if len(raw) != 1 || aws.ToString(raw[0].Body) != `{"orderId":"o-1"}` {
		t.Fatalf("raw queue = %+v, want the bare message", raw)
	}
	ra := raw[0].MessageAttributes
	if aws.ToString(ra["eventType"].StringValue) != "created" || aws.ToString(ra["eventType"].DataType) != "String" ||
		aws.ToString(ra["amount"].StringValue) != "12.5" || aws.ToString(ra["amount"].DataType) != "Number" ||
		string(ra["sig"].BinaryValue) != "bin" || aws.ToString(ra["sig"].DataType) != "Binary" {
		t.Errorf("raw message attributes = %+v", ra)
	}
}

func TestSQSFilterPolicies(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	ctx := context.Background()
	topic := createTopic(t, c.sns, "filtered", nil)
	attrURL, attrARN := c.queue(t, "by-attributes", topic)
	bodyURL, bodyARN := c.queue(t, "by-body", topic)
	subscribe(t, c.sns, topic, "sqs", attrARN, map[string]string{"RawMessageDelivery": "true",
		"FilterPolicy": `{"eventType":["created",{"prefix":"order."}],"amount":[{"numeric":[">=",100]}]}`})
	subscribe(t, c.sns, topic, "sqs", bodyARN, map[string]string{"RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
		"FilterPolicy": `{"order":{"region":["eu"],"total":[{"numeric":[">",10]}]}}`})

	publish := func(body, eventType, amount string) {
		t.Helper()
		attrs := map[string]snstypes.MessageAttributeValue{}
		if eventType != "" {
			attrs["eventType"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(eventType)}
		}
		if amount != "" {
			attrs["amount"] = snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(amount)}
		}
		if _, err := c.sns.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(body), MessageAttributes: attrs}); err != nil {
			t.Fatalf("Publish(%s): %v", body, err)
		}
	}
	publish(`{"n":1,"order":{"region":"eu","total":50}}`, "created", "150")    // both
	publish(`{"n":2,"order":{"region":"us","total":50}}`, "order.paid", "100") // attributes only
	publish(`{"n":3,"order":{"region":"eu","total":5}}`, "created", "99")      // neither
	publish(`{"n":4,"order":{"region":"eu","total":11}}`, "deleted", "500")    // body only
	publish(`not json`, "created", "")                                         // neither (no amount)

	bodies := func(url string) []string {
		var out []string
		for _, m := range c.receive(t, url) {
			var v struct{ N int }
			json.Unmarshal([]byte(aws.ToString(m.Body)), &v)
			out = append(out, string(rune('0'+v.N)))
		}
		sort.Strings(out)
		return out
	}
	if got := strings.Join(bodies(attrURL), ","); got != "1,2" {
		t.Errorf("attribute-filtered queue got messages %s, want 1,2", got)
	}
	if got := strings.Join(bodies(bodyURL), ","); got != "1,4" {
		t.Errorf("body-filtered queue got messages %s, want 1,4", got)
	}
}

func TestSQSPolicyDenialAndDeadLetter(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	ctx := context.Background()
	topic := createTopic(t, c.sns, "guarded", nil)
	openURL, openARN := c.queue(t, "open", topic)
	closedURL, closedARN := c.queue(t, "closed", "") // no policy: SNS may not send
	dlqURL, dlqARN := c.queue(t, "closed-dlq", topic)
	_, otherARN := c.queue(t, "other-topic-only", "arn:aws:sns:us-east-1:"+cloudtest.Account+":someone-else")
	subscribe(t, c.sns, topic, "sqs", openARN, nil)
	subscribe(t, c.sns, topic, "sqs", closedARN, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`})
	subscribe(t, c.sns, topic, "sqs", otherARN, nil)
	goneURL, goneARN := c.queue(t, "gone", topic)
	subscribe(t, c.sns, topic, "sqs", goneARN, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`})
	if _, err := c.sqs.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(goneURL)}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.sns.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("guarded message")}); err != nil {
		t.Fatalf("Publish must succeed even when some queues refuse: %v", err)
	}
	if n := len(c.receive(t, openURL)); n != 1 {
		t.Errorf("open queue has %d messages, want 1", n)
	}
	if n := len(c.receive(t, closedURL)); n != 0 {
		t.Errorf("queue without a policy has %d messages, want 0", n)
	}
	dead := c.receive(t, dlqURL)
	if len(dead) != 2 {
		t.Fatalf("dead-letter queue has %d messages, want 2 (refused and deleted queue)", len(dead))
	}
	var env notification
	if err := json.Unmarshal([]byte(aws.ToString(dead[0].Body)), &env); err != nil || env.Message != "guarded message" || env.TopicArn != topic {
		t.Errorf("dead-lettered message = %s (%v)", aws.ToString(dead[0].Body), err)
	}
}

func TestSQSFIFOFanout(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	ctx := context.Background()
	topic := createTopic(t, c.sns, "orders.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	qURL, qARN := c.queue(t, "orders.fifo", topic)
	subscribe(t, c.sns, topic, "sqs", qARN, map[string]string{"RawMessageDelivery": "true"})
	var entries []snstypes.PublishBatchRequestEntry
	for _, m := range []string{"first", "second", "third"} {
		entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(m), Message: aws.String(m), MessageGroupId: aws.String("g1")})
	}
	out, err := c.sns.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries})
	if err != nil || len(out.Successful) != 3 {
		t.Fatalf("PublishBatch = %+v, %v", out, err)
	}
	got, err := c.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(qURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range got.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	if strings.Join(bodies, ",") != "first,second,third" {
		t.Errorf("fifo queue order = %v, want first,second,third", bodies)
	}
}
