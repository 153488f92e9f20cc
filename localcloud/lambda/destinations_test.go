package lambda

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	lcsns "github.com/labkit-dev/labkit/localcloud/sns"
	lcsqs "github.com/labkit-dev/labkit/localcloud/sqs"
)

// destWorld is a local cloud of SQS, SNS and Lambda (retrying failed
// Event invocations after milliseconds) behind one listener.
type destWorld struct {
	sqs *sqs.Client
	sns *sns.Client
	lc  *awslambda.Client
	bus *activity.Bus
	lam *Service
}

func newDestWorld(t *testing.T) *destWorld {
	t.Helper()
	dir := t.TempDir()
	queues, err := lcsqs.New(lcsqs.Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { queues.Close() })
	topics, err := lcsns.New(lcsns.Config{DataDir: dir, Logger: cloudtest.Logger(t), Queues: queues})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topics.Close() })
	w := &destWorld{bus: activity.NewBus()}
	lam, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), IdleTimeout: time.Minute, Bus: w.bus,
		AsyncRetryDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	url := cloudtest.Serve(t, queues.Route(), topics.Route(), lam.Route())
	t.Cleanup(func() { lam.Close() }) // before the listener closes
	lam.SetEndpoint(url)
	w.lam = lam
	cfg := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	w.sqs, w.sns, w.lc = sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg), awslambda.NewFromConfig(cfg)
	return w
}

// queue creates a queue and returns its URL and ARN.
func (w *destWorld) queue(t *testing.T, name string) (string, string) {
	t.Helper()
	out, err := w.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":" + name
}

// receive polls a queue until a message arrives or the deadline passes.
func (w *destWorld) receive(t *testing.T, url string) sqstypes.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) > 0 {
			return out.Messages[0]
		}
	}
	t.Fatalf("no message in %s within 30s", url)
	return sqstypes.Message{}
}

// invokeEvent invokes a function asynchronously.
func (w *destWorld) invokeEvent(t *testing.T, name, payload string) {
	t.Helper()
	out, err := w.lc.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(payload)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Invoke %s (Event): %v %+v", name, err, out)
	}
}

// wireRecord is the invocation record as AWS's documentation shows it.
type wireRecord struct {
	Version        string
	Timestamp      string
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext map[string]any  `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

func decodeRecord(t *testing.T, body string) wireRecord {
	t.Helper()
	var r wireRecord
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("invocation record %q: %v", body, err)
	}
	if r.Version != "1.0" {
		t.Errorf("version = %q, want 1.0", r.Version)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.Timestamp); err != nil {
		t.Errorf("timestamp %q is not as AWS writes it: %v", r.Timestamp, err)
	}
	return r
}

// TestDestinationOnFailureAndDeadLetter: an Event invocation that fails
// past MaximumRetryAttempts (1) sends its invocation record to the OnFailure
// queue (RetriesExhausted, approximateInvokeCount 2, the request and the
// error) and its event to the dead-letter queue too, as AWS does with both.
func TestDestinationOnFailureAndDeadLetter(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	failURL, failARN := w.queue(t, "failures")
	dlqURL, dlqARN := w.queue(t, "failer-dlq")
	createFunction(t, w.lc, "failer", zipOf(t, "panic"), func(in *awslambda.CreateFunctionInput) {
		in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String(dlqARN)}
	})
	_, err := w.lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("failer"),
		MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig:    &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(failARN)}}})
	if err != nil {
		t.Fatal(err)
	}
	w.invokeEvent(t, "failer", `{"error":"boom"}`)

	r := decodeRecord(t, aws.ToString(w.receive(t, failURL).Body))
	rc := r.RequestContext
	if rc.Condition != "RetriesExhausted" || rc.ApproximateInvokeCount != 2 || rc.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:failer:$LATEST" || len(rc.RequestID) != 36 {
		t.Errorf("requestContext = %+v", rc)
	}
	if string(r.RequestPayload) != `{"error":"boom"}` {
		t.Errorf("requestPayload = %s", r.RequestPayload)
	}
	if r.ResponseContext["statusCode"] != 200.0 || r.ResponseContext["executedVersion"] != "$LATEST" || r.ResponseContext["functionError"] != "Unhandled" {
		t.Errorf("responseContext = %v", r.ResponseContext)
	}
	var fe struct{ ErrorMessage string }
	if json.Unmarshal(r.ResponsePayload, &fe); fe.ErrorMessage != "boom" {
		t.Errorf("responsePayload = %s, want the function's error", r.ResponsePayload)
	}

	m := w.receive(t, dlqURL)
	if aws.ToString(m.Body) != `{"error":"boom"}` || aws.ToString(m.MessageAttributes["RequestID"].StringValue) != rc.RequestID {
		t.Errorf("dead-letter message = %q %v, want the event of request %s", aws.ToString(m.Body), m.MessageAttributes, rc.RequestID)
	}
}

// TestDestinationOnSuccessTopic: a successful Event invocation sends its
// record (Success, one invoke, the function's answer) to the OnSuccess SNS
// topic, which delivers it to a subscribed queue.
func TestDestinationOnSuccessTopic(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	topic, err := w.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("successes")})
	if err != nil {
		t.Fatal(err)
	}
	inURL, inARN := w.queue(t, "success-inbox")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",` +
		`"Resource":"` + inARN + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + aws.ToString(topic.TopicArn) + `"}}}]}`
	if _, err := w.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(inURL), Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(inARN)}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, w.lc, "echoer", zipOf(t, "echo"), nil)
	_, err = w.lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("echoer"),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: topic.TopicArn}}})
	if err != nil {
		t.Fatal(err)
	}
	w.invokeEvent(t, "echoer", `{"order":42}`)

	var note struct{ Type, TopicArn, Message string }
	if err := json.Unmarshal([]byte(aws.ToString(w.receive(t, inURL).Body)), &note); err != nil || note.Type != "Notification" {
		t.Fatalf("SNS notification: %v %+v", err, note)
	}
	r := decodeRecord(t, note.Message)
	rc := r.RequestContext
	if rc.Condition != "Success" || rc.ApproximateInvokeCount != 1 || rc.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:echoer:$LATEST" {
		t.Errorf("requestContext = %+v", rc)
	}
	if string(r.RequestPayload) != `{"order":42}` || string(r.ResponsePayload) != `{"order":42}` {
		t.Errorf("requestPayload = %s, responsePayload = %s, want the event both times (echo)", r.RequestPayload, r.ResponsePayload)
	}
	if _, has := r.ResponseContext["functionError"]; has || r.ResponseContext["statusCode"] != 200.0 || r.ResponseContext["executedVersion"] != "$LATEST" {
		t.Errorf("responseContext = %v", r.ResponseContext)
	}
}

