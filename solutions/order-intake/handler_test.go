package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// memTable is an in-memory table keyed by orderId whose PutItem honours
// attribute_not_exists and can be told to fail.
type memTable struct {
	mu      sync.Mutex
	items   map[string]map[string]types.AttributeValue
	puts    int
	putErr  error // returned by every PutItem when set
	taken   int   // the first taken PutItem calls fail their condition
	getErr  error
	lastGet *dynamodb.GetItemInput
}

func (m *memTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	if m.putErr != nil {
		return nil, m.putErr
	}
	id := in.Item["orderId"].(*types.AttributeValueMemberS).Value
	if _, ok := m.items[id]; ok || m.puts <= m.taken {
		return nil, &types.ConditionalCheckFailedException{}
	}
	if m.items == nil {
		m.items = map[string]map[string]types.AttributeValue{}
	}
	m.items[id] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (m *memTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastGet = in
	if m.getErr != nil {
		return nil, m.getErr
	}
	return &dynamodb.GetItemOutput{Item: m.items[in.Key["orderId"].(*types.AttributeValueMemberS).Value]}, nil
}

func newTestHandler(db ordersTable) *handler {
	return &handler{db: db, table: "Orders", log: slog.New(slog.DiscardHandler),
		now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
}

func postEvent(body, channel string, headers map[string]string) request {
	req := request{RouteKey: "POST /orders", RawPath: "/orders", Body: body, Headers: headers}
	req.RequestContext.HTTP.Method = "POST"
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"channel": channel}}
	return req
}

const validBody = `{"customerId":"c-1","channel":"web","lines":[{"sku":"A","quantity":3,"unitPriceCents":100}]}`

func TestParseOrderAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		wantTotal int64
		wantLines int
	}{
		{name: "one line", body: validBody, wantTotal: 300, wantLines: 1},
		{name: "free line", body: `{"customerId":"c","channel":"mobile","lines":[{"sku":"A","quantity":1,"unitPriceCents":0}]}`, wantTotal: 0, wantLines: 1},
		{name: "unknown fields ignored", body: `{"customerId":"c","channel":"wholesale","coupon":"X","lines":[{"sku":"A","quantity":2,"unitPriceCents":5,"note":"n"}]}`, wantTotal: 10, wantLines: 1},
		{name: "largest allowed", body: `{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":1000000,"unitPriceCents":100000000}]}`, wantTotal: 100_000_000_000_000, wantLines: 1},
		{name: "surrounding whitespace", body: " \n" + validBody + "\n", wantTotal: 300, wantLines: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ferr := parseOrder([]byte(tt.body))
			if ferr != nil {
				t.Fatalf("parseOrder(%s) = %v, want no error", tt.body, ferr)
			}
			if got.totalCents() != tt.wantTotal || len(got.Lines) != tt.wantLines {
				t.Errorf("total %d, %d lines, want %d, %d", got.totalCents(), len(got.Lines), tt.wantTotal, tt.wantLines)
			}
		})
	}
}

func TestParseOrderLimits(t *testing.T) {
	t.Parallel()
	many := `{"customerId":"c","channel":"web","lines":[` + strings.Repeat(`{"sku":"A","quantity":1,"unitPriceCents":1},`, 100) + `{"sku":"A","quantity":1,"unitPriceCents":1}]}`
	tests := []struct {
		name, body, wantField string
	}{
		{name: "trailing data", body: validBody + `{}`, wantField: "body"},
		{name: "101 lines", body: many, wantField: "lines"},
		{name: "customerId too long", body: `{"customerId":"` + strings.Repeat("c", 129) + `","channel":"web","lines":[{"sku":"A","quantity":1,"unitPriceCents":1}]}`, wantField: "customerId"},
		{name: "blank customerId", body: `{"customerId":"  ","channel":"web","lines":[{"sku":"A","quantity":1,"unitPriceCents":1}]}`, wantField: "customerId"},
		{name: "sku too long", body: `{"customerId":"c","channel":"web","lines":[{"sku":"` + strings.Repeat("s", 65) + `","quantity":1,"unitPriceCents":1}]}`, wantField: "lines[0].sku"},
		{name: "line not an object", body: `{"customerId":"c","channel":"web","lines":[7]}`, wantField: "lines[0]"},
		{name: "quantity too large", body: `{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":1000001,"unitPriceCents":1}]}`, wantField: "lines[0].quantity"},
		{name: "quantity exponent", body: `{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":1e2,"unitPriceCents":1}]}`, wantField: "lines[0].quantity"},
		{name: "quantity beyond int64", body: `{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":99999999999999999999,"unitPriceCents":1}]}`, wantField: "lines[0].quantity"},
		{name: "price too large", body: `{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":1,"unitPriceCents":100000001}]}`, wantField: "lines[0].unitPriceCents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ferr := parseOrder([]byte(tt.body))
			if ferr == nil || ferr.field != tt.wantField {
				t.Errorf("parseOrder error = %v, want field %q", ferr, tt.wantField)
			}
		})
	}
}

