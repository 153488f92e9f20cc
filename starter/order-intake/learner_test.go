//go:build learner

// Learner tests for lab 2's order intake. Run them with: go test -tags learner ./starter/...
// They call h.Handle with the HTTP API events in testdata/ and an in-memory Orders table.

package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

//go:embed testdata/*.json
var learnerEvents embed.FS

// learnerTable is an in-memory Orders table keyed by orderId. PutItem honours a condition
// "attribute_not_exists(orderId)" (or with #name placeholders) and fails like DynamoDB with
// a ConditionalCheckFailedException; GetItem reads by key.
type learnerTable struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
}

func (f *learnerTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if in.TableName == nil || *in.TableName != "Orders" {
		return nil, &types.ResourceNotFoundException{Message: ptr(fmt.Sprintf("no table %v: use h.table", deref(in.TableName)))}
	}
	key, ok := in.Item["orderId"].(*types.AttributeValueMemberS)
	if !ok || key.Value == "" {
		return nil, errors.New("ValidationException: the item has no string orderId")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cond := deref(in.ConditionExpression); cond != "" {
		if !strings.Contains(cond, "attribute_not_exists") {
			return nil, fmt.Errorf("learner fake table: unsupported condition %q (use attribute_not_exists(orderId))", cond)
		}
		if _, exists := f.items[key.Value]; exists {
			return nil, &types.ConditionalCheckFailedException{Message: ptr("The conditional request failed")}
		}
	}
	if f.items == nil {
		f.items = map[string]map[string]types.AttributeValue{}
	}
	f.items[key.Value] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *learnerTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if in.TableName == nil || *in.TableName != "Orders" {
		return nil, &types.ResourceNotFoundException{Message: ptr(fmt.Sprintf("no table %v: use h.table", deref(in.TableName)))}
	}
	key, ok := in.Key["orderId"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, errors.New("ValidationException: the key must be {orderId: S}")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: f.items[key.Value]}, nil
}

// stored returns the items as plain values (numbers as float64), keyed by orderId.
func (f *learnerTable) stored(t testing.TB) map[string]map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]any{}
	for id, item := range f.items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			t.Fatalf("unmarshal stored item %s: %v", id, err)
		}
		out[id] = m
	}
	return out
}

func ptr(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// learnerClock starts at 2026-01-01T00:00:00Z and advances one second per reading.
type learnerClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *learnerClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	c.t = c.t.Add(time.Second)
	return c.t
}

// learnerSetup returns a handler on an empty table, the table, and the log buffer.
func learnerSetup(t testing.TB) (*handler, *learnerTable, *bytes.Buffer) {
	t.Helper()
	table := &learnerTable{}
	logs := &bytes.Buffer{}
	clock := &learnerClock{}
	return &handler{db: table, table: "Orders", log: slog.New(slog.NewJSONHandler(logs, nil)), now: clock.now}, table, logs
}

// learnerEvent decodes testdata/<name>.json.
func learnerEvent(t testing.TB, name string) request {
	t.Helper()
	b, err := learnerEvents.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var req request
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("decode testdata/%s.json: %v", name, err)
	}
	return req
}

// learnerCall runs h.Handle and decodes the JSON body into a map.
func learnerCall(t testing.TB, h *handler, req request) (int, map[string]any) {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned error %v, want a response (API Gateway turns errors into a bare 500)", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("status %d, body %q is not a JSON object: %v", resp.StatusCode, resp.Body, err)
	}
	return resp.StatusCode, body
}

// learnerErrorBody returns body["error"] as a map, failing the test when it is missing.
func learnerErrorBody(t testing.TB, body map[string]any) map[string]any {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf(`body %v has no "error" object, want {"error":{"code":...,"message":...}}`, body)
	}
	return e
}

