// Package worker is the reference downstream worker of lab 4: it applies each placed order to
// one downstream service, once in effect, and records it on the order. inventory-worker and
// accounting-worker are the same code with a different Service (each main passes its own);
// the monolith of the classroom demo calls the services through the same Call and MarkDone.
//
// A worker consumes its queue (an SQS event source mapping with FunctionResponseTypes
// ReportBatchItemFailures). The queue is subscribed to order-events with raw message delivery,
// so each message body is the order JSON itself. For each order it calls POST {base URL}{Path}
// with the header Idempotency-Key: <orderId> and the order as the body, then sets the order's
// StatusAttribute to "DONE" in the Orders table. A message it cannot parse, or whose call or
// update fails, is reported as a batch item failure: SQS redelivers it, and after
// maxReceiveCount receives moves it to the dead-letter queue, while the rest of the batch
// completes. Redeliveries are harmless: an order already DONE is skipped, and the service
// applies a key it has seen before only once.
package worker

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

// StatusDone is the value of a service's StatusAttribute once its effect is applied.
const StatusDone = "DONE"

// Service is what tells the workers apart: where the service lives and what the worker
// records on the order.
type Service struct {
	Name            string // "inventory"
	URLEnv          string // the environment variable with the service's base URL
	Path            string // the path the worker POSTs an order to
	StatusAttribute string // the order attribute set to StatusDone
}

// The two downstream services of lab 4.
var (
	Inventory  = Service{Name: "inventory", URLEnv: "INVENTORY_URL", Path: "/reservations", StatusAttribute: "inventoryStatus"}
	Accounting = Service{Name: "accounting", URLEnv: "ACCOUNTING_URL", Path: "/entries", StatusAttribute: "accountingStatus"}
)

// OrdersTable is the part of the DynamoDB API the worker uses.
type OrdersTable interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ OrdersTable = (*dynamodb.Client)(nil)

// Handler applies orders to the downstream service and records it on each order.
type Handler struct {
	svc        Service
	db         OrdersTable
	table      string       // name of the Orders table
	client     *http.Client // calls the service; its Timeout bounds each call
	serviceURL string       // base URL of the service, without svc.Path
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
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
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
func (h *Handler) process(ctx context.Context, msg events.SQSMessage) bool {
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
		log.InfoContext(ctx, "order already done: skipped", "statusAttribute", h.svc.StatusAttribute)
		return true
	}
	if err := Call(ctx, h.client, h.serviceURL, h.svc.Path, o.OrderID, []byte(msg.Body)); err != nil {
		log.ErrorContext(ctx, "call downstream service", "error", err)
		return false
	}
	if err := MarkDone(ctx, h.db, h.table, o.OrderID, h.svc.StatusAttribute); err != nil {
		log.ErrorContext(ctx, "record order status", "error", err)
		return false
	}
	log.InfoContext(ctx, "order done", "statusAttribute", h.svc.StatusAttribute)
	return true
}

// isDone reads the order and reports whether the service's status attribute is DONE. A missing order is an
// error: the message names an order this table does not hold.
func (h *Handler) isDone(ctx context.Context, orderID string) (bool, error) {
	out, err := h.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(h.table),
		Key:                      map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("orderId, #status"),
		ExpressionAttributeNames: map[string]string{"#status": h.svc.StatusAttribute},
	})
	if err != nil {
		return false, fmt.Errorf("get order %s from %s: %w", orderID, h.table, err)
	}
	if len(out.Item) == 0 {
		return false, fmt.Errorf("order %s is not in %s", orderID, h.table)
	}
	s, ok := out.Item[h.svc.StatusAttribute].(*types.AttributeValueMemberS)
	return ok && s.Value == StatusDone, nil
}

// Call POSTs body to the service at baseURL+path with Idempotency-Key: orderID and succeeds
// on a 2xx answer. The service applies a key once, so a retried call is safe.
func Call(ctx context.Context, client *http.Client, baseURL, path, orderID string, body []byte) error {
	url := strings.TrimRight(baseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", orderID)
	resp, err := client.Do(req)
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

// Updater is the part of the DynamoDB API MarkDone uses.
type Updater interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// MarkDone sets attr to DONE on an existing order of table.
func MarkDone(ctx context.Context, db Updater, table, orderID, attr string) error {
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}},
		UpdateExpression:          aws.String("SET #status = :done"),
		ConditionExpression:       aws.String("attribute_exists(orderId)"),
		ExpressionAttributeNames:  map[string]string{"#status": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": &types.AttributeValueMemberS{Value: StatusDone}},
	})
	var missing *types.ConditionalCheckFailedException
	if errors.As(err, &missing) {
		return fmt.Errorf("update order %s: it is not in %s", orderID, table)
	}
	if err != nil {
		return fmt.Errorf("update order %s in %s: %w", orderID, table, err)
	}
	return nil
}
