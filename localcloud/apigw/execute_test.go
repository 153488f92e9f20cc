package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// echo answers with the route key and path parameters it was invoked for.
func echo(ev events.APIGatewayV2HTTPRequest) any {
	b, _ := json.Marshal(map[string]any{"routeKey": ev.RouteKey, "params": ev.PathParameters, "rawPath": ev.RawPath, "stage": ev.RequestContext.Stage})
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(b)}
}

type echoed struct {
	RouteKey string            `json:"routeKey"`
	Params   map[string]string `json:"params"`
	RawPath  string            `json:"rawPath"`
	Stage    string            `json:"stage"`
}

func decodeEcho(t testing.TB, r result) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("decode echo %q (status %d): %v", r.body, r.status, err)
	}
	return e
}

func TestRouteMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, _ := e.lambdaAPI("echo", "2.0", "GET /orders/{orderId}", "POST /orders", "GET /orders/special", "GET /files/{proxy+}",
		"ANY /things", "GET /things", "ANY /{proxy+}", "$default")
	base := aws.ToString(a.ApiEndpoint)
	cases := []struct {
		method, path string
		route        string
		params       map[string]string
	}{
		{"GET", "/orders/42", "GET /orders/{orderId}", map[string]string{"orderId": "42"}},
		{"GET", "/orders/special", "GET /orders/special", nil},
		{"POST", "/orders", "POST /orders", nil},
		{"GET", "/orders", "ANY /{proxy+}", map[string]string{"proxy": "orders"}},
		{"GET", "/files/a/b/c.txt", "GET /files/{proxy+}", map[string]string{"proxy": "a/b/c.txt"}},
		{"GET", "/files/a%20b", "GET /files/{proxy+}", map[string]string{"proxy": "a b"}},
		{"GET", "/things", "GET /things", nil},
		{"DELETE", "/things", "ANY /things", nil},
		{"PUT", "/x/y", "ANY /{proxy+}", map[string]string{"proxy": "x/y"}},
		{"GET", "/", "$default", nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			got := decodeEcho(t, do(t, tc.method, base+tc.path, nil, nil))
			if got.RouteKey != tc.route {
				t.Errorf("got route %q, want %q", got.RouteKey, tc.route)
			}
			if len(got.Params) != len(tc.params) {
				t.Errorf("got params %v, want %v", got.Params, tc.params)
			}
			for k, v := range tc.params {
				if got.Params[k] != v {
					t.Errorf("got param %s=%q, want %q", k, got.Params[k], v)
				}
			}
			if got.RawPath != tc.path {
				t.Errorf("got rawPath %q, want %q", got.RawPath, tc.path)
			}
		})
	}
}

func TestNoRouteIs404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, _ := e.lambdaAPI("echo", "2.0", "GET /orders")
	base := aws.ToString(a.ApiEndpoint)
	wantStatus(t, do(t, "POST", base+"/orders", nil, nil), 404, `{"message":"Not Found"}`)
	wantStatus(t, do(t, "GET", base+"/nothing", nil, nil), 404, `{"message":"Not Found"}`)
	wantStatus(t, do(t, "GET", e.url+"/_aws/execute-api/zzzzzzzzzz/orders", nil, nil), 404, `{"message":"Not Found"}`)
	wantStatus(t, do(t, "GET", base+"/orders", nil, nil), 200, "")
}

