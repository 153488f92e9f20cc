//go:build learner

// Learner tests for lab 3's order publisher. Run them with: go test -tags learner ./starter/...
// They call h.Handle with the DynamoDB stream events in testdata/ and an in-memory topic.

package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

//go:embed testdata/*.json
var learnerEvents embed.FS

const learnerTopicARN = "arn:aws:sns:us-east-1:123456789012:order-events"

// learnerTopic records what is published; Publish fails for a message mentioning failFor.
type learnerTopic struct {
	mu        sync.Mutex
	failFor   string
	published []*sns.PublishInput
}

func (f *learnerTopic) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.Message == nil {
		return nil, errors.New("InvalidParameter: Message is required")
	}
	if f.failFor != "" && strings.Contains(*in.Message, f.failFor) {
		return nil, errors.New("InternalError: the topic is unavailable (test)")
	}
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: new(string)}, nil
}

// orderIDs returns the orderId of every published message, in order.
func (f *learnerTopic) orderIDs(t testing.TB) []string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, in := range f.published {
		var m map[string]any
		if err := json.Unmarshal([]byte(*in.Message), &m); err != nil {
			t.Fatalf("published message %q is not a JSON object: %v", *in.Message, err)
		}
		id, _ := m["orderId"].(string)
		ids = append(ids, id)
	}
	return ids
}

func learnerSetup(t testing.TB, topic *learnerTopic) (*handler, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	return &handler{pub: topic, topicARN: learnerTopicARN, log: slog.New(slog.NewJSONHandler(logs, nil))}, logs
}

func learnerEvent(t testing.TB, name string) events.DynamoDBEvent {
	t.Helper()
	b, err := learnerEvents.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode testdata/%s.json: %v", name, err)
	}
	return ev
}

func TestPublishesInsertedOrder(t *testing.T) {
	t.Parallel()
	topic := &learnerTopic{}
	h, _ := learnerSetup(t, topic)
	resp, err := h.Handle(context.Background(), learnerEvent(t, "stream-insert"))
	if err != nil {
		t.Fatalf("Handle error = %v, want nil", err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("BatchItemFailures = %v, want none", resp.BatchItemFailures)
	}
	if len(topic.published) != 1 {
		t.Fatalf("published %d messages, want 1", len(topic.published))
	}
	in := topic.published[0]
	if in.TopicArn == nil || *in.TopicArn != learnerTopicARN {
		t.Errorf("TopicArn = %v, want h.topicARN %s", in.TopicArn, learnerTopicARN)
	}
	attr, ok := in.MessageAttributes["eventType"]
	if !ok || attr.DataType == nil || *attr.DataType != "String" || attr.StringValue == nil || *attr.StringValue != "OrderPlaced" {
		t.Errorf(`message attribute eventType = %+v, want DataType "String", StringValue "OrderPlaced"`, attr)
	}

	var order map[string]any
	if err := json.Unmarshal([]byte(*in.Message), &order); err != nil {
		t.Fatalf("message %q is not a JSON object: %v", *in.Message, err)
	}
	for field, want := range map[string]any{
		"orderId": "ord-aaaaaaaaaaaaaaaaaaaaaaaa", "customerId": "c-123", "channel": "web",
		"status": "ACCEPTED", "createdAt": "2026-01-01T00:00:01Z", "totalCents": float64(1248),
	} {
		if got := order[field]; got != want {
			t.Errorf("message %s = %v (%T), want %v (%T): the order as plain JSON, not DynamoDB's {\"S\": ...}", field, got, got, want, want)
		}
	}
	lines, _ := order["lines"].([]any)
	if len(lines) != 2 {
		t.Fatalf("message lines = %v, want 2 lines", order["lines"])
	}
	first, _ := lines[0].(map[string]any)
	if first["sku"] != "SOAP-1" || first["quantity"] != float64(2) || first["unitPriceCents"] != float64(499) {
		t.Errorf(`message lines[0] = %v, want {"sku":"SOAP-1","quantity":2,"unitPriceCents":499}`, lines[0])
	}
}

func TestPublishesOnlyInserts(t *testing.T) {
	t.Parallel()
	topic := &learnerTopic{}
	h, _ := learnerSetup(t, topic)
	resp, err := h.Handle(context.Background(), learnerEvent(t, "stream-batch"))
	if err != nil {
		t.Fatalf("Handle error = %v, want nil", err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("BatchItemFailures = %v, want none", resp.BatchItemFailures)
	}
	got := strings.Join(topic.orderIDs(t), ",")
	want := "ord-aaaaaaaaaaaaaaaaaaaaaaaa,ord-bbbbbbbbbbbbbbbbbbbbbbbb,ord-dddddddddddddddddddddddd"
	if got != want {
		t.Errorf("published orders %s, want the three INSERTs in order %s (MODIFY and REMOVE publish nothing)", got, want)
	}
}

func TestReportsFailedRecords(t *testing.T) {
	t.Parallel()
	topic := &learnerTopic{failFor: "ord-bbbbbbbbbbbbbbbbbbbbbbbb"}
	h, _ := learnerSetup(t, topic)
	resp, err := h.Handle(context.Background(), learnerEvent(t, "stream-batch"))
	if err != nil {
		t.Fatalf("Handle error = %v, want nil and the failed record in BatchItemFailures (an error retries the whole batch)", err)
	}
	reported := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		reported[f.ItemIdentifier] = true
	}
	if !reported["100000000000000000003"] {
		t.Errorf("BatchItemFailures = %v, want the failed record's sequence number 100000000000000000003", resp.BatchItemFailures)
	}
	if reported["100000000000000000001"] {
		t.Errorf("BatchItemFailures = %v, want no entry for the record published before the failure", resp.BatchItemFailures)
	}
	if ids := topic.orderIDs(t); len(ids) == 0 || ids[0] != "ord-aaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("published %v, want the record before the failure published", ids)
	}
}
