package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type (
	request  = events.APIGatewayV2HTTPRequest
	response = events.APIGatewayV2HTTPResponse
)

// maxIdempotencyKey is the longest Idempotency-Key header accepted, in bytes.
const maxIdempotencyKey = 255

// ordersTable is the part of the DynamoDB API the intake uses.
type ordersTable interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ ordersTable = (*dynamodb.Client)(nil)

// handler serves the orders API.
type handler struct {
	db    ordersTable
	table string           // name of the Orders table
	log   *slog.Logger     // JSON lines; every line about one order carries orderId
	now   func() time.Time // clock for createdAt
}

// Handle routes one HTTP API request. It answers every request, including failures of the
// table (500 InternalError), with a response and a nil error, so API Gateway passes the
// status and JSON body through instead of a bare 500.
func (h *handler) Handle(ctx context.Context, req request) (response, error) {
	switch op, orderID := route(req); op {
	case "create":
		return h.createOrder(ctx, req), nil
	case "get":
		return h.getOrder(ctx, orderID), nil
	default:
		return errorResponse(http.StatusNotFound, "NotFound", "", "no route "+req.RequestContext.HTTP.Method+" "+req.RawPath), nil
	}
}

// createOrder implements POST /orders.
func (h *handler) createOrder(ctx context.Context, req request) response {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return h.reject(ctx, &fieldError{"body", "the body is not valid base64"})
		}
		body = b
	}
	in, ferr := parseOrder(body)
	if ferr != nil {
		return h.reject(ctx, ferr)
	}
	if authorized := authorizedChannel(req); in.Channel != authorized {
		h.log.InfoContext(ctx, "order rejected", "code", "ChannelMismatch", "channel", in.Channel, "tokenChannel", authorized)
		msg := fmt.Sprintf("the order's channel %q is not the channel %q of your token", in.Channel, authorized)
		if authorized == "" {
			msg = "no authorized channel in the request: the route must use the order-authorizer"
		}
		return errorResponse(http.StatusForbidden, "ChannelMismatch", "channel", msg)
	}
	key := header(req.Headers, "Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return h.reject(ctx, &fieldError{"Idempotency-Key", fmt.Sprintf("the Idempotency-Key header must be at most %d bytes", maxIdempotencyKey)})
	}

	o := order{
		CustomerID: in.CustomerID,
		Channel:    in.Channel,
		Lines:      in.Lines,
		TotalCents: in.totalCents(),
		Status:     statusAccepted,
		CreatedAt:  h.now().UTC().Format(time.RFC3339),
	}
	if key != "" {
		o.OrderID = idempotentOrderID(in.Channel, in.CustomerID, key)
	} else {
		o.OrderID = newOrderID()
	}
	created, err := h.putNew(ctx, o)
	for attempt := 1; err == nil && !created && key == "" && attempt < 3; attempt++ {
		// A random id that is taken (about 2^-96 odds): draw another, never answer with
		// someone else's order.
		o.OrderID = newOrderID()
		created, err = h.putNew(ctx, o)
	}
	log := h.log.With("orderId", o.OrderID)
	if err == nil && !created && key == "" {
		err = errors.New("no free random order id after 3 attempts")
	}
	if err != nil {
		log.ErrorContext(ctx, "store order", "error", err)
		return errorResponse(http.StatusInternalServerError, "InternalError", "", "the order could not be stored; retry with the same Idempotency-Key")
	}
	if !created {
		// The conditional put found an order with this id: a replay of the same key.
		stored, found, err := h.load(ctx, o.OrderID)
		if err != nil || !found {
			log.ErrorContext(ctx, "load replayed order", "error", err, "found", found)
			return errorResponse(http.StatusInternalServerError, "InternalError", "", "the order could not be read; retry with the same Idempotency-Key")
		}
		if stored.CustomerID != o.CustomerID || stored.TotalCents != o.TotalCents || !slices.Equal(stored.Lines, o.Lines) {
			log.WarnContext(ctx, "idempotency key reused with a different order; answering with the stored one")
		}
		log.InfoContext(ctx, "order replayed", "channel", stored.Channel, "status", stored.Status)
		return createdResponse(stored)
	}
	log.InfoContext(ctx, "order accepted", "channel", o.Channel, "customerId", o.CustomerID,
		"lines", len(o.Lines), "totalCents", o.TotalCents, "idempotent", key != "")
	return createdResponse(o)
}

