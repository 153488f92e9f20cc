// Command broken-worker is an order worker with one deliberate flaw, chosen
// by the environment variable BROKEN, for the grader's mutation tests:
//
//	nopartial      stops at the first message it cannot process and fails the
//	               whole batch (no partial batch response)
//	notidempotent  applies every delivery again (a new Idempotency-Key per call,
//	               no check of the order's status)
//	swallowpoison  drops a message that is not an order as if it were done
//	               (no batch item failure, so SQS deletes it)
//	ignoreanswer   takes any answer of the downstream service, a 503 too, as
//	               done
//	(empty)        behaves correctly
//
// It is the inventory worker when INVENTORY_URL is set, else the accounting
// worker (ACCOUNTING_URL).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type handler struct {
	db           *dynamodb.Client
	table, url   string
	path, status string
	broken       string
	log          *slog.Logger
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	h := &handler{db: dynamodb.NewFromConfig(cfg), table: os.Getenv("TABLE_NAME"), broken: os.Getenv("BROKEN"),
		log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	if u := os.Getenv("INVENTORY_URL"); u != "" {
		h.url, h.path, h.status = u, "/reservations", "inventoryStatus"
	} else {
		h.url, h.path, h.status = os.Getenv("ACCOUNTING_URL"), "/entries", "accountingStatus"
	}
	lambda.Start(h.Handle)
}

func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := h.process(ctx, m.Body); err != nil {
			h.log.ErrorContext(ctx, "message failed", "messageId", m.MessageId, "error", err.Error())
			if h.broken == "nopartial" {
				return resp, err
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func (h *handler) process(ctx context.Context, body string) error {
	var o struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(body), &o); err != nil || o.OrderID == "" {
		if h.broken == "swallowpoison" {
			return nil
		}
		return fmt.Errorf("not an order")
	}
	key := map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: o.OrderID}}
	if h.broken != "notidempotent" {
		out, err := h.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &h.table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return err
		}
		if s, ok := out.Item[h.status].(*types.AttributeValueMemberS); ok && s.Value == "DONE" {
			return nil
		}
	}
	idem := o.OrderID
	if h.broken == "notidempotent" {
		b := make([]byte, 8)
		rand.Read(b)
		idem = hex.EncodeToString(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.url, "/")+h.path, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Idempotency-Key", idem)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 && h.broken != "ignoreanswer" {
		return fmt.Errorf("service answered %d", res.StatusCode)
	}
	_, err = h.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &h.table, Key: key,
		UpdateExpression: aws.String("SET #s = :d"), ConditionExpression: aws.String("attribute_exists(orderId)"),
		ExpressionAttributeNames: map[string]string{"#s": h.status}, ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberS{Value: "DONE"}}})
	if err == nil {
		h.log.InfoContext(ctx, "order done", "orderId", o.OrderID)
	}
	return err
}
