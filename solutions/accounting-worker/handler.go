package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// Handle processes the batch's messages concurrently and reports the ones that failed as
// batch item failures (by message id), so SQS redelivers only those. It returns a nil error:
// a failed message is an answer, not a failed batch.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	failed := make([]bool, len(ev.Records))
	var wg sync.WaitGroup
	for i, msg := range ev.Records {
		wg.Go(func() { failed[i] = !h.process(ctx, msg) })
	}
	wg.Wait()

	var resp events.SQSEventResponse
	for i, msg := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

// process applies one message and reports whether it is done (applied now or before).
func (h *handler) process(ctx context.Context, msg events.SQSMessage) bool {
	log := h.log.With("messageId", msg.MessageId, "receiveCount", msg.Attributes["ApproximateReceiveCount"])
	var o orderMessage
	if err := json.Unmarshal([]byte(msg.Body), &o); err != nil || o.OrderID == "" {
		hint := "the body is not an order JSON with an orderId"
		if strings.Contains(msg.Body, `"Type"`) && strings.Contains(msg.Body, `"Notification"`) {
			hint += "; it looks like an SNS envelope: turn on raw message delivery on the subscription"
		}
		log.ErrorContext(ctx, "unparseable message", "error", err, "reason", hint)
		return false
	}
	log = log.With("orderId", o.OrderID)

	done, err := h.isDone(ctx, o.OrderID)
	if err != nil {
		log.ErrorContext(ctx, "read order status", "error", err)
		return false
	}
	if done {
		log.InfoContext(ctx, "order already done: skipped", "statusAttribute", statusAttribute)
		return true
	}
	if err := h.callService(ctx, o.OrderID, []byte(msg.Body)); err != nil {
		log.ErrorContext(ctx, "call downstream service", "error", err)
		return false
	}
	if err := h.markDone(ctx, o.OrderID); err != nil {
		log.ErrorContext(ctx, "record order status", "error", err)
		return false
	}
	log.InfoContext(ctx, "order done", "statusAttribute", statusAttribute)
	return true
}

// isDone reads the order and reports whether statusAttribute is DONE. A missing order is an
// error: the message names an order this table does not hold.
func (h *handler) isDone(ctx context.Context, orderID string) (bool, error) {
	out, err := h.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(h.table),
		Key:                      map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("orderId, #status"),
		ExpressionAttributeNames: map[string]string{"#status": statusAttribute},
	})
	if err != nil {
		return false, fmt.Errorf("get order %s from %s: %w", orderID, h.table, err)
	}
	if len(out.Item) == 0 {
		return false, fmt.Errorf("order %s is not in %s", orderID, h.table)
	}
	s, ok := out.Item[statusAttribute].(*types.AttributeValueMemberS)
	return ok && s.Value == statusDone, nil
}

// callService POSTs the order to the service with Idempotency-Key: orderID and succeeds on a
// 2xx answer. The service applies a key once, so a retried call is safe.
func (h *handler) callService(ctx context.Context, orderID string, body []byte) error {
	url := strings.TrimRight(h.serviceURL, "/") + downstreamPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", orderID)
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, bytes.TrimSpace(snippet))
	}
	return nil
}

// markDone sets statusAttribute to DONE on an existing order.
func (h *handler) markDone(ctx context.Context, orderID string) error {
	_, err := h.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(h.table),
		Key:                       map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}},
		UpdateExpression:          aws.String("SET #status = :done"),
		ConditionExpression:       aws.String("attribute_exists(orderId)"),
		ExpressionAttributeNames:  map[string]string{"#status": statusAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": &types.AttributeValueMemberS{Value: statusDone}},
	})
	var missing *types.ConditionalCheckFailedException
	if errors.As(err, &missing) {
		return fmt.Errorf("update order %s: it is not in %s", orderID, h.table)
	}
	if err != nil {
		return fmt.Errorf("update order %s in %s: %w", orderID, h.table, err)
	}
	return nil
}
