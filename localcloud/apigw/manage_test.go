package apigw

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestManagementLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client

	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("orders"), ProtocolType: types.ProtocolTypeHttp,
		Description: aws.String("orders api"), Tags: map[string]string{"team": "a"},
		CorsConfiguration: &types.Cors{AllowOrigins: []string{"https://example.com"}, AllowMethods: []string{"GET"}, MaxAge: aws.Int32(60)}})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	if len(*a.ApiId) != 10 || strings.ToLower(*a.ApiId) != *a.ApiId {
		t.Errorf("got api id %q, want 10 lowercase alphanumerics", *a.ApiId)
	}
	if want := e.url + "/_aws/execute-api/" + *a.ApiId; aws.ToString(a.ApiEndpoint) != want {
		t.Errorf("got ApiEndpoint %q, want %q", aws.ToString(a.ApiEndpoint), want)
	}
	if aws.ToString(a.RouteSelectionExpression) != "$request.method $request.path" || a.CreatedDate == nil {
		t.Errorf("got RouteSelectionExpression %q CreatedDate %v", aws.ToString(a.RouteSelectionExpression), a.CreatedDate)
	}
	got, err := c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId})
	if err != nil {
		t.Fatalf("GetApi: %v", err)
	}
	if aws.ToString(got.Name) != "orders" || got.Tags["team"] != "a" || got.CorsConfiguration == nil || aws.ToInt32(got.CorsConfiguration.MaxAge) != 60 {
		t.Errorf("GetApi: got %+v", got)
	}
	up, err := c.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: a.ApiId, Name: aws.String("orders2")})
	if err != nil || aws.ToString(up.Name) != "orders2" || aws.ToString(up.Description) != "orders api" {
		t.Fatalf("UpdateApi: got %+v, %v", up, err)
	}

	integ, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy,
		IntegrationUri:       aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN("orders") + "/invocations"),
		PayloadFormatVersion: aws.String("2.0"), TimeoutInMillis: aws.Int32(5000)})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	if aws.ToString(integ.IntegrationMethod) != "POST" || aws.ToInt32(integ.TimeoutInMillis) != 5000 || integ.ConnectionType != types.ConnectionTypeInternet {
		t.Errorf("CreateIntegration: got %+v", integ)
	}
	ui, err := c.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: a.ApiId, IntegrationId: integ.IntegrationId, PayloadFormatVersion: aws.String("1.0")})
	if err != nil || aws.ToString(ui.PayloadFormatVersion) != "1.0" || aws.ToInt32(ui.TimeoutInMillis) != 5000 {
		t.Fatalf("UpdateIntegration: got %+v, %v", ui, err)
	}
	gi, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId})
	if err != nil || len(gi.Items) != 1 {
		t.Fatalf("GetIntegrations: got %+v, %v", gi, err)
	}

	rt, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /orders/{orderId}"), Target: aws.String("integrations/" + *integ.IntegrationId)})
	if err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	if rt.AuthorizationType != types.AuthorizationTypeNone || len(*rt.RouteId) == 0 {
		t.Errorf("CreateRoute: got %+v", rt)
	}
	ur, err := c.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId, RouteKey: aws.String("GET /orders/{id}")})
	if err != nil || aws.ToString(ur.RouteKey) != "GET /orders/{id}" || aws.ToString(ur.Target) != "integrations/"+*integ.IntegrationId {
		t.Fatalf("UpdateRoute: got %+v, %v", ur, err)
	}
	gr, err := c.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId})
	if err != nil || aws.ToString(gr.RouteKey) != "GET /orders/{id}" {
		t.Fatalf("GetRoute: got %+v, %v", gr, err)
	}

	au, err := c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("auth"), AuthorizerType: types.AuthorizerTypeRequest,
		AuthorizerUri:                  aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN("auth") + "/invocations"),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true),
		IdentitySource: []string{"$request.header.Authorization"}, AuthorizerResultTtlInSeconds: aws.Int32(300)})
	if err != nil {
		t.Fatalf("CreateAuthorizer: %v", err)
	}
	if aws.ToInt32(au.AuthorizerResultTtlInSeconds) != 300 || !aws.ToBool(au.EnableSimpleResponses) {
		t.Errorf("CreateAuthorizer: got %+v", au)
	}
	if _, err := c.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId, AuthorizationType: types.AuthorizationTypeCustom, AuthorizerId: au.AuthorizerId}); err != nil {
		t.Fatalf("UpdateRoute to CUSTOM: %v", err)
	}
	if _, err := c.DeleteAuthorizer(ctx, &apigatewayv2.DeleteAuthorizerInput{ApiId: a.ApiId, AuthorizerId: au.AuthorizerId}); errorCode(err) != "ConflictException" {
		t.Errorf("DeleteAuthorizer in use: got %v, want ConflictException", err)
	}
	ga, err := c.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: a.ApiId})
	if err != nil || len(ga.Items) != 1 || aws.ToString(ga.Items[0].Name) != "auth" {
		t.Fatalf("GetAuthorizers: got %+v, %v", ga, err)
	}
	uau, err := c.UpdateAuthorizer(ctx, &apigatewayv2.UpdateAuthorizerInput{ApiId: a.ApiId, AuthorizerId: au.AuthorizerId, AuthorizerResultTtlInSeconds: aws.Int32(0)})
	if err != nil || aws.ToInt32(uau.AuthorizerResultTtlInSeconds) != 0 {
		t.Fatalf("UpdateAuthorizer: got %+v, %v", uau, err)
	}

	st, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("prod"),
		DefaultRouteSettings: &types.RouteSettings{ThrottlingBurstLimit: aws.Int32(10), ThrottlingRateLimit: aws.Float64(5)},
		RouteSettings:        map[string]types.RouteSettings{"GET /orders/{id}": {ThrottlingBurstLimit: aws.Int32(1)}},
		StageVariables:       map[string]string{"env": "prod"}, AccessLogSettings: &types.AccessLogSettings{DestinationArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:x"), Format: aws.String("$context.requestId")}})
	if err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	if aws.ToInt32(st.DefaultRouteSettings.ThrottlingBurstLimit) != 10 || st.StageVariables["env"] != "prod" || st.AutoDeploy == nil || *st.AutoDeploy {
		t.Errorf("CreateStage: got %+v", st)
	}
	if _, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("prod")}); !asAPIError[*types.ConflictException](err) {
		t.Errorf("duplicate CreateStage: got %v, want ConflictException", err)
	}
	us, err := c.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("prod"), Description: aws.String("production")})
	if err != nil || aws.ToString(us.Description) != "production" || us.StageVariables["env"] != "prod" {
		t.Fatalf("UpdateStage: got %+v, %v", us, err)
	}
	dep, err := c.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: a.ApiId, StageName: aws.String("prod"), Description: aws.String("v1")})
	if err != nil || dep.DeploymentStatus != types.DeploymentStatusDeployed {
		t.Fatalf("CreateDeployment: got %+v, %v", dep, err)
	}
	gs, err := c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("prod")})
	if err != nil || aws.ToString(gs.DeploymentId) != aws.ToString(dep.DeploymentId) {
		t.Fatalf("GetStage: got %+v, %v", gs, err)
	}
	gd, err := c.GetDeployments(ctx, &apigatewayv2.GetDeploymentsInput{ApiId: a.ApiId})
	if err != nil || len(gd.Items) != 1 || aws.ToString(gd.Items[0].Description) != "v1" {
		t.Fatalf("GetDeployments: got %+v, %v", gd, err)
	}
	if _, err := c.DeleteDeployment(ctx, &apigatewayv2.DeleteDeploymentInput{ApiId: a.ApiId, DeploymentId: dep.DeploymentId}); errorCode(err) != "BadRequestException" {
		t.Errorf("DeleteDeployment of an active stage: got %v, want BadRequestException", err)
	}

	// Tags on the api and the stage.
	arn := "arn:aws:apigateway:us-east-1::/apis/" + *a.ApiId
	if _, err := c.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"cost": "1"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := c.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["cost"] != "1" {
		t.Fatalf("GetTags: got %+v, %v", tags, err)
	}
	if _, err := c.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(arn + "/stages/prod"), Tags: map[string]string{"s": "1"}}); err != nil {
		t.Fatalf("TagResource stage: %v", err)
	}
	if gs, _ := c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("prod")}); gs == nil || gs.Tags["s"] != "1" {
		t.Errorf("stage tags: got %+v", gs)
	}

	// Deletes.
	if _, err := c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: a.ApiId, IntegrationId: integ.IntegrationId}); errorCode(err) != "ConflictException" {
		t.Errorf("DeleteIntegration in use: got %v, want ConflictException", err)
	}
	if _, err := c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId}); err != nil {
		t.Fatalf("DeleteRoute: %v", err)
	}
	if _, err := c.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId}); !asAPIError[*types.NotFoundException](err) {
		t.Errorf("GetRoute after delete: got %v, want NotFoundException", err)
	}
	if _, err := c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: a.ApiId, IntegrationId: integ.IntegrationId}); err != nil {
		t.Fatalf("DeleteIntegration: %v", err)
	}
	if _, err := c.DeleteAuthorizer(ctx, &apigatewayv2.DeleteAuthorizerInput{ApiId: a.ApiId, AuthorizerId: au.AuthorizerId}); err != nil {
		t.Fatalf("DeleteAuthorizer: %v", err)
	}
	if _, err := c.DeleteStage(ctx, &apigatewayv2.DeleteStageInput{ApiId: a.ApiId, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("DeleteStage: %v", err)
	}
	if _, err := c.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: a.ApiId}); err != nil {
		t.Fatalf("DeleteApi: %v", err)
	}
	if _, err := c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId}); !asAPIError[*types.NotFoundException](err) {
		t.Errorf("GetApi after delete: got %v, want NotFoundException", err)
	}
}

func TestGetApisPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("a"), ProtocolType: types.ProtocolTypeHttp})
		if err != nil {
			t.Fatalf("CreateApi: %v", err)
		}
		want[*a.ApiId] = true
	}
	seen := map[string]bool{}
	var token *string
	pages := 0
	for {
		out, err := e.client.GetApis(ctx, &apigatewayv2.GetApisInput{MaxResults: aws.String("2"), NextToken: token})
		if err != nil {
			t.Fatalf("GetApis: %v", err)
		}
		pages++
		for _, it := range out.Items {
			if seen[*it.ApiId] {
				t.Fatalf("api %s listed twice", *it.ApiId)
			}
			seen[*it.ApiId] = true
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if pages != 3 || len(seen) != len(want) {
		t.Errorf("got %d pages and %d apis, want 3 and %d", pages, len(seen), len(want))
	}
	if _, err := e.client.GetApis(ctx, &apigatewayv2.GetApisInput{MaxResults: aws.String("x")}); !asAPIError[*types.BadRequestException](err) {
		t.Errorf("GetApis maxResults=x: got %v, want BadRequestException", err)
	}
}

func TestManagementValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("v"), ProtocolType: types.ProtocolTypeHttp})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	integ, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy,
		IntegrationUri: aws.String(fnARN("f")), PayloadFormatVersion: aws.String("2.0")})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	if _, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /x")}); err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	badRequests := []struct {
		name string
		call func() error
	}{
		{"websocket", func() error {
			_, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: types.ProtocolTypeWebsocket})
			return err
		}},
		{"bad target", func() error {
			_, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: types.ProtocolTypeHttp, Target: aws.String("nope")})
			return err
		}},
		{"missing payload format", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN("f"))})
			return err
		}},
		{"payload format 3.0", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN("f")), PayloadFormatVersion: aws.String("3.0")})
			return err
		}},
		{"timeout 49", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN("f")), PayloadFormatVersion: aws.String("2.0"), TimeoutInMillis: aws.Int32(49)})
			return err
		}},
		{"timeout 30001", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN("f")), PayloadFormatVersion: aws.String("2.0"), TimeoutInMillis: aws.Int32(30001)})
			return err
		}},
		{"integration uri not a function", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String("arn:aws:sqs:us-east-1:123456789012:q"), PayloadFormatVersion: aws.String("2.0")})
			return err
		}},
		{"MOCK integration", func() error {
			_, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeMock})
			return err
		}},
		{"bad route key", func() error {
			_, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("FETCH /x")})
			return err
		}},
		{"greedy not last", func() error {
			_, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /{proxy+}/x")})
			return err
		}},
		{"bad route target", func() error {
			_, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /y"), Target: aws.String("integrations/nope")})
			return err
		}},
		{"custom without authorizer", func() error {
			_, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /z"), AuthorizationType: types.AuthorizationTypeCustom})
			return err
		}},
		{"authorizer without payload format", func() error {
			_, err := c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("x"), AuthorizerType: types.AuthorizerTypeRequest,
				AuthorizerUri: aws.String(fnARN("auth")), IdentitySource: []string{"$request.header.Authorization"}})
			return err
		}},
		{"authorizer ttl 3601", func() error {
			_, err := c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("x"), AuthorizerType: types.AuthorizerTypeRequest,
				AuthorizerUri: aws.String(fnARN("auth")), AuthorizerPayloadFormatVersion: aws.String("2.0"), IdentitySource: []string{"$request.header.Authorization"}, AuthorizerResultTtlInSeconds: aws.Int32(3601)})
			return err
		}},
		{"bad identity source", func() error {
			_, err := c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("x"), AuthorizerType: types.AuthorizerTypeRequest,
				AuthorizerUri: aws.String(fnARN("auth")), AuthorizerPayloadFormatVersion: aws.String("2.0"), IdentitySource: []string{"Authorization"}})
			return err
		}},
		{"deployment to missing stage", func() error {
			_, err := c.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: a.ApiId, StageName: aws.String("nope")})
			if asAPIError[*types.NotFoundException](err) {
				return &types.BadRequestException{}
			}
			return err
		}},
		{"bad stage name", func() error {
			_, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("a b")})
			return err
		}},
	}
	for _, tc := range badRequests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !asAPIError[*types.BadRequestException](err) {
				t.Errorf("got %v, want BadRequestException", err)
			}
		})
	}
	if _, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /x"), Target: aws.String("integrations/" + *integ.IntegrationId)}); !asAPIError[*types.ConflictException](err) {
		t.Errorf("duplicate route key: got %v, want ConflictException", err)
	}
	for name, call := range map[string]func() error{
		"GetApi": func() error {
			_, err := c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("nope")})
			return err
		},
		"GetRoute": func() error {
			_, err := c.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: a.ApiId, RouteId: aws.String("nope")})
			return err
		},
		"GetIntegration": func() error {
			_, err := c.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: a.ApiId, IntegrationId: aws.String("nope")})
			return err
		},
		"GetStage": func() error {
			_, err := c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: aws.String("nope")})
			return err
		},
		"GetAuthorizer": func() error {
			_, err := c.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: a.ApiId, AuthorizerId: aws.String("nope")})
			return err
		},
		"GetDeployment": func() error {
			_, err := c.GetDeployment(ctx, &apigatewayv2.GetDeploymentInput{ApiId: a.ApiId, DeploymentId: aws.String("nope")})
			return err
		},
		"DeleteApi": func() error {
			_, err := c.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String("nope")})
			return err
		},
		"GetRoutes": func() error {
			_, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String("nope")})
			return err
		},
	} {
		if err := call(); !asAPIError[*types.NotFoundException](err) {
			t.Errorf("%s: got %v, want NotFoundException", name, err)
		}
	}
}

