package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// FuzzManagementJSON sends arbitrary bodies to the management operations:
// every answer must be a success or a client error, never a 5xx or a panic.
func FuzzManagementJSON(f *testing.F) {
	svc, err := New(Config{DataDir: f.TempDir(), Logger: cloudtest.Logger(f)})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(func() { svc.Close() })
	ctx := protocol.WithIdentity(cloudtest.Context(f), protocol.Identity{AccountID: cloudtest.Account, Region: testRegion})
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(ctx)
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		return rec
	}
	rec := call("POST", "/v2/apis", `{"name":"fuzz","protocolType":"HTTP","target":"`+fnARN("f")+`"}`)
	if rec.Code != 201 {
		f.Fatalf("CreateApi: %d %s", rec.Code, rec.Body)
	}
	id := strings.Split(strings.Split(rec.Body.String(), `"apiId":"`)[1], `"`)[0]
	paths := []struct{ method, path string }{
		{"POST", "/v2/apis"},
		{"PATCH", "/v2/apis/" + id},
		{"POST", "/v2/apis/" + id + "/routes"},
		{"POST", "/v2/apis/" + id + "/integrations"},
		{"POST", "/v2/apis/" + id + "/stages"},
		{"PATCH", "/v2/apis/" + id + "/stages/$default"},
		{"POST", "/v2/apis/" + id + "/authorizers"},
		{"POST", "/v2/apis/" + id + "/deployments"},
		{"POST", "/v2/tags/arn:aws:apigateway:us-east-1::%2Fapis%2F" + id},
		{"GET", "/v2/apis?maxResults="},
	}
	seeds := []string{
		`{"name":"a","protocolType":"HTTP"}`,
		`{"name":"a","protocolType":"WEBSOCKET"}`,
		`{"routeKey":"GET /orders/{id}","authorizationType":"CUSTOM"}`,
		`{"routeKey":"ANY /{proxy+}","target":"integrations/x"}`,
		`{"integrationType":"AWS_PROXY","integrationUri":"arn:aws:lambda:us-east-1:123456789012:function:f","payloadFormatVersion":"2.0","timeoutInMillis":50}`,
		`{"integrationType":"HTTP_PROXY","integrationUri":"http://127.0.0.1:1/x","integrationMethod":"ANY"}`,
		`{"stageName":"prod","defaultRouteSettings":{"throttlingBurstLimit":-1,"throttlingRateLimit":1e308}}`,
		`{"routeSettings":{"$default":{"throttlingBurstLimit":1}},"stageVariables":{"a":"b"}}`,
		`{"name":"au","authorizerType":"REQUEST","authorizerUri":"arn:aws:lambda:us-east-1:123456789012:function:a","authorizerPayloadFormatVersion":"2.0","identitySource":["$request.header.Authorization"],"authorizerResultTtlInSeconds":3600}`,
		`{"stageName":"$default","description":"d"}`,
		`{"tags":{"a":"b"}}`,
		`{"corsConfiguration":{"maxAge":-2}}`,
		`{"name":5}`, `[]`, `null`, `{`, ``, `{"timeoutInMillis":"x"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		p := paths[int(which)%len(paths)]
		rec := call(p.method, p.path, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: got %d %s, want a success or a 4xx", p.method, p.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("X-Amzn-ErrorType") == "" {
			t.Fatalf("%s %s %q: error %d without X-Amzn-ErrorType", p.method, p.path, body, rec.Code)
		}
	})
}

// FuzzRouteKey parses arbitrary route keys and matches arbitrary paths
// against those that parse.
func FuzzRouteKey(f *testing.F) {
	for _, s := range []string{"$default", "GET /", "GET /orders/{orderId}", "ANY /{proxy+}", "POST /a/{b}/c/{d+}",
		"GET /{proxy+}/x", "FETCH /x", "GET orders", "GET /a//b", "GET /{a}/{a}", "GET /a{b}", "GET /{}", "GET /{+}"} {
		f.Add(s, "/orders/42")
	}
	f.Fuzz(func(t *testing.T, key, path string) {
		rk, err := parseRouteKey(key)
		if err != nil {
			return
		}
		if rk.raw != key {
			t.Fatalf("parse %q: raw %q", key, rk.raw)
		}
		if rk.isDefault {
			return
		}
		if !routeMethods[rk.method] || !strings.HasPrefix(rk.path, "/") {
			t.Fatalf("parse %q: method %q path %q", key, rk.method, rk.path)
		}
		for i, s := range rk.segs {
			if s.kind == segGreedy && i != len(rk.segs)-1 {
				t.Fatalf("parse %q: greedy segment %d of %d", key, i, len(rk.segs))
			}
		}
		params, ok := rk.match(splitPath(path))
		if ok {
			for _, s := range rk.segs {
				if s.kind != segLiteral && params[s.text] == "" {
					t.Fatalf("%q matched %q without parameter %s", key, path, s.text)
				}
			}
		}
		// A route always matches the path it declares when it has no variables.
		literal := true
		for _, s := range rk.segs {
			literal = literal && s.kind == segLiteral
		}
		if literal {
			if _, ok := rk.match(splitPath(rk.path)); !ok && !strings.Contains(rk.path, "%") {
				t.Fatalf("%q does not match its own path", key)
			}
		}
	})
}

// FuzzResponseMapping maps arbitrary function answers: never a panic, and a
// mapped response always has a valid status.
func FuzzResponseMapping(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `{"statusCode":0}`, `"s"`, `[1]`, `null`, `{"statusCode":"201","headers":{"a":1},"multiValueHeaders":{"b":[true]}}`,
		`{"statusCode":200,"isBase64Encoded":true,"body":"%"}`, `nope`, ``} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, payload string, v2 bool) {
		version := "1.0"
		if v2 {
			version = "2.0"
		}
		resp, err := mapResponse([]byte(payload), version)
		if err != nil {
			return
		}
		if resp.status < 100 || resp.status > 599 {
			t.Fatalf("%q: status %d", payload, resp.status)
		}
		w := httptest.NewRecorder()
		for k, vs := range resp.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.status)
		_ = http.StatusText(resp.status)
	})
}

// FuzzExecute sends arbitrary methods, paths, queries, cookies and bodies
// through the execute endpoint: answers are the function's 200 or the
// gateway's 404, never a 5xx or a panic, and the event always decodes.
func FuzzExecute(f *testing.F) {
	fake := newFakeInvoker()
	svc, err := New(Config{DataDir: f.TempDir(), Logger: cloudtest.Logger(f), Functions: fake})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(func() { svc.Close() })
	fake.set(fnARN("f"), func(_ context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(in.Payload, &ev); err != nil {
			return protocol.InvocationResult{FunctionError: "Unhandled"}, nil
		}
		return protocol.InvocationResult{Payload: []byte(`{"statusCode":200,"body":"ok"}`)}, nil
	})
	ctx := protocol.WithIdentity(cloudtest.Context(f), protocol.Identity{AccountID: cloudtest.Account, Region: testRegion})
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(ctx)
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		return rec
	}
	rec := call("POST", "/v2/apis", `{"name":"fuzz","protocolType":"HTTP","target":"`+fnARN("f")+`","routeKey":"ANY /orders/{id}"}`)
	if rec.Code != 201 {
		f.Fatalf("CreateApi: %d %s", rec.Code, rec.Body)
	}
	id := strings.Split(strings.Split(rec.Body.String(), `"apiId":"`)[1], `"`)[0]
	if rec := call("PATCH", "/v2/apis/"+id+"/stages/$default", `{"defaultRouteSettings":{"throttlingBurstLimit":1000000000,"throttlingRateLimit":1e9}}`); rec.Code != 200 {
		f.Fatalf("UpdateStage: %d %s", rec.Code, rec.Body)
	}
	for _, s := range [][4]string{
		{"GET", "/orders/1", "a=1&a=2", ""}, {"POST", "/orders/%2F", "", "a=b; c"}, {"PUT", "/orders/1/x", "%zz", ";;"},
		{"DELETE", "/", "", ""}, {"PATCH", "/orders/\xff", "=&=", "=;="},
	} {
		f.Add(s[0], s[1], s[2], s[3], []byte("body"))
	}
	f.Fuzz(func(t *testing.T, method, path, query, cookie string, body []byte) {
		if !validMethod(method) {
			return
		}
		u, err := url.Parse("http://local" + executePrefix + id + "/" + strings.TrimPrefix(path, "/"))
		if err != nil {
			return
		}
		u.RawQuery = query
		req := &http.Request{Method: method, URL: u, Host: "local", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Cookie": {cookie}, "Content-Type": {"application/octet-stream"}}, Body: io.NopCloser(bytes.NewReader(body)),
			RemoteAddr: "127.0.0.1:1234"}
		req = req.WithContext(ctx)
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 404 {
			t.Fatalf("%s %q ?%q: got %d %s", method, u.EscapedPath(), query, rec.Code, rec.Body)
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
