package kit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestSolveLab2Functional(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	if err := k.Solve(ctx, "lab1"); err != nil {
		t.Fatal(err)
	}
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	a, err := k.findAPI(ctx, "orders-api")
	if err != nil || a == nil {
		t.Fatalf("find api: %v, %v", a, err)
	}
	base := aws.ToString(a.ApiEndpoint)
	tok, err := k.Token(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	valid := `{"customerId":"c-1","channel":"web","lines":[{"sku":"SOAP-1","quantity":2,"unitPriceCents":499}]}`

	if st, _ := call(t, "POST", base+"/orders", "", "", valid); st != 401 {
		t.Errorf("no token: got %d, want 401", st)
	}
	if st, _ := call(t, "POST", base+"/orders", "v1.web.9999999999.Zm9yZ2Vk", "", valid); st != 403 {
		t.Errorf("forged token: got %d, want 403", st)
	}
	st, body := call(t, "POST", base+"/orders", tok, "", valid)
	if st != 201 {
		t.Fatalf("valid order: got %d %v, want 201", st, body)
	}
	id, _ := body["orderId"].(string)
	out, err := k.cl().ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Orders"),
		Key: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Errorf("stored order %s: got %v, %v", id, out, err)
	}
	for _, c := range []struct{ body, field string }{
		{`not json`, ""},
		{`{"channel":"web","lines":[{"sku":"A","quantity":1,"unitPriceCents":1}]}`, "customerId"},
		{`{"customerId":"c","channel":"web","lines":[]}`, "lines"},
		{`{"customerId":"c","channel":"web","lines":[{"sku":"A","quantity":0,"unitPriceCents":1}]}`, "lines[0].quantity"},
	} {
		st, body := call(t, "POST", base+"/orders", tok, "", c.body)
		errBody, _ := body["error"].(map[string]any)
		if st != 400 || (c.field != "" && errBody["field"] != c.field) {
			t.Errorf("bad body %s: got %d %v, want 400 naming %q", c.body, st, body, c.field)
		}
	}
	_, first := call(t, "POST", base+"/orders", tok, "key-1", valid)
	_, second := call(t, "POST", base+"/orders", tok, "key-1", valid)
	if first["orderId"] == nil || first["orderId"] != second["orderId"] {
		t.Errorf("replay: got %v then %v, want the same orderId", first, second)
	}
	scan, err := k.cl().ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("Orders"), ConsistentRead: aws.Bool(true)})
	if err != nil || scan.Count != 2 {
		t.Errorf("items after one order and one replayed order: got %d (%v), want 2", scan.Count, err)
	}
	st, got := call(t, "GET", base+"/orders/"+fmt.Sprint(first["orderId"]), tok, "", "")
	if st != 200 || got["orderId"] != first["orderId"] {
		t.Errorf("GET order: got %d %v", st, got)
	}
	// A second solve changes nothing and keeps the secret.
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	if st, _ := call(t, "GET", base+"/orders/"+fmt.Sprint(first["orderId"]), tok, "", ""); st != 200 {
		t.Errorf("token after re-solve: got %d, want 200", st)
	}
	_ = context.Background
}

// TestLoadLab2 sends a small spike to lab 2's API (no downstream services:
// completion means stored).
func TestLoadLab2(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	var bar strings.Builder
	rep, err := k.Load(ctx, LoadOptions{Orders: 60, Rate: 60, Concurrency: 16, Progress: &bar})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if rep.Accepted != 60 || rep.Completed != 60 || rep.Lost != 0 || rep.Downstream {
		t.Errorf("load: got %+v, want 60 accepted and stored", rep)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 {
		t.Errorf("latency: got %+v", rep.Latency)
	}
	if !strings.Contains(bar.String(), "100%") {
		t.Errorf("progress: got %q, want a bar reaching 100%%", bar.String())
	}
}