// putNew stores o unless an item with its orderId exists; created is false in that case.
func (h *handler) putNew(ctx context.Context, o order) (created bool, err error) {
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		return false, fmt.Errorf("marshal order %s: %w", o.OrderID, err)
	}
	_, err = h.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(h.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(orderId)"),
	})
	var exists *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &exists):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("put order %s in %s: %w", o.OrderID, h.table, err)
	}
	return true, nil
}

// load reads an order with a strongly consistent read; found is false when there is none.
func (h *handler) load(ctx context.Context, orderID string) (o order, found bool, err error) {
	out, err := h.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(h.table),
		Key:            map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return order{}, false, fmt.Errorf("get order %s from %s: %w", orderID, h.table, err)
	}
	if len(out.Item) == 0 {
		return order{}, false, nil
	}
	if err := attributevalue.UnmarshalMap(out.Item, &o); err != nil {
		return order{}, false, fmt.Errorf("unmarshal order %s: %w", orderID, err)
	}
	return o, true, nil
}

// getOrder implements GET /orders/{orderId}.
func (h *handler) getOrder(ctx context.Context, orderID string) response {
	log := h.log.With("orderId", orderID)
	if orderID == "" {
		return errorResponse(http.StatusNotFound, "NotFound", "orderId", "no order id in the path")
	}
	o, found, err := h.load(ctx, orderID)
	if err != nil {
		log.ErrorContext(ctx, "read order", "error", err)
		return errorResponse(http.StatusInternalServerError, "InternalError", "", "the order could not be read; retry")
	}
	if !found {
		log.InfoContext(ctx, "order not found")
		return errorResponse(http.StatusNotFound, "NotFound", "orderId", "no order "+orderID)
	}
	log.InfoContext(ctx, "order read", "status", o.Status)
	return jsonResponse(http.StatusOK, o)
}

// reject logs and answers a 400 ValidationError for ferr.
func (h *handler) reject(ctx context.Context, ferr *fieldError) response {
	h.log.InfoContext(ctx, "order rejected", "code", "ValidationError", "field", ferr.field, "reason", ferr.message)
	return errorResponse(http.StatusBadRequest, "ValidationError", ferr.field, ferr.message)
}

// route names the operation of req ("create", "get" or "") and the orderId path parameter.
// It uses the route key API Gateway matched and, for a $default route, the method and path.
func route(req request) (op, orderID string) {
	key := req.RouteKey
	if key == "" || key == "$default" {
		path := req.RawPath
		if st := req.RequestContext.Stage; st != "" && st != "$default" {
			path = strings.TrimPrefix(path, "/"+st)
		}
		key = req.RequestContext.HTTP.Method + " " + path
		if id, ok := strings.CutPrefix(path, "/orders/"); ok && req.RequestContext.HTTP.Method == http.MethodGet && id != "" && !strings.Contains(id, "/") {
			return "get", id
		}
	}
	switch key {
	case "POST /orders":
		return "create", ""
	case "GET /orders/{orderId}":
		return "get", req.PathParameters["orderId"]
	}
	return "", ""
}

// authorizedChannel returns the channel the authorizer put in the request context, or "".
func authorizedChannel(req request) string {
	if a := req.RequestContext.Authorizer; a != nil {
		if ch, ok := a.Lambda["channel"].(string); ok {
			return ch
		}
	}
	return ""
}

// header returns the value of the named header, whatever its case.
func header(headers map[string]string, name string) string {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// newOrderID returns a random order id, "ord-" and 24 hex digits (96 random bits).
func newOrderID() string {
	b := make([]byte, 12)
	rand.Read(b) // never fails (crypto/rand)
	return "ord-" + hex.EncodeToString(b)
}

// idempotentOrderID derives the order id of an idempotent request: the same channel,
// customer and key always give the same id, and another of any of them a different one.
func idempotentOrderID(channel, customerID, key string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s|%d:%s|%d:%s", len(channel), channel, len(customerID), customerID, len(key), key))
	return "ord-" + hex.EncodeToString(sum[:12])
}

// createdResponse answers 201 {"orderId","status"} for o.
func createdResponse(o order) response {
	r := jsonResponse(http.StatusCreated, map[string]string{"orderId": o.OrderID, "status": o.Status})
	r.Headers["Location"] = "/orders/" + o.OrderID
	return r
}

// errorResponse answers {"error":{"code","field","message"}} (field omitted when empty).
func errorResponse(status int, code, field, message string) response {
	type apiError struct {
		Code    string `json:"code"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	}
	return jsonResponse(status, map[string]apiError{"error": {Code: code, Field: field, Message: message}})
}

// jsonResponse answers status with v as its JSON body.
func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalError","message":"encode response"}}`)
	}
	return response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}
