package apigw

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func authorizerURI(fn string) string {
	return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN(fn) + "/invocations"
}

// authAPI makes an API whose route GET /secure/{id} uses a REQUEST authorizer.
func (e *env) authAPI(in apigatewayv2.CreateAuthorizerInput) (base string, apiID string) {
	e.t.Helper()
	ctx := cloudtest.Context(e.t)
	a, _ := e.lambdaAPI("backend", "2.0")
	in.ApiId = a.ApiId
	if in.Name == nil {
		in.Name = aws.String("auth")
	}
	in.AuthorizerType = types.AuthorizerTypeRequest
	au, err := e.client.CreateAuthorizer(ctx, &in)
	if err != nil {
		e.t.Fatalf("CreateAuthorizer: %v", err)
	}
	ints, err := e.client.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId})
	if err != nil {
		e.t.Fatalf("GetIntegrations: %v", err)
	}
	if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /secure/{id}"),
		Target: aws.String("integrations/" + *ints.Items[0].IntegrationId), AuthorizationType: types.AuthorizationTypeCustom, AuthorizerId: au.AuthorizerId}); err != nil {
		e.t.Fatalf("CreateRoute: %v", err)
	}
	return aws.ToString(a.ApiEndpoint), *a.ApiId
}

func TestSimpleAuthorizer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var seen events.APIGatewayV2CustomAuthorizerV2Request
	e.fake.set(fnARN("auth"), jsonHandler(func(ev events.APIGatewayV2CustomAuthorizerV2Request) any {
		seen = ev
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: ev.Headers["authorization"] == "Bearer good",
			Context: map[string]any{"user": "alice", "n": 7}}
	}))
	var got events.APIGatewayV2HTTPRequest
	e.fake.set(fnARN("backend"), jsonHandler(func(ev events.APIGatewayV2HTTPRequest) any {
		got = ev
		return map[string]string{"ok": "yes"}
	}))
	base, apiID := e.authAPI(apigatewayv2.CreateAuthorizerInput{AuthorizerUri: aws.String(authorizerURI("auth")),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true),
		IdentitySource: []string{"$request.header.Authorization"}})
	url := base + "/secure/1?q=v"

	wantStatus(t, do(t, "GET", url, nil, nil), 401, `{"message":"Unauthorized"}`)
	if n := e.fake.count(fnARN("auth")); n != 0 {
		t.Errorf("authorizer invoked %d times without an identity source, want 0", n)
	}
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"Authorization": "Bearer bad"}), 403, `{"message":"Forbidden"}`)
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"Authorization": "Bearer good"}), 200, `{"ok":"yes"}`)

	if got.RequestContext.Authorizer == nil || got.RequestContext.Authorizer.Lambda["user"] != "alice" || got.RequestContext.Authorizer.Lambda["n"] != float64(7) {
		t.Errorf("authorizer context at the integration: got %+v", got.RequestContext.Authorizer)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", seen.Version, "2.0"},
		{"type", seen.Type, "REQUEST"},
		{"routeArn", seen.RouteArn, "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":" + apiID + "/$default/GET/secure/1"},
		{"identitySource", len(seen.IdentitySource) == 1 && seen.IdentitySource[0] == "Bearer good", true},
		{"routeKey", seen.RouteKey, "GET /secure/{id}"},
		{"rawPath", seen.RawPath, "/secure/1"},
		{"rawQueryString", seen.RawQueryString, "q=v"},
		{"query", seen.QueryStringParameters["q"], "v"},
		{"pathParameters", seen.PathParameters["id"], "1"},
		{"ctx apiId", seen.RequestContext.APIID, apiID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if call := e.fake.lastCall(fnARN("auth")); call.SourceARN != "arn:aws:execute-api:us-east-1:"+cloudtest.Account+":"+apiID+"/authorizers/"+authorizerIDOf(t, e, apiID) {
		t.Errorf("authorizer SourceARN: got %q", call.SourceARN)
	}
	// No cache (TTL 0): every request invokes the authorizer.
	if n := e.fake.count(fnARN("auth")); n != 2 {
		t.Errorf("authorizer invoked %d times, want 2", n)
	}
}

func authorizerIDOf(t testing.TB, e *env, apiID string) string {
	t.Helper()
	out, err := e.client.GetAuthorizers(cloudtest.Context(t), &apigatewayv2.GetAuthorizersInput{ApiId: aws.String(apiID)})
	if err != nil || len(out.Items) == 0 {
		t.Fatalf("GetAuthorizers: %v", err)
	}
	return *out.Items[0].AuthorizerId
}

func TestAuthorizerCaching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("auth"), jsonHandler(func(ev events.APIGatewayV2CustomAuthorizerV2Request) any {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: ev.IdentitySource[0] != "bad", Context: map[string]any{"who": ev.IdentitySource[0]}}
	}))
	var who any
	e.fake.set(fnARN("backend"), jsonHandler(func(ev events.APIGatewayV2HTTPRequest) any {
		who = ev.RequestContext.Authorizer.Lambda["who"]
		return "ok"
	}))
	base, apiID := e.authAPI(apigatewayv2.CreateAuthorizerInput{AuthorizerUri: aws.String(authorizerURI("auth")),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true),
		IdentitySource: []string{"$request.header.X-Token", "$request.querystring.tenant"}, AuthorizerResultTtlInSeconds: aws.Int32(60)})
	url := base + "/secure/1?tenant=t1"
	for i := 0; i < 3; i++ {
		wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "alice"}), 200, "ok")
	}
	if n := e.fake.count(fnARN("auth")); n != 1 {
		t.Errorf("after 3 requests with one identity: authorizer invoked %d times, want 1", n)
	}
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "bob"}), 200, "ok")
	if who != "bob" {
		t.Errorf("got context who=%v, want bob", who)
	}
	wantStatus(t, do(t, "GET", base+"/secure/1", nil, map[string]string{"X-Token": "bob"}), 401, "")
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "bad"}), 403, "")
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "bad"}), 403, "")
	if n := e.fake.count(fnARN("auth")); n != 3 {
		t.Errorf("authorizer invoked %d times, want 3 (alice, bob, bad)", n)
	}
	e.clock.Advance(61 * time.Second)
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "alice"}), 200, "")
	if n := e.fake.count(fnARN("auth")); n != 4 {
		t.Errorf("after the TTL: authorizer invoked %d times, want 4", n)
	}
	if _, err := e.client.ResetAuthorizersCache(ctx, &apigatewayv2.ResetAuthorizersCacheInput{ApiId: aws.String(apiID), StageName: aws.String("$default")}); err != nil {
		t.Fatalf("ResetAuthorizersCache: %v", err)
	}
	wantStatus(t, do(t, "GET", url, nil, map[string]string{"X-Token": "alice"}), 200, "")
	if n := e.fake.count(fnARN("auth")); n != 5 {
		t.Errorf("after reset: authorizer invoked %d times, want 5", n)
	}
}