func TestCreateOrderStoresIt(t *testing.T) {
	t.Parallel()
	h, table, logs := learnerSetup(t)
	status, body := learnerCall(t, h, learnerEvent(t, "post-order"))
	if status != 201 {
		t.Fatalf("status = %d, want 201 (body %v)", status, body)
	}
	id, _ := body["orderId"].(string)
	if id == "" || body["status"] != "ACCEPTED" || len(body) != 2 {
		t.Fatalf(`body = %v, want {"orderId": <non-empty>, "status": "ACCEPTED"}`, body)
	}
	items := table.stored(t)
	if len(items) != 1 {
		t.Fatalf("table holds %d items, want 1", len(items))
	}
	item, ok := items[id]
	if !ok {
		t.Fatalf("no item with orderId %q in the table (it has %v)", id, items)
	}
	for field, want := range map[string]any{
		"orderId": id, "customerId": "c-123", "channel": "web", "status": "ACCEPTED", "totalCents": float64(2*499 + 250),
	} {
		if got := item[field]; got != want {
			t.Errorf("stored %s = %v, want %v", field, got, want)
		}
	}
	if created, err := time.Parse(time.RFC3339, fmt.Sprint(item["createdAt"])); err != nil || created.Year() != 2026 {
		t.Errorf("stored createdAt = %v, want an RFC 3339 time from h.now()", item["createdAt"])
	}
	lines, _ := item["lines"].([]any)
	wantLines := []map[string]any{
		{"sku": "SOAP-1", "quantity": float64(2), "unitPriceCents": float64(499)},
		{"sku": "SPONGE-3", "quantity": float64(1), "unitPriceCents": float64(250)},
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("stored lines = %v, want %v", item["lines"], wantLines)
	}
	for i, want := range wantLines {
		got, _ := lines[i].(map[string]any)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("stored lines[%d].%s = %v, want %v", i, k, got[k], v)
			}
		}
	}
	if !learnerLogsMention(logs, id) {
		t.Errorf("no JSON log line with \"orderId\": %q, want one for the accepted order; logs:\n%s", id, logs)
	}
}

// learnerLogsMention reports whether a JSON log line has the given orderId.
func learnerLogsMention(logs *bytes.Buffer, orderID string) bool {
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["orderId"] == orderID {
			return true
		}
	}
	return false
}

func TestCreateOrderWithoutKeyMakesNewOrders(t *testing.T) {
	t.Parallel()
	h, table, _ := learnerSetup(t)
	ids := map[string]bool{}
	for range 3 {
		status, body := learnerCall(t, h, learnerEvent(t, "post-order"))
		if status != 201 {
			t.Fatalf("status = %d, want 201 (body %v)", status, body)
		}
		ids[fmt.Sprint(body["orderId"])] = true
	}
	if len(ids) != 3 {
		t.Errorf("3 requests without Idempotency-Key gave %d distinct orderIds, want 3", len(ids))
	}
	if n := len(table.stored(t)); n != 3 {
		t.Errorf("table holds %d items, want 3", n)
	}
}

func TestCreateOrderRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	b, err := learnerEvents.ReadFile("testdata/invalid-orders.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Name, Body, Field string }
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("decode invalid-orders.json: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			h, table, _ := learnerSetup(t)
			req := learnerEvent(t, "post-order")
			req.Body = tc.Body
			status, body := learnerCall(t, h, req)
			if status != 400 {
				t.Fatalf("body %s: status = %d, want 400 (response %v)", tc.Body, status, body)
			}
			e := learnerErrorBody(t, body)
			if e["code"] != "ValidationError" {
				t.Errorf("error.code = %v, want ValidationError", e["code"])
			}
			if e["field"] != tc.Field {
				t.Errorf("body %s: error.field = %v, want %q", tc.Body, e["field"], tc.Field)
			}
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("error.message = %v, want a plain explanation", e["message"])
			}
			if n := len(table.stored(t)); n != 0 {
				t.Errorf("table holds %d items after a rejected order, want 0", n)
			}
		})
	}
}

func TestCreateOrderChannelMismatch(t *testing.T) {
	t.Parallel()
	h, table, _ := learnerSetup(t)
	status, body := learnerCall(t, h, learnerEvent(t, "post-order-channel-mismatch"))
	if status != 403 {
		t.Fatalf("a web order with a mobile token: status = %d, want 403 (body %v)", status, body)
	}
	if e := learnerErrorBody(t, body); e["code"] != "ChannelMismatch" {
		t.Errorf("error.code = %v, want ChannelMismatch", e["code"])
	}
	if n := len(table.stored(t)); n != 0 {
		t.Errorf("table holds %d items, want 0", n)
	}
}