// TestDestinationDeliveryFailures: a record whose destination queue is gone
// counts in DestinationDeliveryFailures for the function.
func TestDestinationDeliveryFailures(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	events, stop := w.bus.Subscribe(1024)
	defer stop()
	url, arn := w.queue(t, "gone")
	if _, err := w.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, w.lc, "lost", zipOf(t, "echo"), nil)
	_, err := w.lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("lost"),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(arn)}}})
	if err != nil {
		t.Fatal(err)
	}
	w.invokeEvent(t, "lost", `{}`)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == activity.KindCount && e.Route == "DestinationDeliveryFailures" {
				if e.Name != "lost" || e.Status != 1 {
					t.Errorf("metric event = %+v", e)
				}
				return
			}
		case <-deadline:
			t.Fatal("no DestinationDeliveryFailures within 30s")
		}
	}
}

// TestDestinationFunctionChain: an OnFailure destination that is a function
// is invoked asynchronously with the record; its own OnSuccess record (to a
// queue) carries that record as its requestPayload.
func TestDestinationFunctionChain(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	outURL, outARN := w.queue(t, "chain-out")
	handler := createFunction(t, w.lc, "handler", zipOf(t, "echo"), nil)
	createFunction(t, w.lc, "flaky", zipOf(t, "panic"), nil)
	for name, dc := range map[string]*types.DestinationConfig{
		"flaky":   {OnFailure: &types.OnFailure{Destination: handler.FunctionArn}},
		"handler": {OnSuccess: &types.OnSuccess{Destination: aws.String(outARN)}},
	} {
		_, err := w.lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(name),
			MaximumRetryAttempts: aws.Int32(0), DestinationConfig: dc})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.invokeEvent(t, "flaky", `{"error":"chained"}`)
	r := decodeRecord(t, aws.ToString(w.receive(t, outURL).Body))
	if r.RequestContext.Condition != "Success" || r.RequestContext.FunctionArn != aws.ToString(handler.FunctionArn)+":$LATEST" {
		t.Errorf("handler's record: requestContext = %+v", r.RequestContext)
	}
	inner := decodeRecord(t, string(r.RequestPayload))
	if inner.RequestContext.Condition != "RetriesExhausted" || inner.RequestContext.ApproximateInvokeCount != 1 || string(inner.RequestPayload) != `{"error":"chained"}` {
		t.Errorf("flaky's record = %+v", inner)
	}
}

// TestDestinationEventAgeExceeded: an event older than
// MaximumEventAgeInSeconds is not run; its record goes to OnFailure with
// condition EventAgeExceeded and no invocation.
func TestDestinationEventAgeExceeded(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	url, arn := w.queue(t, "expired")
	createFunction(t, w.lc, "slowpoke", zipOf(t, "echo"), nil)
	_, err := w.lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("slowpoke"),
		MaximumEventAgeInSeconds: aws.Int32(60), DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(arn)}}})
	if err != nil {
		t.Fatal(err)
	}
	// An event queued two minutes ago (as after throttling or a restart).
	f := w.lam.current(fnKey{cloudtest.Account, "us-east-1", "slowpoke"})
	old := time.Now().Add(-2 * time.Minute)
	w.lam.async.requeue(&asyncEvent{id: "0b0f6d0e-6c3b-4c55-9d1e-6f1f4c0e2a11", key: f.key(), payload: []byte(`{"late":true}`), nextAt: old, queued: old})
	r := decodeRecord(t, aws.ToString(w.receive(t, url).Body))
	rc := r.RequestContext
	if rc.Condition != "EventAgeExceeded" || rc.ApproximateInvokeCount != 0 || rc.RequestID != "0b0f6d0e-6c3b-4c55-9d1e-6f1f4c0e2a11" || string(r.RequestPayload) != `{"late":true}` {
		t.Errorf("record = %+v", r)
	}
}
