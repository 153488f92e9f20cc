package apigw

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
)

func TestPolicyEvaluation(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:execute-api:us-east-1:123456789012:abc/prod/DELETE/orders/1"
	cases := []struct {
		name   string
		policy string
		want   bool
	}{
		{"allow all", `{"policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`, true},
		{"single statement object", `{"policyDocument":{"Statement":{"Action":["execute-api:*"],"Effect":"Allow","Resource":["arn:aws:execute-api:*"]}}}`, true},
		{"deny wins", `{"policyDocument":{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"},{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"*/DELETE/*"}]}}`, false},
		{"other action", `{"policyDocument":{"Statement":[{"Action":"dynamodb:GetItem","Effect":"Allow","Resource":"*"}]}}`, false},
		{"no statements", `{"policyDocument":{"Statement":[]}}`, false},
		{"other method", `{"policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:*:*:abc/*/GET/*"}]}}`, false},
	}
	for _, tc := range cases {
		res, err := parseAuthResponse([]byte(tc.policy), false)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := res.allows(arn); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{`"yes"`, `{"principalId":"x"}`, `{"isAuthorized":true}`, `nope`} {
		if _, err := parseAuthResponse([]byte(bad), false); err == nil {
			t.Errorf("parseAuthResponse(%s) without simple responses: got no error", bad)
		}
	}
	if res, err := parseAuthResponse([]byte(`{"isAuthorized":false}`), true); err != nil || res.allows(arn) {
		t.Errorf("simple denial: got %+v, %v", res, err)
	}
}

func TestIdentitySourcesFromStageAndContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.clientContext()
	var seen []string
	e.fake.set(fnARN("auth"), jsonHandler(func(ev events.APIGatewayV2CustomAuthorizerV2Request) any {
		seen = ev.IdentitySource
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true}
	}))
	e.fake.set(fnARN("backend"), rawHandler(`"ok"`))
	base, apiID := e.authAPI(apigatewayv2.CreateAuthorizerInput{AuthorizerUri: aws.String(authorizerURI("auth")),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true),
		IdentitySource: []string{"$stageVariables.tenant", "$context.httpMethod", "$request.querystring.key"}})
	// No stage variable yet: 401 without calling the authorizer.
	wantStatus(t, do(t, "GET", base+"/secure/1?key=k", nil, nil), 401, "")
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: aws.String(apiID), StageName: aws.String("$default"), StageVariables: map[string]string{"tenant": "acme"}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	wantStatus(t, do(t, "GET", base+"/secure/1", nil, nil), 401, "")
	wantStatus(t, do(t, "GET", base+"/secure/1?key=k&key=j", nil, nil), 200, "ok")
	if len(seen) != 3 || seen[0] != "acme" || seen[1] != "GET" || seen[2] != "k,j" {
		t.Errorf("got identity sources %q, want [acme GET k,j]", seen)
	}
}
