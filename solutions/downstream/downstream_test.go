package downstream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// memRecords is an in-memory records table. UpdateItem interprets "SET a = :v,
// b = if_not_exists(b, :w) ADD c :n" with #name placeholders, as DynamoDB does; Scan returns
// pages of pageSize items and honours "#n = :v" filters.
type memRecords struct {
	mu       sync.Mutex
	items    map[string]map[string]types.AttributeValue
	pageSize int
	scans    int
	fail     error
}

func (m *memRecords) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	key := in.Key["idempotencyKey"].(*types.AttributeValueMemberS).Value
	item := map[string]types.AttributeValue{"idempotencyKey": in.Key["idempotencyKey"]}
	for k, v := range m.items[key] {
		item[k] = v
	}
	name := func(s string) string {
		if n, ok := in.ExpressionAttributeNames[s]; ok {
			return n
		}
		return s
	}
	setPart, addPart, _ := strings.Cut(*in.UpdateExpression, " ADD ")
	for _, clause := range splitTopLevel(strings.TrimPrefix(setPart, "SET ")) {
		lhs, rhs, _ := strings.Cut(clause, "=")
		lhs, rhs = name(strings.TrimSpace(lhs)), strings.TrimSpace(rhs)
		if inner, ok := strings.CutPrefix(rhs, "if_not_exists("); ok {
			attr, val, _ := strings.Cut(strings.TrimSuffix(inner, ")"), ",")
			if _, exists := item[name(strings.TrimSpace(attr))]; exists {
				continue
			}
			rhs = strings.TrimSpace(val)
		}
		item[lhs] = in.ExpressionAttributeValues[rhs]
	}
	if addPart != "" {
		attr, val, _ := strings.Cut(strings.TrimSpace(addPart), " ")
		attr = name(attr)
		n := 0
		if cur, ok := item[attr].(*types.AttributeValueMemberN); ok {
			n, _ = strconv.Atoi(cur.Value)
		}
		d, _ := strconv.Atoi(in.ExpressionAttributeValues[val].(*types.AttributeValueMemberN).Value)
		item[attr] = &types.AttributeValueMemberN{Value: strconv.Itoa(n + d)}
	}
	if m.items == nil {
		m.items = map[string]map[string]types.AttributeValue{}
	}
	m.items[key] = item
	return &dynamodb.UpdateItemOutput{Attributes: item}, nil
}

// splitTopLevel splits s at commas outside parentheses.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func (m *memRecords) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scans++
	if m.fail != nil {
		return nil, m.fail
	}
	keys := make([]string, 0, len(m.items))
	for k := range m.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if in.ExclusiveStartKey != nil {
		after := in.ExclusiveStartKey["idempotencyKey"].(*types.AttributeValueMemberS).Value
		i, _ := slices.BinarySearch(keys, after)
		keys = keys[i+1:]
	}
	out := &dynamodb.ScanOutput{}
	if m.pageSize > 0 && len(keys) > m.pageSize {
		keys = keys[:m.pageSize]
		out.LastEvaluatedKey = map[string]types.AttributeValue{"idempotencyKey": &types.AttributeValueMemberS{Value: keys[len(keys)-1]}}
	}
	for _, k := range keys {
		item := m.items[k]
		if in.FilterExpression != nil {
			lhs, rhs, _ := strings.Cut(*in.FilterExpression, " = ")
			want := in.ExpressionAttributeValues[rhs].(*types.AttributeValueMemberS).Value
			if got, _ := item[in.ExpressionAttributeNames[lhs]].(*types.AttributeValueMemberS); got == nil || got.Value != want {
				continue
			}
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

func testHandler(db Table, cfg Config) *Handler {
	if cfg.Service == "" {
		cfg = Config{Service: "inventory", EffectPath: "/reservations", Table: "inventory-records", FailRate: cfg.FailRate, Latency: cfg.Latency}
	}
	h := New(db, cfg, slog.New(slog.DiscardHandler))
	tick := 0
	var mu sync.Mutex
	h.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick++
		return time.Date(2026, 1, 1, 0, 0, tick, 0, time.UTC)
	}
	return h
}

func loadEvent(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return req
}

// post returns the effect request of testdata/post-reservation.json for key and orderID.
func post(t testing.TB, key, orderID string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := loadEvent(t, "post-reservation")
	req.Headers["idempotency-key"] = key
	req.Body = fmt.Sprintf(`{"orderId":%q,"totalCents":998}`, orderID)
	return req
}

func call(t testing.TB, h *Handler, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, map[string]any) {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle error = %v, want nil", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp, body
}

func TestApplyOncePerKey(t *testing.T) {
	t.Parallel()
	db := &memRecords{}
	h := testHandler(db, Config{})
	first, firstBody := call(t, h, loadEvent(t, "post-reservation"))
	if first.StatusCode != 201 || first.Headers["Idempotent-Replayed"] != "" {
		t.Fatalf("first: status %d, replayed %q, want 201 and no replay header", first.StatusCode, first.Headers["Idempotent-Replayed"])
	}
	want := map[string]any{"idempotencyKey": "ord-aaaaaaaaaaaaaaaaaaaaaaaa", "orderId": "ord-aaaaaaaaaaaaaaaaaaaaaaaa",
		"service": "inventory", "count": float64(1), "firstAt": "2026-01-01T00:00:01Z"}
	for k, v := range want {
		if firstBody[k] != v {
			t.Errorf("first body %s = %v, want %v", k, firstBody[k], v)
		}
	}
	for i := range 2 {
		again, _ := call(t, h, loadEvent(t, "post-reservation"))
		if again.StatusCode != 201 || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
			t.Errorf("repeat %d: status %d body %s replayed %q, want 201, the first body and Idempotent-Replayed: true",
				i+1, again.StatusCode, again.Body, again.Headers["Idempotent-Replayed"])
		}
	}
	item := db.items["ord-aaaaaaaaaaaaaaaaaaaaaaaa"]
	if got := item["deliveries"].(*types.AttributeValueMemberN).Value; got != "3" {
		t.Errorf("deliveries = %s, want 3", got)
	}
	if got := item["count"].(*types.AttributeValueMemberN).Value; got != "1" {
		t.Errorf("count = %s, want 1", got)
	}
	if got := item["lastAt"].(*types.AttributeValueMemberS).Value; got != "2026-01-01T00:00:03Z" {
		t.Errorf("lastAt = %s, want the third delivery's time", got)
	}
}

func TestApplyRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		req      func(t testing.TB) events.APIGatewayV2HTTPRequest
		wantCode string
	}{
		{name: "no key", req: func(t testing.TB) events.APIGatewayV2HTTPRequest { return post(t, "", "ord-1") }, wantCode: "MissingIdempotencyKey"},
		{name: "key too long", req: func(t testing.TB) events.APIGatewayV2HTTPRequest { return post(t, strings.Repeat("k", 256), "ord-1") }, wantCode: "MissingIdempotencyKey"},
		{name: "no orderId", req: func(t testing.TB) events.APIGatewayV2HTTPRequest { return post(t, "k", "") }, wantCode: "ValidationError"},
		{name: "not JSON", req: func(t testing.TB) events.APIGatewayV2HTTPRequest {
			r := post(t, "k", "ord-1")
			r.Body = "ord-1"
			return r
		}, wantCode: "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := &memRecords{}
			resp, body := call(t, testHandler(db, Config{}), tt.req(t))
			if code := body["error"].(map[string]any)["code"]; resp.StatusCode != 400 || code != tt.wantCode {
				t.Errorf("status %d code %v, want 400 %s", resp.StatusCode, code, tt.wantCode)
			}
			if len(db.items) != 0 {
				t.Errorf("recorded %d items, want 0", len(db.items))
			}
		})
	}
}

