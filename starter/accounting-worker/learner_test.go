//go:build learner

// Learner tests for lab 4's worker. Run them with: go test -tags learner ./starter/...
// They call h.Handle with the SQS events in testdata/, an in-memory Orders table and a fake
// downstream service (an httptest server).

package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// What this worker must call and record.
const (
	learnerPath   = "/entries"
	learnerStatus = "accountingStatus"
)

const (
	learnerOrderA = "ord-aaaaaaaaaaaaaaaaaaaaaaaa"
	learnerOrderB = "ord-bbbbbbbbbbbbbbbbbbbbbbbb"
)

//go:embed testdata/*.json
var learnerEvents embed.FS

// learnerOrders is an in-memory Orders table holding orders A and B. UpdateItem understands
// "SET a = :v, #b = :w" and conditions with attribute_exists(orderId).
type learnerOrders struct {
	mu          sync.Mutex
	items       map[string]map[string]types.AttributeValue
	failUpdates bool
}

func newLearnerOrders() *learnerOrders {
	items := map[string]map[string]types.AttributeValue{}
	for _, id := range []string{learnerOrderA, learnerOrderB} {
		items[id] = map[string]types.AttributeValue{
			"orderId": &types.AttributeValueMemberS{Value: id},
			"status":  &types.AttributeValueMemberS{Value: "ACCEPTED"},
		}
	}
	return &learnerOrders{items: items}
}

func learnerKey(table *string, key map[string]types.AttributeValue) (string, error) {
	if table == nil || *table != "Orders" {
		return "", &types.ResourceNotFoundException{Message: ptr(fmt.Sprintf("no table %v: use h.table", table))}
	}
	k, ok := key["orderId"].(*types.AttributeValueMemberS)
	if !ok || len(key) != 1 {
		return "", errors.New("ValidationException: the key must be {orderId: S}")
	}
	return k.Value, nil
}

func (f *learnerOrders) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	id, err := learnerKey(in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	item, ok := f.items[id]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	out := map[string]types.AttributeValue{}
	for k, v := range item {
		out[k] = v
	}
	return &dynamodb.GetItemOutput{Item: out}, nil
}

func (f *learnerOrders) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	id, err := learnerKey(in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failUpdates {
		return nil, errors.New("InternalServerError: the table is unavailable (test)")
	}
	item, exists := f.items[id]
	if cond := ptrValue(in.ConditionExpression); strings.Contains(cond, "attribute_exists") && !exists {
		return nil, &types.ConditionalCheckFailedException{Message: ptr("The conditional request failed")}
	}
	if !exists {
		item = map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}
		f.items[id] = item
	}
	expr := strings.TrimSpace(ptrValue(in.UpdateExpression))
	if len(expr) < 4 || !strings.EqualFold(expr[:4], "SET ") {
		return nil, fmt.Errorf("learner fake table: only SET update expressions are supported, got %q", expr)
	}
	for _, clause := range strings.Split(expr[4:], ",") {
		lhs, rhs, ok := strings.Cut(clause, "=")
		lhs, rhs = strings.TrimSpace(lhs), strings.TrimSpace(rhs)
		if name, found := in.ExpressionAttributeNames[lhs]; found {
			lhs = name
		}
		v, found := in.ExpressionAttributeValues[rhs]
		if !ok || !found {
			return nil, fmt.Errorf("learner fake table: unsupported clause %q (use SET name = :value)", clause)
		}
		item[lhs] = v
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

// status returns the order's status attribute learnerStatus, or "".
func (f *learnerOrders) status(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, _ := f.items[id][learnerStatus].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

func (f *learnerOrders) setStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[id][learnerStatus] = &types.AttributeValueMemberS{Value: status}
}

func ptr(s string) *string { return &s }

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// learnerCall is one request the fake service received.
type learnerCall struct {
	method, path, key, contentType string
	orderID                        string // from the JSON body
}

// learnerService is the fake downstream service: it records calls and answers 503 to orders
// in failing, 201 to the others.
type learnerService struct {
	mu      sync.Mutex
	calls   []learnerCall
	failing map[string]bool
}

func (s *learnerService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body struct {
		OrderID string `json:"orderId"`
	}
	_ = json.Unmarshal(b, &body)
	s.mu.Lock()
	s.calls = append(s.calls, learnerCall{r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"), r.Header.Get("Content-Type"), body.OrderID})
	fail := s.failing[body.OrderID]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"code":"ServiceUnavailable","message":"test"}}`)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"orderId":%q}`, body.OrderID)
}

func (s *learnerService) snapshot() []learnerCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// learnerSetup returns a handler wired to a fresh table and a fake service.
func learnerSetup(t testing.TB, failing ...string) (*handler, *learnerOrders, *learnerService) {
	t.Helper()
	svc := &learnerService{failing: map[string]bool{}}
	for _, id := range failing {
		svc.failing[id] = true
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	orders := newLearnerOrders()
	client := srv.Client()
	client.Timeout = 5 * time.Second
	h := &handler{db: orders, table: "Orders", client: client, serviceURL: srv.URL,
		log: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))}
	return h, orders, svc
}

