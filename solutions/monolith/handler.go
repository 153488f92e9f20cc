package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/solutions/internal/worker"
)

// table is the part of the DynamoDB API the monolith uses.
type table interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ table = (*dynamodb.Client)(nil)

type handler struct {
	db     table
	table  string
	client *http.Client // its Timeout bounds each downstream call
	base   string       // downstream services' base URL
	log    *slog.Logger
}

// order is what the monolith reads of a request.
type order struct {
	CustomerID string `json:"customerId"`
	Channel    string `json:"channel"`
	Lines      []struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	} `json:"lines"`
}

// validate names the first thing wrong with o, or returns "".
func (o order) validate() string {
	switch {
	case strings.TrimSpace(o.CustomerID) == "":
		return "customerId is required"
	case len(o.Lines) == 0:
		return "an order needs at least one line"
	}
	for i, l := range o.Lines {
		if l.SKU == "" || l.Quantity <= 0 {
			return fmt.Sprintf("lines[%d] needs a sku and a positive quantity", i)
		}
	}
	return ""
}

// steps are the services the monolith calls inline, in order: the same calls and status
// updates as the workers of lab 4 (solutions/internal/worker), without a queue between.
var steps = []worker.Service{worker.Inventory, worker.Accounting}

// Handle serves one HTTP API request (payload format 2.0).
func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if req.RequestContext.HTTP.Method != http.MethodPost {
		return reply(http.StatusNotFound, map[string]string{"code": "NotFound", "message": "only POST /orders"}), nil
	}
	var o order
	if err := json.Unmarshal([]byte(req.Body), &o); err != nil {
		return reply(http.StatusBadRequest, map[string]string{"code": "ValidationError", "message": "the body must be an order JSON object"}), nil
	}
	if msg := o.validate(); msg != "" {
		return reply(http.StatusBadRequest, map[string]string{"code": "ValidationError", "message": msg}), nil
	}
	id := newOrderID()
	log := h.log.With("orderId", id)
	if _, err := h.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(h.table), Item: map[string]types.AttributeValue{
		"orderId":    &types.AttributeValueMemberS{Value: id},
		"customerId": &types.AttributeValueMemberS{Value: o.CustomerID},
		"channel":    &types.AttributeValueMemberS{Value: o.Channel},
		"order":      &types.AttributeValueMemberS{Value: req.Body},
		"status":     &types.AttributeValueMemberS{Value: "ACCEPTED"},
		"createdAt":  &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
	}}); err != nil {
		log.ErrorContext(ctx, "store order", "error", err)
		return reply(http.StatusInternalServerError, map[string]string{"code": "InternalError", "message": "the order could not be stored"}), nil
	}
	body, _ := json.Marshal(map[string]any{"orderId": id, "customerId": o.CustomerID, "channel": o.Channel, "lines": o.Lines})
	for _, s := range steps {
		if err := worker.Call(ctx, h.client, h.base, s.Path, id, body); err != nil {
			// No retry, no queue: the order stays as it is, half done.
			log.ErrorContext(ctx, "downstream call failed: order left as it is", "service", s.Name, "error", err)
			return reply(http.StatusBadGateway, map[string]string{"code": "DownstreamFailed", "orderId": id,
				"message": fmt.Sprintf("the %s service failed: %v", s.Name, err)}), nil
		}
		if err := worker.MarkDone(ctx, h.db, h.table, id, s.StatusAttribute); err != nil {
			log.ErrorContext(ctx, "record status", "service", s.Name, "error", err)
			return reply(http.StatusInternalServerError, map[string]string{"code": "InternalError", "orderId": id, "message": "the status could not be recorded"}), nil
		}
	}
	log.InfoContext(ctx, "order completed")
	return reply(http.StatusCreated, map[string]string{"orderId": id, "status": "COMPLETED"}), nil
}

func newOrderID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "mono-" + hex.EncodeToString(b)
}

func reply(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}
