package apigw

import (
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("orders"), rawHandler(`{"statusCode":200,"body":"from cli api"}`))

	var api struct{ ApiId, ApiEndpoint, Name, ProtocolType, RouteSelectionExpression string }
	cloudtest.CLIJSON(t, e.url, cloudtest.Account, &api, "apigatewayv2", "create-api", "--name", "x", "--protocol-type", "HTTP")
	if api.Name != "x" || api.ProtocolType != "HTTP" || api.ApiEndpoint != e.url+"/_aws/execute-api/"+api.ApiId {
		t.Fatalf("create-api: got %+v", api)
	}
	var integ struct{ IntegrationId, IntegrationType, PayloadFormatVersion string }
	cloudtest.CLIJSON(t, e.url, cloudtest.Account, &integ, "apigatewayv2", "create-integration", "--api-id", api.ApiId,
		"--integration-type", "AWS_PROXY", "--integration-uri", fnARN("orders"), "--payload-format-version", "2.0")
	if integ.IntegrationType != "AWS_PROXY" || integ.PayloadFormatVersion != "2.0" || integ.IntegrationId == "" {
		t.Fatalf("create-integration: got %+v", integ)
	}
	var rt struct{ RouteId, RouteKey, Target string }
	cloudtest.CLIJSON(t, e.url, cloudtest.Account, &rt, "apigatewayv2", "create-route", "--api-id", api.ApiId,
		"--route-key", "GET /orders/{orderId}", "--target", "integrations/"+integ.IntegrationId)
	if rt.RouteKey != "GET /orders/{orderId}" || rt.Target != "integrations/"+integ.IntegrationId {
		t.Fatalf("create-route: got %+v", rt)
	}
	var st struct {
		StageName  string
		AutoDeploy bool
	}
	cloudtest.CLIJSON(t, e.url, cloudtest.Account, &st, "apigatewayv2", "create-stage", "--api-id", api.ApiId, "--stage-name", "$default", "--auto-deploy")
	if st.StageName != "$default" || !st.AutoDeploy {
		t.Fatalf("create-stage: got %+v", st)
	}
	var apis struct {
		Items []struct{ ApiId, Name string }
	}
	cloudtest.CLIJSON(t, e.url, cloudtest.Account, &apis, "apigatewayv2", "get-apis")
	if len(apis.Items) != 1 || apis.Items[0].ApiId != api.ApiId {
		t.Fatalf("get-apis: got %+v", apis)
	}
	wantStatus(t, do(t, "GET", api.ApiEndpoint+"/orders/1", nil, nil), 200, "from cli api")

	// Errors come back with the CLI's error codes.
	_, stderr, err := cloudtest.CLIResult(t, e.url, cloudtest.Account, "apigatewayv2", "get-api", "--api-id", "nope")
	if err == nil || !strings.Contains(stderr, "NotFoundException") {
		t.Errorf("get-api nope: got err %v stderr %q, want NotFoundException", err, stderr)
	}
}
