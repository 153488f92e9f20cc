package downstream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxKey is the longest Idempotency-Key accepted, in bytes.
const maxKey = 255

// Config describes one simulated service.
type Config struct {
	Service    string        // name stored in records and logs: "inventory", "accounting"
	EffectPath string        // the route that applies an order: "/reservations", "/entries"
	Table      string        // the records table (partition key idempotencyKey, S)
	FailRate   float64       // fraction in [0, 1] of effect requests answered 503, before any effect
	Latency    time.Duration // delay added to every effect request
}

// ConfigFromEnv returns the configuration of service from the environment read through
// getenv: TABLE_NAME (default defaultTable), FAIL_RATE (default 0) and LATENCY_MS (default 0).
// It rejects values that do not parse or are out of range.
func ConfigFromEnv(getenv func(string) string, service, effectPath, defaultTable string) (Config, error) {
	cfg := Config{Service: service, EffectPath: effectPath, Table: getenv("TABLE_NAME")}
	if cfg.Table == "" {
		cfg.Table = defaultTable
	}
	if v := getenv("FAIL_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return Config{}, fmt.Errorf("read environment: FAIL_RATE=%q, want a number from 0 to 1", v)
		}
		cfg.FailRate = f
	}
	if v := getenv("LATENCY_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return Config{}, fmt.Errorf("read environment: LATENCY_MS=%q, want a whole number of milliseconds >= 0", v)
		}
		cfg.Latency = time.Duration(ms) * time.Millisecond
	}
	return cfg, nil
}

// Table is the part of the DynamoDB API a service uses.
type Table interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ Table = (*dynamodb.Client)(nil)

// Record is what a service stores per idempotency key, and what GET /records lists.
type Record struct {
	IdempotencyKey string `json:"idempotencyKey" dynamodbav:"idempotencyKey"`
	OrderID        string `json:"orderId" dynamodbav:"orderId"`       // of the first request with the key
	Service        string `json:"service" dynamodbav:"service"`       // Config.Service
	Count          int    `json:"count" dynamodbav:"count"`           // effects applied for the key: always 1
	Deliveries     int    `json:"deliveries" dynamodbav:"deliveries"` // requests that carried the key
	FirstAt        string `json:"firstAt" dynamodbav:"firstAt"`       // RFC 3339 with nanoseconds, UTC
	LastAt         string `json:"lastAt" dynamodbav:"lastAt"`         // of the latest delivery
}

// effect is the body an effect request answers with: the record without its delivery count,
// so a repeat gets exactly the first answer.
type effect struct {
	IdempotencyKey string `json:"idempotencyKey"`
	OrderID        string `json:"orderId"`
	Service        string `json:"service"`
	Count          int    `json:"count"`
	FirstAt        string `json:"firstAt"`
}

// Summary counts a set of records.
type Summary struct {
	Records          int `json:"records"`          // distinct idempotency keys: effects applied
	Orders           int `json:"orders"`           // distinct orderIds
	DuplicatedOrders int `json:"duplicatedOrders"` // orderIds with more than one record
	DuplicateEffects int `json:"duplicateEffects"` // Records - Orders: effects applied twice or more
	Deliveries       int `json:"deliveries"`       // requests that applied or repeated an effect
	Redeliveries     int `json:"redeliveries"`     // Deliveries - Records
}

// Listing is the body of GET /records.
type Listing struct {
	Service string   `json:"service"`
	Records []Record `json:"records,omitempty"` // sorted by firstAt, then key; absent for ?view=summary
	Summary Summary  `json:"summary"`
}

// Handler serves one simulated service.
type Handler struct {
	db     Table
	cfg    Config
	log    *slog.Logger
	random func() float64   // uniform in [0, 1): draws the failure switch
	now    func() time.Time // clock for firstAt and lastAt
}

// New returns a handler for cfg storing records in db.
func New(db Table, cfg Config, log *slog.Logger) *Handler {
	return &Handler{db: db, cfg: cfg, log: log.With("service", cfg.Service), random: rand.Float64, now: time.Now}
}

// Handle serves one HTTP API request (payload format 2.0). It always returns a response and
// a nil error.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method, path := req.RequestContext.HTTP.Method, req.RawPath
	if st := req.RequestContext.Stage; st != "" && st != "$default" {
		path = strings.TrimPrefix(path, "/"+st)
	}
	switch {
	case method == http.MethodPost && path == h.cfg.EffectPath:
		return h.apply(ctx, req), nil
	case method == http.MethodGet && (path == "/records" || path == h.cfg.EffectPath):
		return h.list(ctx, req.QueryStringParameters), nil
	}
	return errorResponse(http.StatusNotFound, "NotFound", "no route "+method+" "+req.RawPath), nil
}

