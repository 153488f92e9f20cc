package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// The event this function publishes.
const (
	eventTypeAttribute = "eventType"
	orderPlaced        = "OrderPlaced"
)

// publisher is the part of the SNS API the publisher uses.
type publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ publisher = (*sns.Client)(nil)

// handler publishes OrderPlaced events from the Orders table's stream.
type handler struct {
	pub      publisher
	topicARN string // the order-events topic
	log      *slog.Logger
}

// Handle publishes an OrderPlaced event for each INSERT record of the batch, in order.
//
// When a record fails (no new image, or Publish fails) it reports that record's sequence
// number as the batch item failure and stops: the mapping retries from the lowest reported
// sequence number, so the records after it come again anyway and publishing them now would
// only add duplicates. Subscribers still see each order at least once, never exactly once.
func (h *handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		seq := rec.Change.SequenceNumber
		orderID := stringAttr(rec.Change.Keys, "orderId")
		log := h.log.With("orderId", orderID, "sequenceNumber", seq, "eventName", rec.EventName)
		if rec.EventName != "INSERT" {
			log.DebugContext(ctx, "record skipped: not an INSERT")
			continue
		}
		if err := h.publish(ctx, rec); err != nil {
			log.ErrorContext(ctx, "publish OrderPlaced", "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			return resp, nil
		}
		log.InfoContext(ctx, "OrderPlaced published")
	}
	return resp, nil
}

// publish sends the record's new image as an OrderPlaced event.
func (h *handler) publish(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if len(rec.Change.NewImage) == 0 {
		return fmt.Errorf("record %s has no new image: set the stream view type to NEW_IMAGE or NEW_AND_OLD_IMAGES", rec.Change.SequenceNumber)
	}
	body, err := imageJSON(rec.Change.NewImage)
	if err != nil {
		return fmt.Errorf("convert record %s: %w", rec.Change.SequenceNumber, err)
	}
	_, err = h.pub.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(h.topicARN),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			eventTypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(orderPlaced)},
		},
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", h.topicARN, err)
	}
	return nil
}

// stringAttr returns the string attribute name of an image, or "" when it has none.
func stringAttr(image map[string]events.DynamoDBAttributeValue, name string) string {
	if av, ok := image[name]; ok && av.DataType() == events.DataTypeString {
		return av.String()
	}
	return ""
}
