package sns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// fakeFunctions records invocations; it fails the first failures calls.
type fakeFunctions struct {
	mu       sync.Mutex
	calls    []protocol.ServiceInvocation
	failures int
	err      error
}

func (f *fakeFunctions) InvokeFromService(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.err != nil {
		return protocol.InvocationResult{}, f.err
	}
	if f.failures > 0 {
		f.failures--
		return protocol.InvocationResult{}, protocol.StatusErrorf(429, "TooManyRequestsException", "busy")
	}
	return protocol.InvocationResult{}, nil
}

func (f *fakeFunctions) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestLambdaDelivery(t *testing.T) {
	t.Parallel()
	fn := &fakeFunctions{failures: 1}
	env := newEnv(t, Config{Functions: fn, RetryDelay: 10 * time.Millisecond})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "to-lambda", nil)
	fnARN := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:handler"
	sub := subscribe(t, c, topic, "lambda", fnARN, nil)
	out, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"order":1}`), Subject: aws.String("New order"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("order")},
			"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The first invocation fails and is retried.
	waitFor(t, "two invocations", 30*time.Second, func() bool { return fn.count() >= 2 })
	fn.mu.Lock()
	inv := fn.calls[1]
	fn.mu.Unlock()
	if !inv.Async || inv.SourcePrincipal != "sns.amazonaws.com" || inv.SourceARN != topic || inv.FunctionARN != fnARN || inv.SourceAccount != cloudtest.Account {
		t.Errorf("invocation = %+v", inv)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(inv.Payload, &ev); err != nil {
		t.Fatalf("payload does not decode as events.SNSEvent: %v\n%s", err, inv.Payload)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("records = %d, want 1", len(ev.Records))
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != sub {
		t.Errorf("record = %+v", r)
	}
	e := r.SNS
	if e.Type != "Notification" || e.MessageID != aws.ToString(out.MessageId) || e.TopicArn != topic || e.Subject != "New order" ||
		e.Message != `{"order":1}` || e.SignatureVersion != "1" || e.Signature == "" || e.SigningCertURL == "" || !strings.Contains(e.UnsubscribeURL, "Action=Unsubscribe") {
		t.Errorf("sns entity = %+v", e)
	}
	if time.Since(e.Timestamp) > time.Minute || e.Timestamp.Location() != time.UTC {
		t.Errorf("timestamp = %v", e.Timestamp)
	}
	kind, _ := e.MessageAttributes["kind"].(map[string]any)
	blob, _ := e.MessageAttributes["blob"].(map[string]any)
	if kind["Type"] != "String" || kind["Value"] != "order" || blob["Type"] != "Binary" || blob["Value"] != "AAEC" {
		t.Errorf("message attributes = %v", e.MessageAttributes)
	}
	time.Sleep(50 * time.Millisecond)
	if n := fn.count(); n != 2 {
		t.Errorf("invocations = %d, want 2 (one failure, one success)", n)
	}
}

func TestLambdaDeliveryFailureGoesToDLQ(t *testing.T) {
	t.Parallel()
	fn := &fakeFunctions{err: protocol.StatusErrorf(404, "ResourceNotFoundException", "Function not found")}
	q := &fakeQueues{}
	env := newEnv(t, Config{Functions: fn, Queues: q, RetryDelay: 5 * time.Millisecond})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "to-missing-lambda", nil)
	dlq := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":dlq"
	subscribe(t, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:gone",
		map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`})
	if _, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("lost")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dead-letter delivery", 30*time.Second, func() bool { return len(q.deliveries(dlq)) == 1 })
	var n notification
	if err := json.Unmarshal([]byte(q.deliveries(dlq)[0].Body), &n); err != nil || n.Message != "lost" {
		t.Errorf("dead-lettered body = %s (%v)", q.deliveries(dlq)[0].Body, err)
	}
	if got := fn.count(); got != 1 {
		t.Errorf("invocations = %d, want 1 (a missing function is not retried)", got)
	}
}

func TestLambdaDeliveryWithoutLambdaService(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{RetryDelay: time.Millisecond, MaxAttempts: 2})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "no-lambda", nil)
	subscribe(t, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:f", nil)
	if _, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("x")}); err != nil {
		t.Fatalf("Publish without a Lambda service: %v", err)
	}
	waitFor(t, "the outbox to empty", 30*time.Second, func() bool {
		var n int
		env.svc.db.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n)
		return n == 0
	})
}

func TestPendingDeliveriesSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// No workers deliver before Close: the first service's Lambda always fails
	// with a long retry delay.
	env := newEnv(t, Config{DataDir: dir, Functions: &fakeFunctions{err: errors.New("down")}, RetryDelay: time.Hour})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "durable-outbox", nil)
	subscribe(t, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:f", nil)
	if _, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("keep me")}); err != nil {
		t.Fatal(err)
	}
	env.svc.Close()

	fn := &fakeFunctions{}
	env2 := newEnv(t, Config{DataDir: dir, Functions: fn})
	_ = env2
	waitFor(t, "redelivery after restart", 30*time.Second, func() bool { return fn.count() == 1 })
	var ev events.SNSEvent
	fn.mu.Lock()
	json.Unmarshal(fn.calls[0].Payload, &ev)
	fn.mu.Unlock()
	if len(ev.Records) != 1 || ev.Records[0].SNS.Message != "keep me" {
		t.Errorf("redelivered payload = %+v", ev)
	}
}

// httpEndpoint is a subscriber: it confirms subscriptions by GETting the
// SubscribeURL and records notifications.
type httpEndpoint struct {
	t       testing.TB
	mu      sync.Mutex
	confirm bool
	status  int
	got     []receivedPost
}

type receivedPost struct {
	header http.Header
	body   []byte
}

func (h *httpEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.got = append(h.got, receivedPost{r.Header.Clone(), body})
	confirm, status := h.confirm, h.status
	h.mu.Unlock()
	if r.Header.Get("x-amz-sns-message-type") == "SubscriptionConfirmation" && confirm {
		var m map[string]string
		json.Unmarshal(body, &m)
		resp, err := http.Get(m["SubscribeURL"])
		if err != nil {
			h.t.Errorf("GET SubscribeURL: %v", err)
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "<SubscriptionArn>") {
				h.t.Errorf("GET SubscribeURL: %d %s", resp.StatusCode, b)
			}
		}
	}
	if status != 0 {
		w.WriteHeader(status)
	}
}

func (h *httpEndpoint) posts(kind string) []receivedPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []receivedPost
	for _, p := range h.got {
		if p.header.Get("x-amz-sns-message-type") == kind {
			out = append(out, p)
		}
	}
	return out
}