func TestEventV2(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got events.APIGatewayV2HTTPRequest
	var raw map[string]any
	e.fake.set(fnARN("f"), func(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		json.Unmarshal(in.Payload, &got)
		json.Unmarshal(in.Payload, &raw)
		return protocol.InvocationResult{Payload: []byte(`{"statusCode":200}`)}, nil
	})
	a, _ := e.lambdaAPI("f", "2.0", "POST /orders/{orderId}")
	base := aws.ToString(a.ApiEndpoint)

	req, _ := http.NewRequest("POST", base+"/orders/o-1?x=1&x=2&y=z", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "session=abc; theme=dark")
	req.Header.Set("User-Agent", "labkit-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Apigw-Requestid") == "" {
		t.Fatalf("got status %d, apigw-requestid %q", resp.StatusCode, resp.Header.Get("Apigw-Requestid"))
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", got.Version, "2.0"},
		{"routeKey", got.RouteKey, "POST /orders/{orderId}"},
		{"rawPath", got.RawPath, "/orders/o-1"},
		{"rawQueryString", got.RawQueryString, "x=1&x=2&y=z"},
		{"query x", got.QueryStringParameters["x"], "1,2"},
		{"query y", got.QueryStringParameters["y"], "z"},
		{"path param", got.PathParameters["orderId"], "o-1"},
		{"header joined", got.Headers["x-multi"], "one,two"},
		{"content-type", got.Headers["content-type"], "application/json"},
		{"content-length", got.Headers["content-length"], "7"},
		{"host", got.Headers["host"], strings.TrimPrefix(e.url, "http://")},
		{"x-forwarded-proto", got.Headers["x-forwarded-proto"], "http"},
		{"no cookie header", got.Headers["cookie"], ""},
		{"cookies", strings.Join(got.Cookies, "|"), "session=abc|theme=dark"},
		{"body", got.Body, `{"a":1}`},
		{"base64", got.IsBase64Encoded, false},
		{"accountId", got.RequestContext.AccountID, cloudtest.Account},
		{"apiId", got.RequestContext.APIID, *a.ApiId},
		{"domainName", got.RequestContext.DomainName, *a.ApiId + ".execute-api.localhost"},
		{"domainPrefix", got.RequestContext.DomainPrefix, *a.ApiId},
		{"method", got.RequestContext.HTTP.Method, "POST"},
		{"http.path", got.RequestContext.HTTP.Path, "/orders/o-1"},
		{"protocol", got.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"sourceIp", got.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"userAgent", got.RequestContext.HTTP.UserAgent, "labkit-test"},
		{"ctx routeKey", got.RequestContext.RouteKey, "POST /orders/{orderId}"},
		{"stage", got.RequestContext.Stage, "$default"},
		{"requestId", got.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid")},
		{"time", got.RequestContext.Time, "12/Mar/2026:19:03:58 +0000"},
		{"timeEpoch", got.RequestContext.TimeEpoch, e.clock.Now().UnixMilli()},
		{"no authorizer", got.RequestContext.Authorizer == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, ok := raw["stageVariables"]; ok {
		t.Errorf("stageVariables present without stage variables: %v", raw["stageVariables"])
	}
	call := e.fake.lastCall(fnARN("f"))
	if want := "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":" + *a.ApiId + "/$default/POST/orders/{orderId}"; call.SourceARN != want || call.SourcePrincipal != "apigateway.amazonaws.com" {
		t.Errorf("got source %q %q, want %q apigateway.amazonaws.com", call.SourceARN, call.SourcePrincipal, want)
	}

	// A binary body arrives base64-encoded.
	bin := []byte{0, 1, 2, 0xff}
	got = events.APIGatewayV2HTTPRequest{}
	do(t, "POST", base+"/orders/o-2", strings.NewReader(string(bin)), map[string]string{"Content-Type": "application/octet-stream"})
	if !got.IsBase64Encoded || got.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary body: got %q base64=%v", got.Body, got.IsBase64Encoded)
	}
	if got.QueryStringParameters != nil || got.Cookies != nil {
		t.Errorf("got query %v cookies %v, want none", got.QueryStringParameters, got.Cookies)
	}
}

func TestResponseMappingV2(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.lambdaAPI("f", "2.0", "GET /r")
	url := aws.ToString(a.ApiEndpoint) + "/r"
	cases := []struct {
		name    string
		payload string
		status  int
		body    string
		header  map[string]string
		cookies []string
	}{
		{"full", `{"statusCode":201,"headers":{"X-A":"1","Content-Type":"text/plain"},"body":"made"}`, 201, "made", map[string]string{"X-A": "1", "Content-Type": "text/plain"}, nil},
		{"cookies", `{"statusCode":200,"cookies":["a=1; Path=/","b=2"],"body":""}`, 200, "", nil, []string{"a=1; Path=/", "b=2"}},
		{"base64", `{"statusCode":200,"isBase64Encoded":true,"body":"aGVsbG8="}`, 200, "hello", nil, nil},
		{"json without statusCode", `{"hello":"world"}`, 200, `{"hello":"world"}`, map[string]string{"Content-Type": "application/json"}, nil},
		{"array", `[1,2]`, 200, `[1,2]`, map[string]string{"Content-Type": "application/json"}, nil},
		{"string", `"hi there"`, 200, "hi there", nil, nil},
		{"statusCode 0", `{"statusCode":0,"headers":null,"multiValueHeaders":null,"body":"","cookies":null}`, 500, `{"message":"Internal Server Error"}`, nil, nil},
		{"statusCode 1000", `{"statusCode":1000}`, 500, `{"message":"Internal Server Error"}`, nil, nil},
		{"not json", `hello`, 500, `{"message":"Internal Server Error"}`, nil, nil},
		{"bad base64", `{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}`, 500, `{"message":"Internal Server Error"}`, nil, nil},
		{"numeric header", `{"statusCode":200,"headers":{"X-N":5},"body":"x"}`, 200, "x", map[string]string{"X-N": "5"}, nil},
		{"multi value headers", `{"statusCode":204,"multiValueHeaders":{"X-M":["a","b"]}}`, 204, "", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The handler is per-API; run cases one after the other.
			e.fake.set(fnARN("f"), rawHandler(tc.payload))
			got := do(t, "GET", url, nil, nil)
			wantStatus(t, got, tc.status, tc.body)
			for k, v := range tc.header {
				if got.header.Get(k) != v {
					t.Errorf("header %s: got %q, want %q", k, got.header.Get(k), v)
				}
			}
			if tc.cookies != nil && strings.Join(got.header.Values("Set-Cookie"), "|") != strings.Join(tc.cookies, "|") {
				t.Errorf("got Set-Cookie %q, want %q", got.header.Values("Set-Cookie"), tc.cookies)
			}
			if tc.name == "multi value headers" && strings.Join(got.header.Values("X-M"), ",") != "a,b" {
				t.Errorf("got X-M %q, want a,b", got.header.Values("X-M"))
			}
		})
	}
}