func TestCreateOrderIdempotencyKey(t *testing.T) {
	t.Parallel()
	h, table, _ := learnerSetup(t)
	req := learnerEvent(t, "post-order-idempotent")

	first, err := h.Handle(context.Background(), req)
	if err != nil || first.StatusCode != 201 {
		t.Fatalf("first request: status %d, error %v, want 201 (body %s)", first.StatusCode, err, first.Body)
	}
	var firstBody map[string]any
	if err := json.Unmarshal([]byte(first.Body), &firstBody); err != nil {
		t.Fatalf("first body %q: %v", first.Body, err)
	}
	createdAt := table.stored(t)[fmt.Sprint(firstBody["orderId"])]["createdAt"]

	for i := range 2 {
		again, err := h.Handle(context.Background(), req)
		if err != nil || again.StatusCode != 201 {
			t.Fatalf("replay %d: status %d, error %v, want 201 (body %s)", i+1, again.StatusCode, err, again.Body)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(again.Body), &body); err != nil {
			t.Fatalf("replay body %q: %v", again.Body, err)
		}
		if body["orderId"] != firstBody["orderId"] || body["status"] != firstBody["status"] {
			t.Errorf("replay %d body = %v, want the first body %v", i+1, body, firstBody)
		}
	}
	items := table.stored(t)
	if len(items) != 1 {
		t.Fatalf("table holds %d items after 3 requests with one key, want 1", len(items))
	}
	if got := items[fmt.Sprint(firstBody["orderId"])]["createdAt"]; got != createdAt {
		t.Errorf("createdAt changed from %v to %v: a replay overwrote the order, want a conditional write", createdAt, got)
	}

	other := learnerEvent(t, "post-order-idempotent")
	other.Headers["idempotency-key"] = "checkout-other"
	status, body := learnerCall(t, h, other)
	if status != 201 || body["orderId"] == firstBody["orderId"] {
		t.Errorf("another key: status %d, orderId %v, want 201 and an orderId other than %v", status, body["orderId"], firstBody["orderId"])
	}
	if n := len(table.stored(t)); n != 2 {
		t.Errorf("table holds %d items after two keys, want 2", n)
	}
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	h, _, _ := learnerSetup(t)
	_, created := learnerCall(t, h, learnerEvent(t, "post-order"))
	id, _ := created["orderId"].(string)
	if id == "" {
		t.Fatalf("POST /orders answered %v, want an orderId", created)
	}

	req := learnerEvent(t, "get-order")
	req.PathParameters["orderId"] = id
	req.RawPath = "/orders/" + id
	req.RequestContext.HTTP.Path = req.RawPath
	status, body := learnerCall(t, h, req)
	if status != 200 {
		t.Fatalf("GET /orders/%s: status = %d, want 200 (body %v)", id, status, body)
	}
	for field, want := range map[string]any{
		"orderId": id, "customerId": "c-123", "channel": "web", "status": "ACCEPTED", "totalCents": float64(1248),
	} {
		if got := body[field]; got != want {
			t.Errorf("GET body %s = %v, want %v", field, got, want)
		}
	}
	if lines, _ := body["lines"].([]any); len(lines) != 2 {
		t.Errorf("GET body lines = %v, want the 2 stored lines", body["lines"])
	}
	if _, ok := body["createdAt"].(string); !ok {
		t.Errorf("GET body createdAt = %v, want the stored time", body["createdAt"])
	}
}

func TestGetOrderNotFound(t *testing.T) {
	t.Parallel()
	h, _, _ := learnerSetup(t)
	status, body := learnerCall(t, h, learnerEvent(t, "get-order"))
	if status != 404 {
		t.Fatalf("GET of an order that does not exist: status = %d, want 404 (body %v)", status, body)
	}
	if e := learnerErrorBody(t, body); e["code"] != "NotFound" {
		t.Errorf("error.code = %v, want NotFound", e["code"])
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	h, _, _ := learnerSetup(t)
	status, body := learnerCall(t, h, learnerEvent(t, "unknown-route"))
	if status != 404 {
		t.Errorf("DELETE /orders/...: status = %d, want 404 (body %v)", status, body)
	}
}

// TestCreateOrderBase64Body sends the order as `curl -d '{...}'` does without a JSON
// Content-Type: API Gateway hands the function such a body base64-encoded, with
// isBase64Encoded true (testdata/post-order-base64.json). Step 1 of the TODO decodes it.
func TestCreateOrderBase64Body(t *testing.T) {
	t.Parallel()
	h, table, _ := learnerSetup(t)
	status, body := learnerCall(t, h, learnerEvent(t, "post-order-base64"))
	if status != 201 {
		t.Fatalf("status = %d, want 201 (body %v): when req.IsBase64Encoded, decode req.Body with base64.StdEncoding before parseOrder", status, body)
	}
	id, _ := body["orderId"].(string)
	item, ok := table.stored(t)[id]
	if !ok {
		t.Fatalf("no item with orderId %q in the table", id)
	}
	if item["customerId"] != "c-123" || item["totalCents"] != float64(2*499+250) {
		t.Errorf("stored customerId %v, totalCents %v; want c-123 and %d (the decoded body's order)", item["customerId"], item["totalCents"], 2*499+250)
	}

	bad := learnerEvent(t, "post-order-base64")
	bad.Body = "%%% not base64"
	status, body = learnerCall(t, h, bad)
	if e := learnerErrorBody(t, body); status != 400 || e["code"] != "ValidationError" || e["field"] != "body" {
		t.Errorf("a body marked base64 that does not decode: status %d, error %v; want 400 ValidationError on body", status, e)
	}
}