func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("mine"), ProtocolType: types.ProtocolTypeHttp})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	other := e.clientFor("210987654321")
	if _, err := other.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId}); !asAPIError[*types.NotFoundException](err) {
		t.Errorf("other account GetApi: got %v, want NotFoundException", err)
	}
	if _, err := other.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: a.ApiId}); !asAPIError[*types.NotFoundException](err) {
		t.Errorf("other account DeleteApi: got %v, want NotFoundException", err)
	}
	if out, err := other.GetApis(ctx, &apigatewayv2.GetApisInput{}); err != nil || len(out.Items) != 0 {
		t.Errorf("other account GetApis: got %+v, %v; want none", out, err)
	}
	otherRegion := apigatewayv2.NewFromConfig(cloudtest.Config(e.url, cloudtest.Account, "eu-west-1"))
	if _, err := otherRegion.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId}); !asAPIError[*types.NotFoundException](err) {
		t.Errorf("other region GetApi: got %v, want NotFoundException", err)
	}
	if out, err := e.client.GetApis(ctx, &apigatewayv2.GetApisInput{}); err != nil || len(out.Items) != 1 {
		t.Errorf("own GetApis: got %+v, %v; want 1", out, err)
	}
}

func TestSetEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	e.svc.SetEndpoint("http://127.0.0.1:4566/")
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("e"), ProtocolType: types.ProtocolTypeHttp})
	if err != nil {
		t.Fatalf("CreateApi: %v", err)
	}
	if want := "http://127.0.0.1:4566/_aws/execute-api/" + *a.ApiId; aws.ToString(a.ApiEndpoint) != want {
		t.Errorf("got ApiEndpoint %q, want %q", aws.ToString(a.ApiEndpoint), want)
	}
}