func TestPayloadV1(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got events.APIGatewayProxyRequest
	var version string
	e.fake.set(fnARN("v1"), func(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		json.Unmarshal(in.Payload, &got)
		var v struct {
			Version string `json:"version"`
		}
		json.Unmarshal(in.Payload, &v)
		version = v.Version
		b, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 202, Headers: map[string]string{"X-V": "1"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, Body: "ok"})
		return protocol.InvocationResult{Payload: b}, nil
	})
	a, _ := e.lambdaAPI("v1", "1.0", "GET /items/{id}")
	req, _ := http.NewRequest("GET", aws.ToString(a.ApiEndpoint)+"/items/7?q=1&q=2", nil)
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Header.Get("X-V") != "1" || len(resp.Header.Values("Set-Cookie")) != 2 {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", version, "1.0"},
		{"resource", got.Resource, "/items/{id}"},
		{"path", got.Path, "/items/7"},
		{"httpMethod", got.HTTPMethod, "GET"},
		{"header last", got.Headers["x-multi"], "two"},
		{"multi header", strings.Join(got.MultiValueHeaders["x-multi"], ","), "one,two"},
		{"query last", got.QueryStringParameters["q"], "2"},
		{"multi query", strings.Join(got.MultiValueQueryStringParameters["q"], ","), "1,2"},
		{"path param", got.PathParameters["id"], "7"},
		{"ctx resourcePath", got.RequestContext.ResourcePath, "/items/{id}"},
		{"ctx stage", got.RequestContext.Stage, "$default"},
		{"ctx apiId", got.RequestContext.APIID, *a.ApiId},
		{"ctx sourceIp", got.RequestContext.Identity.SourceIP, "127.0.0.1"},
		{"ctx epoch", got.RequestContext.RequestTimeEpoch, e.clock.Now().UnixMilli()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// Format 1.0 makes no assumptions: a response without statusCode is a 500.
	e.fake.set(fnARN("v1"), rawHandler(`{"hello":"world"}`))
	wantStatus(t, do(t, "GET", aws.ToString(a.ApiEndpoint)+"/items/7", nil, nil), 500, `{"message":"Internal Server Error"}`)
}

func TestQuickCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("quick"), rawHandler(`{"statusCode":200,"body":"quick"}`))
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("q"), ProtocolType: types.ProtocolTypeHttp, Target: aws.String(fnARN("quick"))})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	wantStatus(t, do(t, "GET", aws.ToString(a.ApiEndpoint)+"/anything/at/all", nil, nil), 200, "quick")
	st, err := e.client.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("$default")})
	if err != nil || !aws.ToBool(st.AutoDeploy) || !aws.ToBool(st.ApiGatewayManaged) {
		t.Fatalf("GetStage: got %+v, %v", st, err)
	}
	ints, err := e.client.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId})
	if err != nil || len(ints.Items) != 1 || ints.Items[0].IntegrationType != types.IntegrationTypeAwsProxy || aws.ToString(ints.Items[0].PayloadFormatVersion) != "2.0" {
		t.Fatalf("GetIntegrations: got %+v, %v", ints, err)
	}
	routes, err := e.client.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: a.ApiId})
	if err != nil || len(routes.Items) != 1 || aws.ToString(routes.Items[0].RouteKey) != "$default" {
		t.Fatalf("GetRoutes: got %+v, %v", routes, err)
	}
	// Quick create with a route key.
	b, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("q2"), ProtocolType: types.ProtocolTypeHttp,
		Target: aws.String(fnARN("quick")), RouteKey: aws.String("GET /hello")})
	if err != nil {
		t.Fatalf("CreateApi with RouteKey: %v", err)
	}
	wantStatus(t, do(t, "GET", aws.ToString(b.ApiEndpoint)+"/hello", nil, nil), 200, "quick")
	wantStatus(t, do(t, "GET", aws.ToString(b.ApiEndpoint)+"/other", nil, nil), 404, "")
}

