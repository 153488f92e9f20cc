package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// statusDone is the value of statusAttribute once the downstream effect is applied.
const statusDone = "DONE"

// ordersTable is the part of the DynamoDB API the worker uses.
type ordersTable interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ ordersTable = (*dynamodb.Client)(nil)

// handler applies orders to the downstream service and records it on each order.
type handler struct {
	db         ordersTable
	table      string       // name of the Orders table
	client     *http.Client // calls the service; its Timeout bounds each call
	serviceURL string       // base URL of the service, without downstreamPath
	log        *slog.Logger
}

// orderMessage is what the worker reads of a message: the order JSON published by
// order-publisher. The rest of the order is passed on to the service as it came.
type orderMessage struct {
	OrderID string `json:"orderId"`
}

// Handle processes the batch's messages and reports the ones that failed as batch item
// failures (by message id), so SQS redelivers only those.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		// TODO(lab 4): when process fails, log it and add
		// events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId} to resp.BatchItemFailures,
		// and keep going: one bad message must not block the others. Return a nil error (an
		// error would make SQS redeliver the whole batch).
		_ = h.process(ctx, msg)
	}
	return resp, nil
}

// process applies one message; it returns nil once the order is done (now or before).
func (h *handler) process(ctx context.Context, msg events.SQSMessage) error {
	// TODO(lab 4): apply the order once, in effect.
	//  1. json.Unmarshal msg.Body (raw delivery: the body is the order JSON) into an
	//     orderMessage; a body that does not parse or has no orderId is an error (after
	//     maxReceiveCount receives SQS moves it to the dead-letter queue).
	//  2. GetItem the order from h.table; if its statusAttribute is already statusDone, an
	//     earlier delivery finished the job: return nil without calling the service.
	//  3. POST msg.Body to h.serviceURL + downstreamPath with h.client, using
	//     http.NewRequestWithContext and the headers Content-Type: application/json and
	//     Idempotency-Key: <orderId> (the service applies a key once, so a retry is safe).
	//     Anything but a 2xx answer is an error.
	//  4. UpdateItem the order: SET statusAttribute = statusDone, with ConditionExpression
	//     "attribute_exists(orderId)" so a stray message cannot create an order.
	//  Log what lab 5 searches for: on success h.log.InfoContext(ctx, "order done",
	//  "orderId", id); each failure with h.log.ErrorContext(ctx, <what failed>, "orderId", id,
	//  "receiveCount", msg.Attributes["ApproximateReceiveCount"], "error", err) (level ERROR).
	h.log.WarnContext(ctx, "message ignored: the worker is not implemented yet (TODO lab 4)", "messageId", msg.MessageId)
	return nil
}