func TestCreateOrderResponses(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 256)
	tests := []struct {
		name       string
		req        request
		db         *memTable
		wantStatus int
		wantCode   string
		wantPuts   int
	}{
		{name: "accepted", req: postEvent(validBody, "web", nil), db: &memTable{}, wantStatus: 201, wantPuts: 1},
		{name: "base64 body", req: func() request {
			r := postEvent(base64.StdEncoding.EncodeToString([]byte(validBody)), "web", nil)
			r.IsBase64Encoded = true
			return r
		}(), db: &memTable{}, wantStatus: 201, wantPuts: 1},
		{name: "bad base64", req: func() request { r := postEvent("%%%", "web", nil); r.IsBase64Encoded = true; return r }(), db: &memTable{}, wantStatus: 400, wantCode: "ValidationError"},
		{name: "no authorizer context", req: func() request { r := postEvent(validBody, "", nil); r.RequestContext.Authorizer = nil; return r }(), db: &memTable{}, wantStatus: 403, wantCode: "ChannelMismatch"},
		{name: "key too long", req: postEvent(validBody, "web", map[string]string{"Idempotency-Key": long}), db: &memTable{}, wantStatus: 400, wantCode: "ValidationError"},
		{name: "table down", req: postEvent(validBody, "web", nil), db: &memTable{putErr: errors.New("connection refused")}, wantStatus: 500, wantCode: "InternalError", wantPuts: 1},
		{name: "random id taken once", req: postEvent(validBody, "web", nil), db: &memTable{taken: 1}, wantStatus: 201, wantPuts: 2},
		{name: "random ids always taken", req: postEvent(validBody, "web", nil), db: &memTable{taken: 10}, wantStatus: 500, wantCode: "InternalError", wantPuts: 3},
		{name: "replay read fails", req: postEvent(validBody, "web", map[string]string{"idempotency-key": "k"}), db: &memTable{taken: 1, getErr: errors.New("timeout")}, wantStatus: 500, wantCode: "InternalError", wantPuts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := newTestHandler(tt.db).Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Handle error = %v, want nil", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantCode != "" {
				var body struct{ Error struct{ Code string } }
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code != tt.wantCode {
					t.Errorf("body %s: code %q, want %q", resp.Body, body.Error.Code, tt.wantCode)
				}
			}
			if tt.db.puts != tt.wantPuts {
				t.Errorf("PutItem calls = %d, want %d", tt.db.puts, tt.wantPuts)
			}
			if resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", resp.Headers["Content-Type"])
			}
		})
	}
}