// apply implements the effect route.
func (h *Handler) apply(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if h.cfg.Latency > 0 {
		select {
		case <-time.After(h.cfg.Latency):
		case <-ctx.Done():
			return errorResponse(http.StatusServiceUnavailable, "ServiceUnavailable", "the request was cancelled")
		}
	}
	key := header(req.Headers, "Idempotency-Key")
	log := h.log.With("idempotencyKey", key)
	if h.cfg.FailRate > 0 && h.random() < h.cfg.FailRate {
		log.WarnContext(ctx, "simulated failure", "failRate", h.cfg.FailRate)
		return errorResponse(http.StatusServiceUnavailable, "ServiceUnavailable",
			fmt.Sprintf("the %s service is failing on purpose (FAIL_RATE=%g)", h.cfg.Service, h.cfg.FailRate))
	}
	if key == "" || len(key) > maxKey {
		log.InfoContext(ctx, "request rejected: no usable Idempotency-Key")
		return errorResponse(http.StatusBadRequest, "MissingIdempotencyKey", fmt.Sprintf("an Idempotency-Key header of 1 to %d bytes is required", maxKey))
	}
	var body struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil || body.OrderID == "" {
		log.InfoContext(ctx, "request rejected: body is not an order")
		return errorResponse(http.StatusBadRequest, "ValidationError", "the body must be the order JSON with an orderId")
	}
	log = log.With("orderId", body.OrderID)

	rec, err := h.record(ctx, key, body.OrderID)
	if err != nil {
		log.ErrorContext(ctx, "record effect", "error", err)
		return errorResponse(http.StatusInternalServerError, "InternalError", "the effect could not be recorded; retry with the same key")
	}
	if rec.OrderID != body.OrderID {
		log.WarnContext(ctx, "idempotency key reused for another order", "recordedOrderId", rec.OrderID)
	}
	resp := jsonResponse(http.StatusCreated, effect{rec.IdempotencyKey, rec.OrderID, rec.Service, rec.Count, rec.FirstAt})
	if rec.Deliveries > 1 {
		resp.Headers["Idempotent-Replayed"] = "true"
		log.InfoContext(ctx, "repeat delivery: effect not applied again", "deliveries", rec.Deliveries)
	} else {
		log.InfoContext(ctx, "effect applied")
	}
	return resp
}

// record applies the effect of key atomically: the first call creates the record with count
// 1 and deliveries 1; later calls only add a delivery and move lastAt.
func (h *Handler) record(ctx context.Context, key, orderID string) (Record, error) {
	now := h.now().UTC().Format(time.RFC3339Nano)
	out, err := h.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.cfg.Table),
		Key:       map[string]types.AttributeValue{"idempotencyKey": &types.AttributeValueMemberS{Value: key}},
		UpdateExpression: aws.String("SET #orderId = if_not_exists(#orderId, :orderId), #service = if_not_exists(#service, :service), " +
			"#count = if_not_exists(#count, :one), #firstAt = if_not_exists(#firstAt, :now), #lastAt = :now ADD #deliveries :one"),
		ExpressionAttributeNames: map[string]string{
			"#orderId": "orderId", "#service": "service", "#count": "count",
			"#firstAt": "firstAt", "#lastAt": "lastAt", "#deliveries": "deliveries",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":orderId": &types.AttributeValueMemberS{Value: orderID},
			":service": &types.AttributeValueMemberS{Value: h.cfg.Service},
			":one":     &types.AttributeValueMemberN{Value: "1"},
			":now":     &types.AttributeValueMemberS{Value: now},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return Record{}, fmt.Errorf("update record %s in %s: %w", key, h.cfg.Table, err)
	}
	var rec Record
	if err := attributevalue.UnmarshalMap(out.Attributes, &rec); err != nil {
		return Record{}, fmt.Errorf("unmarshal record %s: %w", key, err)
	}
	return rec, nil
}

// list implements GET /records.
func (h *Handler) list(ctx context.Context, query map[string]string) events.APIGatewayV2HTTPResponse {
	recs, err := h.scan(ctx, query["orderId"])
	if err != nil {
		h.log.ErrorContext(ctx, "list records", "error", err)
		return errorResponse(http.StatusInternalServerError, "InternalError", "the records could not be read; retry")
	}
	slices.SortFunc(recs, func(a, b Record) int {
		if c := strings.Compare(a.FirstAt, b.FirstAt); c != 0 {
			return c
		}
		return strings.Compare(a.IdempotencyKey, b.IdempotencyKey)
	})
	l := Listing{Service: h.cfg.Service, Summary: Summarize(recs)}
	if query["view"] != "summary" {
		l.Records = recs
	}
	return jsonResponse(http.StatusOK, l)
}

// scan reads every record, or those of orderID when it is not empty, page by page.
func (h *Handler) scan(ctx context.Context, orderID string) ([]Record, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(h.cfg.Table), ConsistentRead: aws.Bool(true)}
	if orderID != "" {
		in.FilterExpression = aws.String("#orderId = :orderId")
		in.ExpressionAttributeNames = map[string]string{"#orderId": "orderId"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":orderId": &types.AttributeValueMemberS{Value: orderID}}
	}
	recs := []Record{}
	for {
		out, err := h.db.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", h.cfg.Table, err)
		}
		var page []Record
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("unmarshal records of %s: %w", h.cfg.Table, err)
		}
		recs = append(recs, page...)
		if len(out.LastEvaluatedKey) == 0 {
			return recs, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Summarize counts recs.
func Summarize(recs []Record) Summary {
	perOrder := map[string]int{}
	s := Summary{Records: len(recs)}
	for _, r := range recs {
		perOrder[r.OrderID]++
		s.Deliveries += r.Deliveries
	}
	s.Orders = len(perOrder)
	for _, n := range perOrder {
		if n > 1 {
			s.DuplicatedOrders++
		}
	}
	s.DuplicateEffects = s.Records - s.Orders
	s.Redeliveries = s.Deliveries - s.Records
	return s
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

// errorResponse answers {"error":{"code","message"}}.
func errorResponse(status int, code, message string) events.APIGatewayV2HTTPResponse {
	return jsonResponse(status, map[string]map[string]string{"error": {"code": code, "message": message}})
}

// jsonResponse answers status with v as its JSON body.
func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalError","message":"encode response"}}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}