func TestFailureSwitch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failRate   float64
		draw       float64
		wantStatus int
	}{
		{name: "off", failRate: 0, draw: 0, wantStatus: 201},
		{name: "always", failRate: 1, draw: 0.999, wantStatus: 503},
		{name: "half, unlucky draw", failRate: 0.5, draw: 0.49, wantStatus: 503},
		{name: "half, lucky draw", failRate: 0.5, draw: 0.5, wantStatus: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := &memRecords{}
			h := testHandler(db, Config{FailRate: tt.failRate})
			h.random = func() float64 { return tt.draw }
			resp, _ := call(t, h, post(t, "k", "ord-1"))
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if recorded := len(db.items) == 1; recorded != (tt.wantStatus == 201) {
				t.Errorf("recorded = %v, want an effect only with 201", recorded)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	h := testHandler(&memRecords{}, Config{Latency: 50 * time.Millisecond})
	start := time.Now()
	if resp, _ := call(t, h, post(t, "k", "ord-1")); resp.StatusCode != 201 {
		t.Fatalf("status = %d, want 201", resp.StatusCode)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least the 50ms latency", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, _ := h.Handle(ctx, post(t, "k2", "ord-2"))
	if resp.StatusCode != 503 {
		t.Errorf("cancelled request: status = %d, want 503", resp.StatusCode)
	}
}

func TestListRecords(t *testing.T) {
	t.Parallel()
	db := &memRecords{pageSize: 2}
	h := testHandler(db, Config{})
	for _, kv := range [][2]string{{"k1", "o1"}, {"k1", "o1"}, {"k2", "o2"}, {"k3", "o1"}, {"k4", "o3"}, {"k4", "o3"}} {
		if resp, _ := call(t, h, post(t, kv[0], kv[1])); resp.StatusCode != 201 {
			t.Fatalf("apply %v: status %d", kv, resp.StatusCode)
		}
	}
	tests := []struct {
		name        string
		query       map[string]string
		wantKeys    []string
		wantSummary Summary
	}{
		{name: "all", wantKeys: []string{"k1", "k2", "k3", "k4"},
			wantSummary: Summary{Records: 4, Orders: 3, DuplicatedOrders: 1, DuplicateEffects: 1, Deliveries: 6, Redeliveries: 2}},
		{name: "one order", query: map[string]string{"orderId": "o1"}, wantKeys: []string{"k1", "k3"},
			wantSummary: Summary{Records: 2, Orders: 1, DuplicatedOrders: 1, DuplicateEffects: 1, Deliveries: 3, Redeliveries: 1}},
		{name: "summary only", query: map[string]string{"view": "summary"},
			wantSummary: Summary{Records: 4, Orders: 3, DuplicatedOrders: 1, DuplicateEffects: 1, Deliveries: 6, Redeliveries: 2}},
		{name: "unknown order", query: map[string]string{"orderId": "nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := loadEvent(t, "get-records")
			req.QueryStringParameters = tt.query
			resp, err := h.Handle(context.Background(), req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d error %v, want 200", resp.StatusCode, err)
			}
			var l Listing
			if err := json.Unmarshal([]byte(resp.Body), &l); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, r := range l.Records {
				keys = append(keys, r.IdempotencyKey)
			}
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", keys, tt.wantKeys)
			}
			if l.Summary != tt.wantSummary || l.Service != "inventory" {
				t.Errorf("summary = %+v of %q, want %+v of inventory", l.Summary, l.Service, tt.wantSummary)
			}
		})
	}
	if db.scans < 2 {
		t.Errorf("Scan calls = %d, want several pages read", db.scans)
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, stage string
		wantStatus                int
	}{
		{name: "effect", method: "POST", path: "/reservations", wantStatus: 201},
		{name: "effect under a stage", method: "POST", path: "/live/reservations", stage: "live", wantStatus: 201},
		{name: "records", method: "GET", path: "/records", wantStatus: 200},
		{name: "other service's path", method: "POST", path: "/entries", wantStatus: 404},
		{name: "records on the effect path", method: "GET", path: "/reservations", wantStatus: 200},
		{name: "wrong method", method: "DELETE", path: "/reservations", wantStatus: 404},
		{name: "unknown path", method: "GET", path: "/", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := post(t, "k", "ord-1")
			req.RequestContext.HTTP.Method, req.RawPath, req.RequestContext.Stage = tt.method, tt.path, tt.stage
			if resp, _ := call(t, testHandler(&memRecords{}, Config{}), req); resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s: status = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.wantStatus)
			}
		})
	}
}

func TestTableFailureIs500(t *testing.T) {
	t.Parallel()
	h := testHandler(&memRecords{fail: fmt.Errorf("throttled")}, Config{})
	for _, req := range []events.APIGatewayV2HTTPRequest{post(t, "k", "o"), loadEvent(t, "get-records")} {
		if resp, _ := call(t, h, req); resp.StatusCode != 500 {
			t.Errorf("%s: status = %d, want 500", req.RawPath, resp.StatusCode)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", env: map[string]string{}, want: Config{Service: "accounting", EffectPath: "/entries", Table: "accounting-records"}},
		{name: "all set", env: map[string]string{"TABLE_NAME": "t", "FAIL_RATE": "0.25", "LATENCY_MS": "40"},
			want: Config{Service: "accounting", EffectPath: "/entries", Table: "t", FailRate: 0.25, Latency: 40 * time.Millisecond}},
		{name: "rate above 1", env: map[string]string{"FAIL_RATE": "1.5"}, wantErr: "FAIL_RATE"},
		{name: "rate not a number", env: map[string]string{"FAIL_RATE": "half"}, wantErr: "FAIL_RATE"},
		{name: "negative latency", env: map[string]string{"LATENCY_MS": "-1"}, wantErr: "LATENCY_MS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] }, "accounting", "/entries", "accounting-records")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ConfigFromEnv = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}
