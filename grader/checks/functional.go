package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/solutions/token"
)

// Functional checks drive the learner's order API the way a client would.
// They find its endpoint with apigatewayv2 GetApis by the learner's API
// name, mint channel tokens with the secret the authorizer holds in its
// environment (TOKEN_SECRET), mark every request (header X-Lab-Grader-Run,
// customer ids "grader-<RunID>-...") and delete the orders they created
// once nothing downstream still needs them. They poll until an effect shows
// or the check's deadline passes; they never sleep blindly.

// RunHeader marks the grader's HTTP requests.
const RunHeader = "X-Lab-Grader-Run"

// The places the starter leaves for the learner, named in failure reasons.
const (
	todoIntake     = "see the TODO(lab 2) in starter/order-intake/handler.go"
	todoValidate   = "see the TODO(lab 2) in starter/order-intake/order.go (parseOrder)"
	todoAuthorizer = "see the TODO(lab 2) in starter/order-authorizer/handler.go"
	todoPublisher  = "see the TODO(lab 3) in starter/order-publisher/handler.go"
	todoWorkers    = "see the TODO(lab 4) in starter/inventory-worker/handler.go and starter/accounting-worker/handler.go"
)

var apiParams = []grader.Param{
	{Name: "api", Required: true, Doc: "the order API's name, e.g. ${api}"},
	{Name: "authorizer", Required: true, Doc: "the authorizer function holding TOKEN_SECRET, e.g. ${authorizerFunction}"},
	{Name: "table", Required: true, Doc: "the orders table, e.g. ${ordersTable}"},
}

// apiCalls are the AWS calls every functional check may make.
var apiCalls = []string{"apigateway:GET", "lambda:GetFunctionConfiguration", "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:DeleteItem"}

// orderAPI is the learner's order API as a client sees it.
type orderAPI struct {
	env    *grader.Env
	base   string
	secret []byte
	table  string
	ddb    *dynamodb.Client
	orders *ledger // the run's orders, removed after the run
}

// reply is one HTTP answer.
type reply struct {
	status   int
	body     []byte
	obj      map[string]any // the body as a JSON object, when it is one
	location string         // a redirect's target, which the grader did not follow
}

