package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
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

// Handle publishes an OrderPlaced event for each INSERT record of the batch, in order, and
// reports the records it could not publish as batch item failures.
func (h *handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		orderID := stringAttr(rec.Change.Keys, "orderId")
		log := h.log.With("orderId", orderID, "sequenceNumber", rec.Change.SequenceNumber, "eventName", rec.EventName)

		// TODO(lab 3): publish each new order.
		//  - Only INSERT records are new orders (rec.EventName); skip the others.
		//  - imageJSON(rec.Change.NewImage) (image.go, provided) gives the order as plain JSON.
		//  - h.pub.Publish it to h.topicARN with the message attribute eventTypeAttribute =
		//    orderPlaced (types.MessageAttributeValue with DataType "String").
		//  - Log log.InfoContext(ctx, "OrderPlaced published") once published (lab 5 follows
		//    an order by these lines); log.ErrorContext(ctx, "publish OrderPlaced", "error", err)
		//    when it fails.
		//  - If publishing fails, also add the record to resp.BatchItemFailures
		//    (ItemIdentifier: rec.Change.SequenceNumber), and return nil as the error: the
		//    mapping then retries from that record instead of the whole batch. The mapping
		//    restarts at the lowest failed sequence number, so you may stop at the first
		//    failure.
		log.WarnContext(ctx, "record ignored: the publisher is not implemented yet (TODO lab 3)")
	}
	return resp, nil
}

// stringAttr returns the string attribute name of an image, or "" when it has none.
func stringAttr(image map[string]events.DynamoDBAttributeValue, name string) string {
	if av, ok := image[name]; ok && av.DataType() == events.DataTypeString {
		return av.String()
	}
	return ""
}
