package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// stubOrders answers GetItem from status (orderId -> status; absent means no order) and
// counts UpdateItem calls.
type stubOrders struct {
	mu      sync.Mutex
	status  map[string]string
	getErr  error
	updates int
}

func (s *stubOrders) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if s.getErr != nil {
		return nil, s.getErr
	}
	id := in.Key["orderId"].(*types.AttributeValueMemberS).Value
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[id]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	item := map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}
	if st != "" {
		item[Inventory.StatusAttribute] = &types.AttributeValueMemberS{Value: st}
	}
	return &dynamodb.GetItemOutput{Item: item}, nil
}

func (s *stubOrders) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates++
	if in.ExpressionAttributeNames["#status"] != Inventory.StatusAttribute || *in.ConditionExpression != "attribute_exists(orderId)" {
		return nil, errors.New("unexpected update")
	}
	s.status[in.Key["orderId"].(*types.AttributeValueMemberS).Value] = StatusDone
	return &dynamodb.UpdateItemOutput{}, nil
}

func TestProcessOutcomes(t *testing.T) {
	t.Parallel()
	const order = `{"orderId":"ord-1","totalCents":5}`
	tests := []struct {
		name        string
		body        string
		status      map[string]string
		getErr      error
		serviceCode int
		serviceWait time.Duration
		wantOK      bool
		wantCalls   int
		wantUpdates int
		wantLog     string
	}{
		{name: "applied", body: order, status: map[string]string{"ord-1": ""}, serviceCode: 201, wantOK: true, wantCalls: 1, wantUpdates: 1},
		{name: "200 is success too", body: order, status: map[string]string{"ord-1": ""}, serviceCode: 200, wantOK: true, wantCalls: 1, wantUpdates: 1},
		{name: "already done", body: order, status: map[string]string{"ord-1": "DONE"}, serviceCode: 201, wantOK: true},
		{name: "order not in table", body: order, status: map[string]string{}, serviceCode: 201, wantLog: "not in Orders"},
		{name: "table down", body: order, getErr: errors.New("throttled"), serviceCode: 201, wantLog: "throttled"},
		{name: "service refuses", body: order, status: map[string]string{"ord-1": ""}, serviceCode: 400, wantCalls: 1, wantLog: "status 400"},
		{name: "service unavailable", body: order, status: map[string]string{"ord-1": ""}, serviceCode: 503, wantCalls: 1, wantLog: "status 503"},
		{name: "service too slow", body: order, status: map[string]string{"ord-1": ""}, serviceCode: 201, serviceWait: 2 * time.Second, wantCalls: 1, wantLog: "Client.Timeout"},
		{name: "no orderId", body: `{"id":"ord-1"}`, serviceCode: 201, wantLog: "unparseable message"},
		{name: "sns envelope", body: `{"Type":"Notification","Message":"{\"orderId\":\"ord-1\"}"}`, serviceCode: 201, wantLog: "raw message delivery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			calls := 0
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				if tt.serviceWait > 0 {
					select {
					case <-time.After(tt.serviceWait):
					case <-release:
					}
				}
				w.WriteHeader(tt.serviceCode)
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })
			db := &stubOrders{status: tt.status, getErr: tt.getErr}
			var logs bytes.Buffer
			h := &Handler{svc: Inventory, db: db, table: "Orders", client: &http.Client{Timeout: 200 * time.Millisecond},
				serviceURL: srv.URL + "/", log: slog.New(slog.NewJSONHandler(&logs, nil))}

			ok := h.process(context.Background(), events.SQSMessage{MessageId: "m", Body: tt.body})
			if ok != tt.wantOK {
				t.Errorf("process = %v, want %v; logs:\n%s", ok, tt.wantOK, logs.String())
			}
			mu.Lock()
			if calls != tt.wantCalls {
				t.Errorf("service calls = %d, want %d", calls, tt.wantCalls)
			}
			mu.Unlock()
			if db.updates != tt.wantUpdates {
				t.Errorf("UpdateItem calls = %d, want %d", db.updates, tt.wantUpdates)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs do not mention %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

func TestHandleReportsByMessageID(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != Inventory.Path || r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.Header.Get("Idempotency-Key") == "ord-bad" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	status := map[string]string{}
	var ev events.SQSEvent
	for i, id := range []string{"ord-0", "ord-bad", "ord-2", "ord-3", "ord-bad", "ord-5"} {
		status[id] = ""
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m" + string(rune('0'+i)), Body: `{"orderId":"` + id + `"}`})
	}
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-poison", Body: "{"})
	h := &Handler{svc: Inventory, db: &stubOrders{status: status}, table: "Orders", client: srv.Client(), serviceURL: srv.URL, log: slog.New(slog.DiscardHandler)}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle error = %v, want nil", err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if want := "m1,m4,m-poison"; strings.Join(got, ",") != want {
		t.Errorf("failures = %v, want %s in batch order", got, want)
	}
}

func TestNewHandlerEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		wantErr     string
		wantTable   string
		wantTimeout time.Duration
	}{
		{name: "defaults", env: map[string]string{Inventory.URLEnv: "http://svc"}, wantTable: "Orders", wantTimeout: 5 * time.Second},
		{name: "all set", env: map[string]string{Inventory.URLEnv: "http://svc", "TABLE_NAME": "o2", "DOWNSTREAM_TIMEOUT_MS": "250"}, wantTable: "o2", wantTimeout: 250 * time.Millisecond},
		{name: "no service url", env: map[string]string{}, wantErr: Inventory.URLEnv},
		{name: "bad timeout", env: map[string]string{Inventory.URLEnv: "http://svc", "DOWNSTREAM_TIMEOUT_MS": "soon"}, wantErr: "DOWNSTREAM_TIMEOUT_MS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := New(context.Background(), Inventory, func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if h.table != tt.wantTable || h.client.Timeout != tt.wantTimeout || h.serviceURL != "http://svc" {
				t.Errorf("handler table %q timeout %v url %q, want %q %v http://svc", h.table, h.client.Timeout, h.serviceURL, tt.wantTable, tt.wantTimeout)
			}
		})
	}
}

// TestEachServiceItsOwnConfig: the two workers are one handler with a
// different Service: each reads its own URL variable, posts to its own path
// and sets its own status attribute.
func TestEachServiceItsOwnConfig(t *testing.T) {
	t.Parallel()
	for _, svc := range []Service{Inventory, Accounting} {
		t.Run(svc.Name, func(t *testing.T) {
			t.Parallel()
			paths := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				paths <- r.URL.Path
				w.WriteHeader(http.StatusCreated)
			}))
			t.Cleanup(srv.Close)
			h, err := New(context.Background(), svc, func(k string) string { return map[string]string{svc.URLEnv: srv.URL}[k] }, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("New(%s): %v", svc.Name, err)
			}
			db := &stubAttrOrders{}
			h.db = db
			if !h.process(context.Background(), events.SQSMessage{MessageId: "m", Body: `{"orderId":"ord-1"}`}) {
				t.Fatal("process failed")
			}
			if path := <-paths; path != svc.Path || db.set != svc.StatusAttribute {
				t.Errorf("posted to %q and set %q, want %q and %q", path, db.set, svc.Path, svc.StatusAttribute)
			}
		})
	}
}

// stubAttrOrders holds one order without statuses and records the attribute
// an update sets.
type stubAttrOrders struct{ set string }

func (s *stubAttrOrders) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{"orderId": in.Key["orderId"]}}, nil
}

func (s *stubAttrOrders) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	s.set = in.ExpressionAttributeNames["#status"]
	return &dynamodb.UpdateItemOutput{}, nil
}