// errorCode returns error.code of a JSON error body.
func (r reply) errorCode() string {
	e, _ := r.obj["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// errorField returns error.field of a JSON error body.
func (r reply) errorField() string {
	e, _ := r.obj["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func (r reply) str(key string) string { s, _ := r.obj[key].(string); return s }

// describe says what an answer was, and where to look when it is the
// starter's placeholder or the starter authorizer's blanket denial.
func (r reply) describe() string {
	s := strings.TrimSpace(fmt.Sprintf("%d %s", r.status, clip(strings.TrimSpace(string(r.body)), 160)))
	switch {
	case r.location != "":
		return s + ": the API redirected to " + clip(r.location, 120) + ", another host, which the grader does not follow (it sends test traffic only to your API)"
	case r.status == http.StatusNotImplemented:
		return s + ": order-intake is still the starter's placeholder; " + todoIntake
	case r.status == http.StatusForbidden && r.errorCode() == "":
		return s + ": API Gateway's authorizer denied a valid token; if order-authorizer is still the starter, " + todoAuthorizer
	case r.status == http.StatusUnauthorized:
		return s + ": API Gateway found no identity source; is the Authorization header the authorizer's identity source?"
	case r.bareGatewayError():
		return s + ": API Gateway's own answer, so the intake gave no response of its own: either API Gateway could not invoke the function (see lab2/api-permissions: lambda add-permission for apigateway.amazonaws.com) or the function failed (read its log: aws logs tail /aws/lambda/order-intake --since 10m)"
	}
	return s
}

// bareGatewayError reports whether the answer is API Gateway's own 500 or
// 502 {"message": "Internal Server Error"}, not a response of the function.
func (r reply) bareGatewayError() bool {
	if r.status != http.StatusInternalServerError && r.status != http.StatusBadGateway {
		return false
	}
	msg, _ := r.obj["message"].(string)
	return len(r.obj) == 1 && msg != ""
}

// blocked reports whether the answer shows the request never reached a
// working intake: the starter's 501 placeholder, or an authorizer denying
// a valid token.
func (r reply) blocked() bool {
	return r.status == http.StatusNotImplemented || (r.status == http.StatusForbidden && r.errorCode() == "")
}

// newOrderAPI finds the API's endpoint and the authorizer's token secret.
func newOrderAPI(ctx context.Context, env *grader.Env, p grader.Params) (*orderAPI, *grader.Outcome) {
	name, authz := p.String("api", ""), p.String("authorizer", "")
	a, err := findAPI(ctx, env, name)
	if err != nil {
		o := lookupOutcome("find API "+name, err)
		return nil, &o
	}
	fc, err := functionConfig(ctx, env, authz)
	if err != nil {
		o := lookupOutcome("get function "+authz, err)
		return nil, &o
	}
	var secret string
	if fc.Environment != nil {
		secret = fc.Environment.Variables["TOKEN_SECRET"]
	}
	if secret == "" {
		o := grader.Failf("function %s has no TOKEN_SECRET in its environment, so no client can get a token it accepts; deploy it with the kit's secret (lab token reads it from there)", authz)
		return nil, &o
	}
	table := p.String("table", "")
	return &orderAPI{env: env, base: strings.TrimSuffix(aws.ToString(a.ApiEndpoint), "/"), secret: []byte(secret),
		table: table, ddb: dynamodb.NewFromConfig(env.AWS), orders: ordersOf(ctx, env, table)}, nil
}

// token mints a token for channel valid for ttl (negative: already expired).
func (a *orderAPI) token(channel string, ttl time.Duration) string {
	return token.Mint(a.secret, channel, ttl, time.Now())
}

// forged mints a well-formed token under a secret that is not the API's.
func (a *orderAPI) forged(channel string) string {
	return token.Mint([]byte("not-the-secret-"+a.env.RunID), channel, 10*time.Minute, time.Now())
}

// customer returns a customer id marked as this run's test traffic.
func (a *orderAPI) customer(what string) string { return "grader-" + a.env.RunID + "-" + what }

// do sends one request. body is JSON-encoded unless it is []byte or string;
// tok "" sends no Authorization header.
func (a *orderAPI) do(ctx context.Context, method, path, tok string, body any, headers map[string]string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set(RunHeader, a.env.RunID)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.env.HTTP.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	r := reply{status: resp.StatusCode, body: b}
	if resp.StatusCode/100 == 3 {
		r.location = resp.Header.Get("Location") // Guard.Client follows redirects within the host only
	}
	json.Unmarshal(b, &r.obj)
	if r.bareGatewayError() {
		noteGatewayError(ctx)
	}
	return r, nil
}

// order is a POST /orders body.
type order struct {
	CustomerID string      `json:"customerId,omitempty"`
	Channel    string      `json:"channel,omitempty"`
	Lines      []orderLine `json:"lines"`
}

type orderLine struct {
	SKU            string `json:"sku,omitempty"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int    `json:"unitPriceCents"`
}

// validOrder returns a correct order for customer on the web channel, and
// its total in cents.
func validOrder(customer string) (order, int) {
	return order{CustomerID: customer, Channel: "web", Lines: []orderLine{
		{SKU: "SOAP-1", Quantity: 2, UnitPriceCents: 499},
		{SKU: "BRUSH-7", Quantity: 1, UnitPriceCents: 1250},
	}}, 2*499 + 1250
}

// place posts a valid order for customer and returns the answer.
func (a *orderAPI) place(ctx context.Context, customer, idemKey string) (reply, int, error) {
	o, total := validOrder(customer)
	var h map[string]string
	if idemKey != "" {
		h = map[string]string{"Idempotency-Key": idemKey}
	}
	r, err := a.do(ctx, http.MethodPost, "/orders", a.token("web", 10*time.Minute), o, h)
	return r, total, err
}

// storedFor returns the items of the orders table whose customerId is
// customer, or whose first line's sku is sku (when not empty).
func (a *orderAPI) storedFor(ctx context.Context, customer, sku string) ([]map[string]ddbtypes.AttributeValue, error) {
	filter := "#c = :c"
	names := map[string]string{"#c": "customerId"}
	vals := map[string]ddbtypes.AttributeValue{":c": &ddbtypes.AttributeValueMemberS{Value: customer}}
	if sku != "" {
		filter += " OR #l[0].#s = :s"
		names["#l"], names["#s"] = "lines", "sku"
		vals[":s"] = &ddbtypes.AttributeValueMemberS{Value: sku}
	}
	in := &dynamodb.ScanInput{TableName: &a.table, FilterExpression: &filter, ExpressionAttributeNames: names,
		ExpressionAttributeValues: vals, ConsistentRead: aws.Bool(true)}
	var out []map[string]ddbtypes.AttributeValue
	pg := dynamodb.NewScanPaginator(a.ddb, in)
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", a.table, err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// item reads one order (consistently); nil when there is none.
func (a *orderAPI) item(ctx context.Context, id string) (map[string]ddbtypes.AttributeValue, error) {
	out, err := a.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: &a.table, ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}}})
	if err != nil {
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	return out.Item, nil
}

// remove hands the orders to the run's ledger, which deletes them once
// the run is over and nothing downstream still works on them (cleanup.go).
func (a *orderAPI) remove(ids ...string) { a.orders.add(ids...) }

// removeItems hands the given items of the orders table to the ledger.
func (a *orderAPI) removeItems(items []map[string]ddbtypes.AttributeValue) {
	for _, it := range items {
		a.remove(attrS(it, "orderId"))
	}
}

func attrS(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attrN(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// poll calls f every env.PollInterval until it reports done, returns an
// error, or ctx ends (then it returns ctx's error).
func poll(ctx context.Context, env *grader.Env, f func() (bool, error)) error {
	every := env.PollInterval
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	return pollEvery(ctx, every, f)
}

// pollEvery is poll at a given pace.
func pollEvery(ctx context.Context, every time.Duration, f func() (bool, error)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		done, err := f()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// timedOut reports whether err is the check's deadline passing.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// within returns a context that ends after d or before ctx's deadline
// minus reserve, whichever is first.
func within(ctx context.Context, d, reserve time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) - reserve; left < d {
			d = max(left, time.Millisecond)
		}
	}
	return context.WithTimeout(ctx, d)
}