func TestNamedStageAndHostStyle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, _ := e.lambdaAPI("echo", "2.0", "GET /orders")
	if _, err := e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("prod"), AutoDeploy: aws.Bool(true),
		StageVariables: map[string]string{"table": "orders-prod"}}); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	got := decodeEcho(t, do(t, "GET", aws.ToString(a.ApiEndpoint)+"/prod/orders", nil, nil))
	if got.Stage != "prod" || got.RawPath != "/prod/orders" || got.RouteKey != "GET /orders" {
		t.Errorf("named stage: got %+v, want stage prod rawPath /prod/orders", got)
	}
	// Host style: {apiId}.execute-api.localhost, as curl resolves it.
	host := *a.ApiId + ".execute-api.localhost"
	got = decodeEcho(t, do(t, "GET", e.url+"/orders", nil, map[string]string{"Host": host}))
	if got.Stage != "$default" || got.RawPath != "/orders" {
		t.Errorf("host style: got %+v", got)
	}
	got = decodeEcho(t, do(t, "GET", e.url+"/prod/orders", nil, map[string]string{"Host": host + ":4566"}))
	if got.Stage != "prod" {
		t.Errorf("host style named stage: got %+v", got)
	}
}

func TestDeploymentsVersusAutoDeploy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, integID := e.lambdaAPI("echo", "2.0", "GET /v1")
	if _, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("manual")}); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	base := aws.ToString(a.ApiEndpoint)
	// No deployment yet: the manual stage serves nothing.
	wantStatus(t, do(t, "GET", base+"/manual/v1", nil, nil), 404, "")
	if _, err := c.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: a.ApiId, StageName: aws.String("manual")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	wantStatus(t, do(t, "GET", base+"/manual/v1", nil, nil), 200, "")
	if _, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /v2"), Target: aws.String("integrations/" + integID)}); err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	// The auto-deployed $default stage serves the new route at once; the
	// manual stage only after the next deployment.
	wantStatus(t, do(t, "GET", base+"/v2", nil, nil), 200, "")
	wantStatus(t, do(t, "GET", base+"/manual/v2", nil, nil), 404, "")
	d2, err := c.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: a.ApiId, StageName: aws.String("manual")})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	wantStatus(t, do(t, "GET", base+"/manual/v2", nil, nil), 200, "")
	deps, err := c.GetDeployments(ctx, &apigatewayv2.GetDeploymentsInput{ApiId: a.ApiId})
	if err != nil || len(deps.Items) < 2 {
		t.Fatalf("GetDeployments: got %+v, %v", deps, err)
	}
	st, err := c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("manual")})
	if err != nil || aws.ToString(st.DeploymentId) != aws.ToString(d2.DeploymentId) {
		t.Fatalf("GetStage: got %+v, %v", st, err)
	}
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("f"), rawHandler(`"ok"`))
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("t"), ProtocolType: types.ProtocolTypeHttp, Target: aws.String(fnARN("f")), RouteKey: aws.String("GET /slow")})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
		DefaultRouteSettings: &types.RouteSettings{ThrottlingBurstLimit: aws.Int32(1), ThrottlingRateLimit: aws.Float64(1)}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	url := aws.ToString(a.ApiEndpoint) + "/slow"
	wantStatus(t, do(t, "GET", url, nil, nil), 200, "ok")
	wantStatus(t, do(t, "GET", url, nil, nil), 429, `{"message":"Too Many Requests"}`)
	e.clock.Advance(time.Second)
	wantStatus(t, do(t, "GET", url, nil, nil), 200, "ok")
	wantStatus(t, do(t, "GET", url, nil, nil), 429, "")
	// A route setting overrides the stage default.
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
		RouteSettings: map[string]types.RouteSettings{"GET /slow": {ThrottlingBurstLimit: aws.Int32(3), ThrottlingRateLimit: aws.Float64(1)}}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	for i := 0; i < 3; i++ {
		wantStatus(t, do(t, "GET", url, nil, nil), 200, "")
	}
	wantStatus(t, do(t, "GET", url, nil, nil), 429, "")
	// Burst 0 blocks every request.
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
		RouteSettings: map[string]types.RouteSettings{"GET /slow": {ThrottlingBurstLimit: aws.Int32(0), ThrottlingRateLimit: aws.Float64(0)}}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	e.clock.Advance(time.Hour)
	wantStatus(t, do(t, "GET", url, nil, nil), 429, "")
}

func TestIntegrationFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.IntegrationTimeout = 100 * time.Millisecond })
	a, _ := e.lambdaAPI("f", "2.0", "GET /x")
	url := aws.ToString(a.ApiEndpoint) + "/x"
	cases := []struct {
		name   string
		fn     handlerFunc
		status int
		body   string
	}{
		{"function error", func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			return protocol.InvocationResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)}, nil
		}, 500, `{"message":"Internal Server Error"}`},
		{"function timed out", func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			return protocol.InvocationResult{FunctionError: "Unhandled", TimedOut: true, Payload: []byte(`{"errorMessage":"Task timed out after 3.00 seconds"}`)}, nil
		}, 500, `{"message":"Internal Server Error"}`},
		{"access denied", func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			return protocol.InvocationResult{}, protocol.StatusErrorf(403, "AccessDeniedException", "not allowed")
		}, 500, `{"message":"Internal Server Error"}`},
		{"no such function", nil, 500, `{"message":"Internal Server Error"}`},
		{"integration timeout", func(ctx context.Context, _ protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			<-ctx.Done()
			return protocol.InvocationResult{}, ctx.Err()
		}, 503, `{"message":"Service Unavailable"}`},
		{"invoker ignores the deadline", func(ctx context.Context, _ protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			time.Sleep(300 * time.Millisecond)
			return protocol.InvocationResult{Payload: []byte(`"late"`)}, nil
		}, 503, `{"message":"Service Unavailable"}`},
	}
	for _, tc := range cases {
		e.fake.set(fnARN("f"), tc.fn)
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, do(t, "GET", url, nil, nil), tc.status, tc.body)
		})
	}
}

