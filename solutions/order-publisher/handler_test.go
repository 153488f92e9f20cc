package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

func TestImageJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		image string // stream image JSON
		want  string
	}{
		{name: "scalars", image: `{"s":{"S":"x"},"n":{"N":"12.50"},"b":{"BOOL":true},"z":{"NULL":true}}`, want: `{"b":true,"n":12.50,"s":"x","z":null}`},
		{name: "nested", image: `{"l":{"L":[{"M":{"q":{"N":"2"}}},{"S":"y"}]}}`, want: `{"l":[{"q":2},"y"]}`},
		{name: "sets", image: `{"ss":{"SS":["a","b"]},"ns":{"NS":["1","2.5"]}}`, want: `{"ns":[1,2.5],"ss":["a","b"]}`},
		{name: "binary", image: `{"bin":{"B":"AQI="},"bs":{"BS":["AQ=="]}}`, want: `{"bin":"AQI=","bs":["AQ=="]}`},
		{name: "big number keeps its digits", image: `{"n":{"N":"123456789012345678901234567890"}}`, want: `{"n":123456789012345678901234567890}`},
		{name: "empty", image: `{}`, want: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var image map[string]events.DynamoDBAttributeValue
			if err := json.Unmarshal([]byte(tt.image), &image); err != nil {
				t.Fatalf("decode image: %v", err)
			}
			got, err := imageJSON(image)
			if err != nil {
				t.Fatalf("imageJSON: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("imageJSON = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestImageJSONRejectsBadNumber(t *testing.T) {
	t.Parallel()
	image := map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute("12abc")}
	if _, err := imageJSON(image); err == nil || !strings.Contains(err.Error(), "attribute n") {
		t.Errorf("imageJSON error = %v, want one naming attribute n", err)
	}
}

// countingTopic fails Publish for the calls whose 1-based index is in fail.
type countingTopic struct {
	calls int
	fail  map[int]bool
}

func (c *countingTopic) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.calls++
	if c.fail[c.calls] {
		return nil, errors.New("throttled")
	}
	return &sns.PublishOutput{}, nil
}

func insert(seq string, image map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
		SequenceNumber: seq,
		Keys:           map[string]events.DynamoDBAttributeValue{"orderId": events.NewStringAttribute("ord-" + seq)},
		NewImage:       image,
	}}
}

func TestHandleBatchFailures(t *testing.T) {
	t.Parallel()
	img := map[string]events.DynamoDBAttributeValue{"orderId": events.NewStringAttribute("ord-x")}
	tests := []struct {
		name      string
		records   []events.DynamoDBEventRecord
		fail      map[int]bool
		wantCalls int
		wantFail  []string
	}{
		{name: "all published", records: []events.DynamoDBEventRecord{insert("1", img), insert("2", img)}, wantCalls: 2},
		{name: "stops at the first failure", records: []events.DynamoDBEventRecord{insert("1", img), insert("2", img), insert("3", img)}, fail: map[int]bool{2: true}, wantCalls: 2, wantFail: []string{"2"}},
		{name: "insert without new image", records: []events.DynamoDBEventRecord{insert("1", img), insert("2", nil), insert("3", img)}, wantCalls: 1, wantFail: []string{"2"}},
		{name: "empty batch", wantCalls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			topic := &countingTopic{fail: tt.fail}
			h := &handler{pub: topic, topicARN: "arn:aws:sns:us-east-1:1:order-events", log: slog.New(slog.DiscardHandler)}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tt.records})
			if err != nil {
				t.Fatalf("Handle error = %v, want nil", err)
			}
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFail, ",") {
				t.Errorf("failures = %v, want %v", got, tt.wantFail)
			}
			if topic.calls != tt.wantCalls {
				t.Errorf("Publish calls = %d, want %d", topic.calls, tt.wantCalls)
			}
		})
	}
}

func TestNewHandlerNeedsTopic(t *testing.T) {
	t.Parallel()
	_, err := newHandler(context.Background(), func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "TOPIC_ARN") {
		t.Errorf("newHandler error = %v, want one naming TOPIC_ARN", err)
	}
	h, err := newHandler(context.Background(), func(k string) string {
		return map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:order-events"}[k]
	}, slog.New(slog.DiscardHandler))
	if err != nil || h.topicARN != "arn:aws:sns:us-east-1:1:order-events" {
		t.Errorf("newHandler = %v, %v, want the topic ARN from the environment", h, err)
	}
}