func TestGetOrderReadsConsistently(t *testing.T) {
	t.Parallel()
	db := &memTable{}
	h := newTestHandler(db)
	req := request{RawPath: "/orders/ord-x", RouteKey: "$default"}
	req.RequestContext.HTTP.Method = "GET"
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode != 404 {
		t.Fatalf("status = %d, want 404", resp.StatusCode)
	}
	if db.lastGet == nil || db.lastGet.ConsistentRead == nil || !*db.lastGet.ConsistentRead {
		t.Errorf("GetItem ConsistentRead = %v, want true", db.lastGet)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, routeKey, method, path, stage string
		params                              map[string]string
		wantOp, wantID                      string
	}{
		{name: "post", routeKey: "POST /orders", method: "POST", path: "/orders", wantOp: "create"},
		{name: "get", routeKey: "GET /orders/{orderId}", method: "GET", path: "/orders/ord-1", params: map[string]string{"orderId": "ord-1"}, wantOp: "get", wantID: "ord-1"},
		{name: "default post", routeKey: "$default", method: "POST", path: "/orders", wantOp: "create"},
		{name: "default get", routeKey: "$default", method: "GET", path: "/orders/ord-2", wantOp: "get", wantID: "ord-2"},
		{name: "default get with stage", routeKey: "$default", method: "GET", path: "/prod/orders/ord-3", stage: "prod", wantOp: "get", wantID: "ord-3"},
		{name: "default nested path", routeKey: "$default", method: "GET", path: "/orders/a/b"},
		{name: "default delete", routeKey: "$default", method: "DELETE", path: "/orders/ord-2"},
		{name: "other route", routeKey: "PUT /orders", method: "PUT", path: "/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := request{RouteKey: tt.routeKey, RawPath: tt.path, PathParameters: tt.params}
			req.RequestContext.HTTP.Method = tt.method
			req.RequestContext.Stage = tt.stage
			op, id := route(req)
			if op != tt.wantOp || id != tt.wantID {
				t.Errorf("route = (%q, %q), want (%q, %q)", op, id, tt.wantOp, tt.wantID)
			}
		})
	}
}

func TestIdempotentOrderID(t *testing.T) {
	t.Parallel()
	base := idempotentOrderID("web", "c-1", "k")
	if again := idempotentOrderID("web", "c-1", "k"); again != base {
		t.Errorf("same inputs gave %q then %q, want equal", base, again)
	}
	for _, other := range []string{
		idempotentOrderID("mobile", "c-1", "k"),
		idempotentOrderID("web", "c-2", "k"),
		idempotentOrderID("web", "c-1", "k2"),
		idempotentOrderID("web", "c-1|1:k", ""),
	} {
		if other == base {
			t.Errorf("different inputs gave the same id %q", base)
		}
	}
	if len(base) != len("ord-")+24 || !strings.HasPrefix(base, "ord-") {
		t.Errorf("id %q, want ord- and 24 hex digits", base)
	}
	if a, b := newOrderID(), newOrderID(); a == b || len(a) != 28 {
		t.Errorf("newOrderID gave %q and %q, want two distinct 28-character ids", a, b)
	}
}

func TestNewHandlerDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env       map[string]string
		wantTable string
	}{
		{env: map[string]string{}, wantTable: "Orders"},
		{env: map[string]string{"TABLE_NAME": "orders-dev"}, wantTable: "orders-dev"},
	}
	for _, tt := range tests {
		h, err := newHandler(context.Background(), func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("newHandler: %v", err)
		}
		if h.table != tt.wantTable {
			t.Errorf("table = %q, want %q", h.table, tt.wantTable)
		}
	}
}

// FuzzParseOrder checks that parseOrder never panics and that whatever it accepts honours the
// contract: a known channel, a customer, 1 to maxLines lines each with a sku, a quantity in
// [1, maxQuantity] and a price in [0, maxUnitPrice], so totalCents cannot overflow.
func FuzzParseOrder(f *testing.F) {
	f.Add(validBody)
	f.Add(`{"customerId":"c","channel":"mobile","lines":[{"sku":"A","quantity":1e3,"unitPriceCents":0}]}`)
	f.Add(`{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":1,"unitPriceCents":-0}]}`)
	f.Add(`null`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		req, ferr := parseOrder([]byte(body))
		if ferr != nil {
			if ferr.field == "" || ferr.message == "" {
				t.Fatalf("parseOrder(%q) = %#v, want a field and a message", body, ferr)
			}
			return
		}
		if !knownChannel(req.Channel) || strings.TrimSpace(req.CustomerID) == "" || len(req.Lines) == 0 || len(req.Lines) > maxLines {
			t.Fatalf("parseOrder(%q) accepted %+v", body, req)
		}
		for _, l := range req.Lines {
			if l.SKU == "" || l.Quantity < 1 || l.Quantity > maxQuantity || l.UnitPriceCents < 0 || l.UnitPriceCents > maxUnitPrice {
				t.Fatalf("parseOrder(%q) accepted line %+v", body, l)
			}
		}
		if req.totalCents() < 0 {
			t.Fatalf("parseOrder(%q): totalCents %d overflowed", body, req.totalCents())
		}
	})
}
