package kit

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/labkit-dev/labkit/solutions/downstream"
	"github.com/labkit-dev/labkit/solutions/token"
)

// TestSetupLab4Downstream deploys the downstream services, applies an
// effect through their API, flips the failure switch on and off.
func TestSetupLab4Downstream(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	if err := k.Setup(ctx, "lab4"); err != nil {
		t.Fatal(err)
	}
	a, err := k.findAPI(ctx, "downstream-api")
	if err != nil || a == nil {
		t.Fatalf("downstream-api: %v %v", a, err)
	}
	base := aws.ToString(a.ApiEndpoint)
	post := func(path, key string) int {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(`{"orderId":"o-1"}`))
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/reservations", "/entries"} {
		if st := post(p, "o-1"); st != 201 {
			t.Errorf("POST %s: got %d, want 201", p, st)
		}
		if st := post(p, "o-1"); st != 201 {
			t.Errorf("POST %s again: got %d, want 201", p, st)
		}
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		var l downstream.Listing
		json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		if l.Summary.Records != 1 || l.Summary.Deliveries != 2 {
			t.Errorf("GET %s: got %+v, want 1 record, 2 deliveries", p, l.Summary)
		}
	}
	if err := k.Fail(ctx, "accounting", true, 1, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	env := envOf(t, k, "accounting-service")
	if env["FAIL_RATE"] != "1" || env["LATENCY_MS"] != "5" || env["TABLE_NAME"] != "accounting-records" {
		t.Errorf("env after fail on: got %v", env)
	}
	if st := post("/entries", "o-2"); st != 503 {
		t.Errorf("POST /entries while failing: got %d, want 503", st)
	}
	if st := post("/reservations", "o-2"); st != 201 {
		t.Errorf("POST /reservations while accounting fails: got %d, want 201", st)
	}
	// Setup again keeps the switch where `lab fail` put it.
	if err := k.Setup(ctx, "lab4"); err != nil {
		t.Fatal(err)
	}
	if env := envOf(t, k, "accounting-service"); env["FAIL_RATE"] != "1" {
		t.Errorf("env after re-setup: got %v, want FAIL_RATE kept", env)
	}
	if err := k.Fail(ctx, "accounting", false, 0, 0); err != nil {
		t.Fatal(err)
	}
	if env := envOf(t, k, "accounting-service"); len(env) != 1 || env["TABLE_NAME"] != "accounting-records" {
		t.Errorf("env after fail off: got %v, want only TABLE_NAME", env)
	}
	if st := post("/entries", "o-2"); st != 201 {
		t.Errorf("POST /entries after recovery: got %d, want 201", st)
	}
	if err := k.Fail(ctx, "billing", true, 1, 0); err == nil {
		t.Errorf("Fail(billing): got nil error, want one naming the services")
	}
}

// TestDeployAndToken deploys code to existing and missing functions and
// checks tokens against the authorizer's secret.
func TestDeployAndToken(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	if _, err := k.Token(ctx, "web"); err == nil || !strings.Contains(err.Error(), "lab2") {
		t.Errorf("Token before lab2: got %v, want an error naming lab2", err)
	}
	if err := k.Deploy(ctx, "order-publisher", "solutions"); err == nil || !strings.Contains(err.Error(), "lab3, step publisher") {
		t.Errorf("Deploy of a missing function: got %v, want the step that creates it", err)
	}
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	before, _ := k.functionConfig(ctx, "order-intake")
	if err := k.Deploy(ctx, "order-intake", "starter"); err != nil {
		t.Fatal(err)
	}
	after, _ := k.functionConfig(ctx, "order-intake")
	if aws.ToString(after.CodeSha256) == aws.ToString(before.CodeSha256) {
		t.Errorf("deploy from starter: code unchanged")
	}
	if err := k.Deploy(ctx, "order-intake", "solutions"); err != nil {
		t.Fatal(err)
	}
	back, _ := k.functionConfig(ctx, "order-intake")
	if aws.ToString(back.CodeSha256) != aws.ToString(before.CodeSha256) {
		t.Errorf("deploy from solutions: got %s, want %s", aws.ToString(back.CodeSha256), aws.ToString(before.CodeSha256))
	}
	if err := k.Deploy(ctx, "no-such", "solutions"); err == nil {
		t.Errorf("Deploy(no-such): got nil error")
	}
	if _, err := k.Token(ctx, "fax"); err == nil {
		t.Errorf("Token(fax): got nil error")
	}
	tok, err := k.Token(ctx, "wholesale")
	if err != nil {
		t.Fatal(err)
	}
	secret := envOf(t, k, "order-authorizer")["TOKEN_SECRET"]
	if ch, err := token.Verify([]byte(secret), tok, time.Now()); err != nil || ch != "wholesale" {
		t.Errorf("token: got %q, %v, want wholesale", ch, err)
	}
	if _, err := token.Verify([]byte(secret), tok, time.Now().Add(TokenTTL+time.Second)); err == nil {
		t.Errorf("token valid after its TTL")
	}
	_ = lambda.GetFunctionConfigurationInput{}
}