func learnerEvent(t testing.TB, name string) events.SQSEvent {
	t.Helper()
	b, err := learnerEvents.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode testdata/%s.json: %v", name, err)
	}
	return ev
}

// learnerHandle runs h.Handle and returns the reported message ids, sorted.
func learnerHandle(t testing.TB, h *handler, ev events.SQSEvent) []string {
	t.Helper()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle error = %v, want nil and failed messages in BatchItemFailures (an error redelivers the whole batch)", err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestWorkerCompletesEachOrder(t *testing.T) {
	t.Parallel()
	h, orders, svc := learnerSetup(t)
	if failed := learnerHandle(t, h, learnerEvent(t, "sqs-batch")); len(failed) != 0 {
		t.Errorf("BatchItemFailures = %v, want none", failed)
	}
	calls := svc.snapshot()
	if len(calls) != 2 {
		t.Fatalf("the service got %d calls, want 2 (one per order): %+v", len(calls), calls)
	}
	for _, c := range calls {
		if c.method != http.MethodPost || c.path != learnerPath {
			t.Errorf("call %s %s, want POST %s", c.method, c.path, learnerPath)
		}
		if c.orderID == "" || c.key != c.orderID {
			t.Errorf("call for order %q had Idempotency-Key %q, want the orderId (and the order JSON as the body)", c.orderID, c.key)
		}
		if !strings.HasPrefix(c.contentType, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", c.contentType)
		}
	}
	for _, id := range []string{learnerOrderA, learnerOrderB} {
		if got := orders.status(id); got != "DONE" {
			t.Errorf("order %s %s = %q, want DONE", id, learnerStatus, got)
		}
	}
}

func TestWorkerReportsPoisonMessage(t *testing.T) {
	t.Parallel()
	h, orders, _ := learnerSetup(t)
	failed := learnerHandle(t, h, learnerEvent(t, "sqs-poison"))
	if !slices.Equal(failed, []string{"msg-poison"}) {
		t.Errorf("BatchItemFailures = %v, want exactly [msg-poison]", failed)
	}
	for _, id := range []string{learnerOrderA, learnerOrderB} {
		if got := orders.status(id); got != "DONE" {
			t.Errorf("order %s %s = %q, want DONE: a poison message must not block the others", id, learnerStatus, got)
		}
	}
}

func TestWorkerReportsDownstreamFailure(t *testing.T) {
	t.Parallel()
	h, orders, _ := learnerSetup(t, learnerOrderB)
	failed := learnerHandle(t, h, learnerEvent(t, "sqs-batch"))
	if !slices.Equal(failed, []string{"msg-2"}) {
		t.Errorf("BatchItemFailures = %v, want exactly [msg-2] (order B, answered 503)", failed)
	}
	if got := orders.status(learnerOrderA); got != "DONE" {
		t.Errorf("order A %s = %q, want DONE", learnerStatus, got)
	}
	if got := orders.status(learnerOrderB); got == "DONE" {
		t.Errorf("order B %s = DONE, want it unset: the service refused it", learnerStatus)
	}
}

func TestWorkerSkipsOrdersAlreadyDone(t *testing.T) {
	t.Parallel()
	h, orders, svc := learnerSetup(t)
	orders.setStatus(learnerOrderA, "DONE")
	if failed := learnerHandle(t, h, learnerEvent(t, "sqs-batch")); len(failed) != 0 {
		t.Errorf("BatchItemFailures = %v, want none", failed)
	}
	calls := svc.snapshot()
	if len(calls) != 1 || calls[0].orderID != learnerOrderB {
		t.Errorf("the service got %+v, want one call, for order B only (A is already DONE)", calls)
	}
	if got := orders.status(learnerOrderB); got != "DONE" {
		t.Errorf("order B %s = %q, want DONE", learnerStatus, got)
	}
}

func TestWorkerRetriesWithTheSameKey(t *testing.T) {
	t.Parallel()
	h, orders, svc := learnerSetup(t)
	orders.failUpdates = true
	failed := learnerHandle(t, h, learnerEvent(t, "sqs-batch"))
	if !slices.Equal(failed, []string{"msg-1", "msg-2"}) {
		t.Errorf("with the table failing: BatchItemFailures = %v, want [msg-1 msg-2] (nothing recorded, so retry)", failed)
	}

	orders.mu.Lock()
	orders.failUpdates = false
	orders.mu.Unlock()
	if failed := learnerHandle(t, h, learnerEvent(t, "sqs-batch")); len(failed) != 0 {
		t.Errorf("redelivery: BatchItemFailures = %v, want none", failed)
	}
	keys := map[string][]string{}
	for _, c := range svc.snapshot() {
		keys[c.orderID] = append(keys[c.orderID], c.key)
	}
	for _, id := range []string{learnerOrderA, learnerOrderB} {
		if got := keys[id]; len(got) != 2 || got[0] != id || got[1] != id {
			t.Errorf("Idempotency-Keys sent for order %s over two deliveries = %v, want [%s %s] so the service applies it once", id, got, id, id)
		}
		if got := orders.status(id); got != "DONE" {
			t.Errorf("order %s %s = %q after redelivery, want DONE", id, learnerStatus, got)
		}
	}
}