func TestHTTPSubscription(t *testing.T) {
	t.Parallel()
	ep := &httpEndpoint{t: t, confirm: true}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "to-http", nil)

	out, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL + "/hook")})
	if err != nil || aws.ToString(out.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("Subscribe = %v, %v; want pending confirmation", out, err)
	}
	waitFor(t, "the subscription to be confirmed", 30*time.Second, func() bool {
		l, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		return err == nil && len(l.Subscriptions) == 1 && aws.ToString(l.Subscriptions[0].SubscriptionArn) != "PendingConfirmation"
	})
	confirmations := ep.posts("SubscriptionConfirmation")
	if len(confirmations) != 1 {
		t.Fatalf("confirmations = %d, want 1", len(confirmations))
	}
	var cm map[string]string
	if err := json.Unmarshal(confirmations[0].body, &cm); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"} {
		if cm[k] == "" {
			t.Errorf("confirmation lacks %s: %s", k, confirmations[0].body)
		}
	}
	if !strings.HasPrefix(cm["SubscribeURL"], env.url+"/?") || !strings.Contains(cm["SubscribeURL"], "Version=2010-03-31") {
		t.Errorf("SubscribeURL = %s", cm["SubscribeURL"])
	}
	if ct := confirmations[0].header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}

	l, _ := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	sub := aws.ToString(l.Subscriptions[0].SubscriptionArn)
	attrs, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if err != nil || attrs.Attributes["PendingConfirmation"] != "false" || attrs.Attributes["ConfirmationWasAuthenticated"] != "false" {
		t.Errorf("attributes after confirmation = %v, %v", attrs, err)
	}

	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("hello <http> & co"), Subject: aws.String("Hi"),
		MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("42")}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the notification", 30*time.Second, func() bool { return len(ep.posts("Notification")) == 1 })
	p := ep.posts("Notification")[0]
	for h, want := range map[string]string{"x-amz-sns-message-id": aws.ToString(pub.MessageId), "x-amz-sns-topic-arn": topic,
		"x-amz-sns-subscription-arn": sub, "Content-Type": "text/plain; charset=UTF-8"} {
		if got := p.header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	var n notification
	if err := json.Unmarshal(p.body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Type != "Notification" || n.Message != "hello <http> & co" || n.Subject != "Hi" || n.MessageAttributes["n"] != (envelopeAttribute{"Number", "42"}) {
		t.Errorf("notification = %+v", n)
	}
	if strings.Contains(string(p.body), `\u003c`) {
		t.Errorf("body escapes HTML: %s", p.body)
	}

	// Unsubscribing through the UnsubscribeURL needs no credentials.
	resp, err := http.Get(n.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET UnsubscribeURL: %d", resp.StatusCode)
	}
	l, _ = c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if len(l.Subscriptions) != 0 {
		t.Errorf("subscriptions after unsubscribe URL = %v", l.Subscriptions)
	}
}

func TestHTTPPendingSubscriptionGetsNothing(t *testing.T) {
	t.Parallel()
	ep := &httpEndpoint{t: t}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "pending-http", nil)
	sub := subscribe(t, c, topic, "http", srv.URL, map[string]string{"RawMessageDelivery": "true"})
	waitFor(t, "the confirmation request", 30*time.Second, func() bool { return len(ep.posts("SubscriptionConfirmation")) == 1 })
	// Subscribing again resends the confirmation.
	if again := subscribe(t, c, topic, "http", srv.URL, map[string]string{"RawMessageDelivery": "true"}); again != sub {
		t.Errorf("Subscribe again = %s, want %s", again, sub)
	}
	waitFor(t, "the second confirmation request", 30*time.Second, func() bool { return len(ep.posts("SubscriptionConfirmation")) == 2 })
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("early")}); err != nil {
		t.Fatal(err)
	}
	// Confirm with the SDK, as an application would with the token.
	var cm map[string]string
	json.Unmarshal(ep.posts("SubscriptionConfirmation")[0].body, &cm)
	conf, err := c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(cm["Token"]), AuthenticateOnUnsubscribe: aws.String("true")})
	if err != nil || aws.ToString(conf.SubscriptionArn) != sub {
		t.Fatalf("ConfirmSubscription = %v, %v; want %s", conf, err, sub)
	}
	_, err = c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String("wrong")})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("ConfirmSubscription with a wrong token: got %v, want InvalidParameter", err)
	}
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("raw body")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the notification", 30*time.Second, func() bool { return len(ep.posts("Notification")) == 1 })
	p := ep.posts("Notification")[0]
	if string(p.body) != "raw body" || p.header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Errorf("raw notification = %q %v", p.body, p.header)
	}
	attrs, _ := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if attrs.Attributes["ConfirmationWasAuthenticated"] != "true" {
		t.Errorf("ConfirmationWasAuthenticated = %s, want true", attrs.Attributes["ConfirmationWasAuthenticated"])
	}
}

func TestHTTPDeliveryRetriesThenDeadLetters(t *testing.T) {
	t.Parallel()
	ep := &httpEndpoint{t: t, confirm: true}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q, RetryDelay: 5 * time.Millisecond, MaxAttempts: 3})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "flaky-http", nil)
	dlq := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":http-dlq"
	subscribe(t, c, topic, "http", srv.URL, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`})
	waitFor(t, "confirmation", 30*time.Second, func() bool {
		l, _ := c.ListSubscriptionsByTopic(context.Background(), &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		return l != nil && len(l.Subscriptions) == 1 && aws.ToString(l.Subscriptions[0].SubscriptionArn) != "PendingConfirmation"
	})
	ep.mu.Lock()
	ep.status = http.StatusInternalServerError
	ep.mu.Unlock()
	if _, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("never lands")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dead-letter delivery", 30*time.Second, func() bool { return len(q.deliveries(dlq)) == 1 })
	if n := len(ep.posts("Notification")); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestMessageStructureJSON(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	fn := &fakeFunctions{}
	env := newEnv(t, Config{Queues: q, Functions: fn})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "structured", nil)
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":sq"
	subscribe(t, c, topic, "sqs", queue, map[string]string{"RawMessageDelivery": "true"})
	subscribe(t, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:f", nil)
	_, err := c.Publish(context.Background(), &awssns.PublishInput{TopicArn: &topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","sqs":"for queues"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.deliveries(queue); len(got) != 1 || got[0].Body != "for queues" {
		t.Errorf("sqs delivery = %+v, want the sqs message", got)
	}
	waitFor(t, "lambda invocation", 30*time.Second, func() bool { return fn.count() == 1 })
	var ev events.SNSEvent
	fn.mu.Lock()
	json.Unmarshal(fn.calls[0].Payload, &ev)
	fn.mu.Unlock()
	if ev.Records[0].SNS.Message != "for everyone" {
		t.Errorf("lambda message = %q, want the default", ev.Records[0].SNS.Message)
	}
}
