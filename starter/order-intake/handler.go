package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

type (
	request  = events.APIGatewayV2HTTPRequest
	response = events.APIGatewayV2HTTPResponse
)

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
	// TODO(lab 2): accept an order.
	//  1. Take the body: req.Body, unless req.IsBase64Encoded, in which case it is
	//     base64.StdEncoding.DecodeString(req.Body) (API Gateway base64-encodes every body
	//     whose Content-Type is not text or JSON, such as what `curl -d` sends without
	//     -H 'Content-Type: application/json'; a body that does not decode is a 400
	//     ValidationError on "body"). Then in, ferr := parseOrder(body); on ferr answer
	//     errorResponse(400, "ValidationError", ferr.field, ferr.message).
	//  2. The body's channel must be authorizedChannel(req) (what the authorizer put in the
	//     request context), else errorResponse(403, "ChannelMismatch", "channel", ...).
	//  3. Build the order: status statusAccepted, totalCents the sum of quantity x
	//     unitPriceCents, createdAt h.now().UTC().Format(time.RFC3339), and the orderId:
	//     newOrderID(), or with an Idempotency-Key header (header(req.Headers,
	//     "Idempotency-Key")) idempotentOrderID(channel, customerId, key).
	//  4. PutItem into h.table with ConditionExpression "attribute_not_exists(orderId)"
	//     (attributevalue.MarshalMap(o) makes the item). A *types.ConditionalCheckFailedException
	//     (errors.As) means the key was used before: GetItem the stored order and answer with
	//     it, so a retry gets the same body and the table never holds a second order.
	//  5. Log with h.log.InfoContext(ctx, "order accepted", "orderId", o.OrderID, ...) and
	//     answer createdResponse(o). Any other error: log it and answer 500 "InternalError".
	h.log.WarnContext(ctx, "POST /orders is not implemented yet (TODO lab 2)")
	return errorResponse(http.StatusNotImplemented, "NotImplemented", "", "POST /orders is not implemented yet (TODO lab 2)")
}

// getOrder implements GET /orders/{orderId}.
func (h *handler) getOrder(ctx context.Context, orderID string) response {
	// TODO(lab 2): GetItem {orderId} from h.table (ConsistentRead, so an order just accepted
	// is found), answer jsonResponse(200, o) with the stored order, or
	// errorResponse(404, "NotFound", "orderId", ...) when the item is missing.
	h.log.WarnContext(ctx, "GET /orders/{orderId} is not implemented yet (TODO lab 2)", "orderId", orderID)
	return errorResponse(http.StatusNotImplemented, "NotImplemented", "", "GET /orders/{orderId} is not implemented yet (TODO lab 2)")
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