func TestActivityEvents(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	ch, stop := bus.Subscribe(10)
	defer stop()
	e := newEnv(t, func(c *Config) { c.Bus = bus })
	e.fake.set(fnARN("f"), rawHandler(`"ok"`))
	a, _ := e.lambdaAPI("f", "2.0", "GET /x")
	do(t, "GET", aws.ToString(a.ApiEndpoint)+"/x", nil, nil)
	select {
	case ev := <-ch:
		if ev.Kind != activity.KindHTTPAPI || ev.Name != *a.ApiId || ev.Route != "GET /x" || ev.Status != 200 || ev.Account != cloudtest.Account {
			t.Errorf("got event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no activity event")
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, integID := e.lambdaAPI("echo", "2.0", "GET /orders/{id}")
	if _, err := e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("manual")}); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	if _, err := e.client.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: a.ApiId, StageName: aws.String("manual")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if err := e.svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	svc, err := New(Config{DataDir: e.dir, Functions: e.fake, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer svc.Close()
	url := cloudtest.Serve(t, svc.Route())
	client := apigatewayv2.NewFromConfig(cloudtest.Config(url, cloudtest.Account, testRegion))
	got, err := client.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: a.ApiId, IntegrationId: aws.String(integID)})
	if err != nil || aws.ToString(got.IntegrationUri) != fnARN("echo") {
		t.Fatalf("GetIntegration after reopen: got %+v, %v", got, err)
	}
	g, err := client.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId})
	if err != nil {
		t.Fatalf("GetApi after reopen: %v", err)
	}
	base := aws.ToString(g.ApiEndpoint)
	if r := decodeEcho(t, do(t, "GET", base+"/orders/9", nil, nil)); r.Params["id"] != "9" {
		t.Errorf("after reopen: got %+v", r)
	}
	if r := decodeEcho(t, do(t, "GET", base+"/manual/orders/9", nil, nil)); r.Stage != "manual" {
		t.Errorf("deployed stage after reopen: got %+v", r)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("f"), rawHandler(`"ok"`))
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("c"), ProtocolType: types.ProtocolTypeHttp, Target: aws.String(fnARN("f")),
		CorsConfiguration: &types.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"content-type"}, MaxAge: aws.Int32(300)}})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	url := aws.ToString(a.ApiEndpoint) + "/x"
	pre := do(t, "OPTIONS", url, nil, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" || pre.header.Get("Access-Control-Allow-Methods") != "GET,POST" || pre.header.Get("Access-Control-Max-Age") != "300" {
		t.Errorf("preflight: got %d %v", pre.status, pre.header)
	}
	got := do(t, "GET", url, nil, map[string]string{"Origin": "https://app.example"})
	if got.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("actual request: got %v", got.header)
	}
	if got := do(t, "GET", url, nil, map[string]string{"Origin": "https://evil.example"}); got.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disallowed origin: got %v", got.header)
	}
}