func TestPolicyAuthorizer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("auth"), jsonHandler(func(ev events.APIGatewayV2CustomAuthorizerV2Request) any {
		stmts := []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{"arn:aws:execute-api:*:*:*/*/GET/secure/*"}}}
		if ev.IdentitySource[0] == "deny-2" {
			stmts = append(stmts, events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{"arn:aws:execute-api:*:*:*/*/GET/secure/2"}})
		}
		return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{PrincipalID: "user-1",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: stmts}, Context: map[string]any{"role": "admin"}}
	}))
	var raw map[string]any
	e.fake.set(fnARN("backend"), func(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		json.Unmarshal(in.Payload, &raw)
		return protocol.InvocationResult{Payload: []byte(`"ok"`)}, nil
	})
	base, _ := e.authAPI(apigatewayv2.CreateAuthorizerInput{AuthorizerUri: aws.String(authorizerURI("auth")),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), IdentitySource: []string{"$request.header.Authorization"}})
	wantStatus(t, do(t, "GET", base+"/secure/1", nil, map[string]string{"Authorization": "deny-2"}), 200, "ok")
	wantStatus(t, do(t, "GET", base+"/secure/2", nil, map[string]string{"Authorization": "deny-2"}), 403, `{"message":"Forbidden"}`)
	wantStatus(t, do(t, "GET", base+"/secure/2", nil, map[string]string{"Authorization": "x"}), 200, "ok")
	auth := raw["requestContext"].(map[string]any)["authorizer"].(map[string]any)
	if auth["lambda"].(map[string]any)["role"] != "admin" || auth["principalId"] != "user-1" {
		t.Errorf("got authorizer context %v", auth)
	}
	// A simple response where a policy is expected is an authorizer error.
	e.fake.set(fnARN("auth"), rawHandler(`{"isAuthorized":true}`))
	wantStatus(t, do(t, "GET", base+"/secure/1", nil, map[string]string{"Authorization": "y"}), 500, `{"message":"Internal Server Error"}`)
	// So is a failing authorizer.
	e.fake.set(fnARN("auth"), func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		return protocol.InvocationResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"x"}`)}, nil
	})
	wantStatus(t, do(t, "GET", base+"/secure/1", nil, map[string]string{"Authorization": "z"}), 500, "")
}

func TestAuthorizerPayloadV1(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var seen events.APIGatewayV2CustomAuthorizerV1Request
	e.fake.set(fnARN("auth"), jsonHandler(func(ev events.APIGatewayV2CustomAuthorizerV1Request) any {
		seen = ev
		return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "p", PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17", Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{ev.MethodArn}}}}}
	}))
	e.fake.set(fnARN("backend"), rawHandler(`"ok"`))
	base, _ := e.authAPI(apigatewayv2.CreateAuthorizerInput{AuthorizerUri: aws.String(authorizerURI("auth")),
		AuthorizerPayloadFormatVersion: aws.String("1.0"), IdentitySource: []string{"$request.header.Authorization"}})
	wantStatus(t, do(t, "GET", base+"/secure/5", nil, map[string]string{"Authorization": "tok"}), 200, "ok")
	if seen.Version != "1.0" || seen.Type != "REQUEST" || seen.IdentitySource != "tok" || seen.PathParameters["id"] != "5" || seen.Resource != "/secure/{id}" {
		t.Errorf("got v1 authorizer event %+v", seen)
	}
}

func TestJWTAndIAMRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.fake.set(fnARN("backend"), rawHandler(`"ok"`))
	a, integID := e.lambdaAPI("backend", "2.0")
	au, err := e.client.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("jwt"), AuthorizerType: types.AuthorizerTypeJwt,
		IdentitySource: []string{"$request.header.Authorization"}, JwtConfiguration: &types.JWTConfiguration{Issuer: aws.String("https://issuer.example"), Audience: []string{"x"}}})
	if err != nil {
		t.Fatalf("CreateAuthorizer JWT: %v", err)
	}
	if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /jwt"), Target: aws.String("integrations/" + integID),
		AuthorizationType: types.AuthorizationTypeJwt, AuthorizerId: au.AuthorizerId, AuthorizationScopes: []string{"read"}}); err != nil {
		t.Fatalf("CreateRoute JWT: %v", err)
	}
	if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /iam"), Target: aws.String("integrations/" + integID),
		AuthorizationType: types.AuthorizationTypeAwsIam}); err != nil {
		t.Fatalf("CreateRoute IAM: %v", err)
	}
	base := aws.ToString(a.ApiEndpoint)
	wantStatus(t, do(t, "GET", base+"/jwt", nil, map[string]string{"Authorization": "Bearer x.y.z"}), 401, `{"message":"Unauthorized"}`)
	wantStatus(t, do(t, "GET", base+"/iam", nil, nil), 403, `{"message":"Forbidden"}`)
	signed := "AWS4-HMAC-SHA256 Credential=" + cloudtest.Account + "/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc"
	wantStatus(t, do(t, "GET", base+"/iam", nil, map[string]string{"Authorization": signed}), 200, "ok")
}