func TestHTTPProxyAndStageVariables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream", r.Method+" "+r.URL.RequestURI())
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "brewed")
	}))
	t.Cleanup(upstream.Close)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("p"), ProtocolType: types.ProtocolTypeHttp})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	integ, err := e.client.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeHttpProxy,
		IntegrationUri: aws.String(upstream.URL + "/base/{proxy}"), IntegrationMethod: aws.String("ANY")})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	if aws.ToString(integ.PayloadFormatVersion) != "1.0" {
		t.Errorf("HTTP_PROXY payload format: got %q, want 1.0", aws.ToString(integ.PayloadFormatVersion))
	}
	if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("ANY /{proxy+}"), Target: aws.String("integrations/" + *integ.IntegrationId)}); err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	if _, err := e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	got := do(t, "POST", aws.ToString(a.ApiEndpoint)+"/a/b?c=d", strings.NewReader("x"), nil)
	wantStatus(t, got, http.StatusTeapot, "brewed")
	if got.header.Get("X-Upstream") != "POST /base/a/b?c=d" {
		t.Errorf("upstream saw %q, want POST /base/a/b?c=d", got.header.Get("X-Upstream"))
	}

	// Stage variables reach the function.
	var vars map[string]string
	e.fake.set(fnARN("sv"), jsonHandler(func(ev events.APIGatewayV2HTTPRequest) any {
		vars = ev.StageVariables
		return "ok"
	}))
	b, _ := e.lambdaAPI("sv", "2.0", "GET /v")
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: b.ApiId, StageName: aws.String("$default"), StageVariables: map[string]string{"table": "orders"}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	wantStatus(t, do(t, "GET", aws.ToString(b.ApiEndpoint)+"/v", nil, nil), 200, "ok")
	if vars["table"] != "orders" {
		t.Errorf("got stage variables %v, want table=orders", vars)
	}
}

// TestRouteMatchingDocumentedExample is the example of the AWS guide's
// "Routing API requests" section.
func TestRouteMatchingDocumentedExample(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("echo"), jsonHandler(echo))
	a, _ := e.lambdaAPI("echo", "2.0", "GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default")
	base := aws.ToString(a.ApiEndpoint)
	for _, tc := range []struct{ method, path, route string }{
		{"GET", "/pets/dog/1", "GET /pets/dog/1"},
		{"GET", "/pets/dog/2", "GET /pets/dog/{id}"},
		{"GET", "/pets/cat/1", "GET /pets/{proxy+}"},
		{"POST", "/pets/dog/1", "ANY /{proxy+}"},
		{"GET", "/", "$default"},
	} {
		if got := decodeEcho(t, do(t, tc.method, base+tc.path, nil, nil)); got.RouteKey != tc.route {
			t.Errorf("%s %s: got route %q, want %q", tc.method, tc.path, got.RouteKey, tc.route)
		}
	}
}

func TestAutoDeployRecordsDeployments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, integID := e.lambdaAPI("f", "2.0", "GET /a")
	before, err := e.client.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("$default")})
	if err != nil {
		t.Fatalf("GetStage: %v", err)
	}
	if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /b"), Target: aws.String("integrations/" + integID)}); err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	after, err := e.client.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("$default")})
	if err != nil {
		t.Fatalf("GetStage: %v", err)
	}
	if aws.ToString(after.DeploymentId) == "" || aws.ToString(after.DeploymentId) == aws.ToString(before.DeploymentId) {
		t.Errorf("got deployment %q after a change, was %q: want a new one", aws.ToString(after.DeploymentId), aws.ToString(before.DeploymentId))
	}
	d, err := e.client.GetDeployment(ctx, &apigatewayv2.GetDeploymentInput{ApiId: a.ApiId, DeploymentId: after.DeploymentId})
	if err != nil || !aws.ToBool(d.AutoDeployed) {
		t.Errorf("GetDeployment: got %+v, %v; want autoDeployed", d, err)
	}
}
