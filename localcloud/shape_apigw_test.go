package localcloud_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestAPIGatewayV2ResponsesMatchBotocoreShapes drives API Gateway v2's
// operations through the SDK (APIs, routes, integrations and their
// responses, authorizers, models, stages, deployments, domain names and
// mappings, VPC links, tags, import and export) and holds every answer to
// botocore's output shape for its operation.
func TestAPIGatewayV2ResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "apigatewayv2")
	cfg, rec := recording(sdkConfig(startCloud(t)))
	ctx := context.Background()
	c := apigatewayv2.NewFromConfig(cfg)

	a := do(c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("shapes"), ProtocolType: types.ProtocolTypeHttp, Description: aws.String("d"),
		CorsConfiguration: &types.Cors{AllowOrigins: []string{"https://example.com"}, MaxAge: aws.Int32(60)}, Tags: map[string]string{"k": "v"}})).ok(t)
	id := a.ApiId
	do(c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: id})).ok(t)
	do(c.GetApis(ctx, &apigatewayv2.GetApisInput{})).ok(t)
	do(c.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: id, Description: aws.String("d2")})).ok(t)
	do(c.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: id})).ok(t)

	// Integrations, routes and their responses.
	it := do(c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: id, IntegrationType: types.IntegrationTypeHttpProxy,
		IntegrationUri: aws.String("https://example.com"), IntegrationMethod: aws.String("GET"), PayloadFormatVersion: aws.String("1.0")})).ok(t)
	do(c.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: id, IntegrationId: it.IntegrationId})).ok(t)
	do(c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: id})).ok(t)
	do(c.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: id, IntegrationId: it.IntegrationId, TimeoutInMillis: aws.Int32(5000)})).ok(t)
	ir := do(c.CreateIntegrationResponse(ctx, &apigatewayv2.CreateIntegrationResponseInput{ApiId: id, IntegrationId: it.IntegrationId,
		IntegrationResponseKey: aws.String("/200/"), ContentHandlingStrategy: types.ContentHandlingStrategyConvertToText})).ok(t)
	do(c.GetIntegrationResponse(ctx, &apigatewayv2.GetIntegrationResponseInput{ApiId: id, IntegrationId: it.IntegrationId, IntegrationResponseId: ir.IntegrationResponseId})).ok(t)
	do(c.GetIntegrationResponses(ctx, &apigatewayv2.GetIntegrationResponsesInput{ApiId: id, IntegrationId: it.IntegrationId})).ok(t)
	do(c.UpdateIntegrationResponse(ctx, &apigatewayv2.UpdateIntegrationResponseInput{ApiId: id, IntegrationId: it.IntegrationId, IntegrationResponseId: ir.IntegrationResponseId,
		TemplateSelectionExpression: aws.String("$integration.response.statuscode")})).ok(t)
	do(c.DeleteIntegrationResponse(ctx, &apigatewayv2.DeleteIntegrationResponseInput{ApiId: id, IntegrationId: it.IntegrationId, IntegrationResponseId: ir.IntegrationResponseId})).ok(t)

	au := do(c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: id, Name: aws.String("jwt"), AuthorizerType: types.AuthorizerTypeJwt,
		IdentitySource:   []string{"$request.header.Authorization"},
		JwtConfiguration: &types.JWTConfiguration{Audience: []string{"app"}, Issuer: aws.String("https://issuer.example.com")}})).ok(t)
	do(c.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: id, AuthorizerId: au.AuthorizerId})).ok(t)
	do(c.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: id})).ok(t)
	do(c.UpdateAuthorizer(ctx, &apigatewayv2.UpdateAuthorizerInput{ApiId: id, AuthorizerId: au.AuthorizerId, Name: aws.String("jwt2")})).ok(t)

	rt := do(c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: id, RouteKey: aws.String("GET /orders"), Target: aws.String("integrations/" + aws.ToString(it.IntegrationId)),
		AuthorizationType: types.AuthorizationTypeJwt, AuthorizerId: au.AuthorizerId, AuthorizationScopes: []string{"read"},
		RequestParameters: map[string]types.ParameterConstraints{"route.request.querystring.id": {Required: aws.Bool(true)}}})).ok(t)
	do(c.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: id, RouteId: rt.RouteId})).ok(t)
	do(c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: id})).ok(t)
	do(c.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: id, RouteId: rt.RouteId, OperationName: aws.String("list")})).ok(t)
	do(c.DeleteRouteRequestParameter(ctx, &apigatewayv2.DeleteRouteRequestParameterInput{ApiId: id, RouteId: rt.RouteId, RequestParameterKey: aws.String("route.request.querystring.id")})).ok(t)
	rr := do(c.CreateRouteResponse(ctx, &apigatewayv2.CreateRouteResponseInput{ApiId: id, RouteId: rt.RouteId, RouteResponseKey: aws.String("$default"),
		ResponseModels: map[string]string{"application/json": "Order"}})).ok(t)
	do(c.GetRouteResponse(ctx, &apigatewayv2.GetRouteResponseInput{ApiId: id, RouteId: rt.RouteId, RouteResponseId: rr.RouteResponseId})).ok(t)
	do(c.GetRouteResponses(ctx, &apigatewayv2.GetRouteResponsesInput{ApiId: id, RouteId: rt.RouteId})).ok(t)
	do(c.UpdateRouteResponse(ctx, &apigatewayv2.UpdateRouteResponseInput{ApiId: id, RouteId: rt.RouteId, RouteResponseId: rr.RouteResponseId,
		ModelSelectionExpression: aws.String("$request.body.action")})).ok(t)
	do(c.DeleteRouteResponse(ctx, &apigatewayv2.DeleteRouteResponseInput{ApiId: id, RouteId: rt.RouteId, RouteResponseId: rr.RouteResponseId})).ok(t)

	// Models.
	md := do(c.CreateModel(ctx, &apigatewayv2.CreateModelInput{ApiId: id, Name: aws.String("Order"), ContentType: aws.String("application/json"),
		Schema: aws.String(`{"type":"object","properties":{"name":{"type":"string"}}}`)})).ok(t)
	do(c.GetModel(ctx, &apigatewayv2.GetModelInput{ApiId: id, ModelId: md.ModelId})).ok(t)
	do(c.GetModels(ctx, &apigatewayv2.GetModelsInput{ApiId: id})).ok(t)
	do(c.GetModelTemplate(ctx, &apigatewayv2.GetModelTemplateInput{ApiId: id, ModelId: md.ModelId})).ok(t)
	do(c.UpdateModel(ctx, &apigatewayv2.UpdateModelInput{ApiId: id, ModelId: md.ModelId, Description: aws.String("m")})).ok(t)
	do(c.DeleteModel(ctx, &apigatewayv2.DeleteModelInput{ApiId: id, ModelId: md.ModelId})).ok(t)

	// Stages and deployments.
	do(c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: id, StageName: aws.String("prod"), StageVariables: map[string]string{"v": "1"},
		AccessLogSettings:    &types.AccessLogSettings{DestinationArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:access"), Format: aws.String("$context.requestId")},
		DefaultRouteSettings: &types.RouteSettings{ThrottlingBurstLimit: aws.Int32(10), ThrottlingRateLimit: aws.Float64(5)},
		RouteSettings:        map[string]types.RouteSettings{"GET /orders": {ThrottlingBurstLimit: aws.Int32(1)}}})).ok(t)
	dp := do(c.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: id, StageName: aws.String("prod"), Description: aws.String("first")})).ok(t)
	do(c.GetDeployment(ctx, &apigatewayv2.GetDeploymentInput{ApiId: id, DeploymentId: dp.DeploymentId})).ok(t)
	do(c.GetDeployments(ctx, &apigatewayv2.GetDeploymentsInput{ApiId: id})).ok(t)
	do(c.UpdateDeployment(ctx, &apigatewayv2.UpdateDeploymentInput{ApiId: id, DeploymentId: dp.DeploymentId, Description: aws.String("again")})).ok(t)
	do(c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: id, StageName: aws.String("prod")})).ok(t)
	do(c.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: id})).ok(t)
	do(c.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: id, StageName: aws.String("prod"), Description: aws.String("s")})).ok(t)
	do(c.DeleteRouteSettings(ctx, &apigatewayv2.DeleteRouteSettingsInput{ApiId: id, StageName: aws.String("prod"), RouteKey: aws.String("GET /orders")})).ok(t)
	do(c.DeleteAccessLogSettings(ctx, &apigatewayv2.DeleteAccessLogSettingsInput{ApiId: id, StageName: aws.String("prod")})).ok(t)
	do(c.ResetAuthorizersCache(ctx, &apigatewayv2.ResetAuthorizersCacheInput{ApiId: id, StageName: aws.String("prod")})).ok(t)

	// Domain names and API mappings.
	const cert = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
	dn := aws.String("api.example.com")
	do(c.CreateDomainName(ctx, &apigatewayv2.CreateDomainNameInput{DomainName: dn,
		DomainNameConfigurations: []types.DomainNameConfiguration{{CertificateArn: aws.String(cert)}}, Tags: map[string]string{"team": "a"}})).ok(t)
	do(c.GetDomainName(ctx, &apigatewayv2.GetDomainNameInput{DomainName: dn})).ok(t)
	do(c.GetDomainNames(ctx, &apigatewayv2.GetDomainNamesInput{})).ok(t)
	do(c.UpdateDomainName(ctx, &apigatewayv2.UpdateDomainNameInput{DomainName: dn,
		DomainNameConfigurations: []types.DomainNameConfiguration{{CertificateArn: aws.String(cert), SecurityPolicy: types.SecurityPolicyTls12}}})).ok(t)
	mp := do(c.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: dn, ApiId: id, Stage: aws.String("prod"), ApiMappingKey: aws.String("orders")})).ok(t)
	do(c.GetApiMapping(ctx, &apigatewayv2.GetApiMappingInput{DomainName: dn, ApiMappingId: mp.ApiMappingId})).ok(t)
	do(c.GetApiMappings(ctx, &apigatewayv2.GetApiMappingsInput{DomainName: dn})).ok(t)
	do(c.UpdateApiMapping(ctx, &apigatewayv2.UpdateApiMappingInput{DomainName: dn, ApiMappingId: mp.ApiMappingId, ApiId: id, ApiMappingKey: aws.String("v2")})).ok(t)
	do(c.DeleteApiMapping(ctx, &apigatewayv2.DeleteApiMappingInput{DomainName: dn, ApiMappingId: mp.ApiMappingId})).ok(t)
	do(c.DeleteDomainName(ctx, &apigatewayv2.DeleteDomainNameInput{DomainName: dn})).ok(t)

	// VPC links.
	vl := do(c.CreateVpcLink(ctx, &apigatewayv2.CreateVpcLinkInput{Name: aws.String("private"), SubnetIds: []string{"subnet-aaaa", "subnet-bbbb"},
		SecurityGroupIds: []string{"sg-1"}, Tags: map[string]string{"k": "v"}})).ok(t)
	do(c.GetVpcLink(ctx, &apigatewayv2.GetVpcLinkInput{VpcLinkId: vl.VpcLinkId})).ok(t)
	do(c.GetVpcLinks(ctx, &apigatewayv2.GetVpcLinksInput{})).ok(t)
	do(c.UpdateVpcLink(ctx, &apigatewayv2.UpdateVpcLinkInput{VpcLinkId: vl.VpcLinkId, Name: aws.String("private2")})).ok(t)
	do(c.DeleteVpcLink(ctx, &apigatewayv2.DeleteVpcLinkInput{VpcLinkId: vl.VpcLinkId})).ok(t)

	// Tags, export and import.
	arn := aws.String("arn:aws:apigateway:us-east-1::/apis/" + aws.ToString(id))
	do(c.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"k2": "v2"}})).ok(t)
	do(c.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: arn})).ok(t)
	do(c.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"k2"}})).ok(t)
	do(c.ExportApi(ctx, &apigatewayv2.ExportApiInput{ApiId: id, Specification: aws.String("OAS30"), OutputType: aws.String("JSON")})).ok(t)
	const spec = `{"openapi": "3.0.1", "info": {"title": "imported", "version": "1.0"}, "paths": {"/orders": {"get": {
		"x-amazon-apigateway-integration": {"type": "HTTP_PROXY", "httpMethod": "GET", "payloadFormatVersion": "1.0", "uri": "https://example.com"}}}}}`
	imp := do(c.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(spec)})).ok(t)
	do(c.ReimportApi(ctx, &apigatewayv2.ReimportApiInput{ApiId: imp.ApiId, Body: aws.String(spec)})).ok(t)

	// An HTTP API's Lambda REQUEST authorizer and an HTTP integration with
	// parameter mappings.
	ha := do(c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: id, Name: aws.String("lambda"), AuthorizerType: types.AuthorizerTypeRequest,
		AuthorizerUri:                  aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"),
		AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true), AuthorizerResultTtlInSeconds: aws.Int32(300),
		IdentitySource: []string{"$request.header.Authorization"}})).ok(t)
	do(c.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: id, AuthorizerId: ha.AuthorizerId})).ok(t)
	hi := do(c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: id, IntegrationType: types.IntegrationTypeHttpProxy, Description: aws.String("backend"),
		IntegrationUri: aws.String("https://example.com/{proxy}"), IntegrationMethod: aws.String("ANY"), PayloadFormatVersion: aws.String("1.0"),
		RequestParameters:  map[string]string{"append:header.x-from": "gateway"},
		ResponseParameters: map[string]map[string]string{"200": {"overwrite:header.x-seen": "yes"}},
		TlsConfig:          &types.TlsConfigInput{ServerNameToVerify: aws.String("example.com")}})).ok(t)
	do(c.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: id, IntegrationId: hi.IntegrationId})).ok(t)
	do(c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: id, IntegrationId: hi.IntegrationId})).ok(t)
	do(c.DeleteAuthorizer(ctx, &apigatewayv2.DeleteAuthorizerInput{ApiId: id, AuthorizerId: ha.AuthorizerId})).ok(t)

	// A WebSocket API.
	ws := do(c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("chat"), ProtocolType: types.ProtocolTypeWebsocket,
		RouteSelectionExpression: aws.String("$request.body.action")})).ok(t)
	do(c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: ws.ApiId})).ok(t)
	fn := "arn:aws:lambda:us-east-1:123456789012:function:chat"
	fnURI := aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations")
	wsi := do(c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: ws.ApiId, IntegrationType: types.IntegrationTypeAws,
		IntegrationUri: fnURI, IntegrationMethod: aws.String("POST"), ContentHandlingStrategy: types.ContentHandlingStrategyConvertToText,
		PassthroughBehavior: types.PassthroughBehaviorWhenNoMatch, TemplateSelectionExpression: aws.String("\\$default"),
		RequestTemplates: map[string]string{"$default": `{"action":"$context.routeKey"}`}})).ok(t)
	wsa := do(c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: ws.ApiId, Name: aws.String("req"), AuthorizerType: types.AuthorizerTypeRequest,
		AuthorizerUri: fnURI, IdentitySource: []string{"route.request.header.Auth"}})).ok(t)
	do(c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: ws.ApiId, RouteKey: aws.String("$connect"), AuthorizationType: types.AuthorizationTypeCustom,
		AuthorizerId: wsa.AuthorizerId, Target: aws.String("integrations/" + aws.ToString(wsi.IntegrationId))})).ok(t)
	do(c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: ws.ApiId, RouteKey: aws.String("send"), RouteResponseSelectionExpression: aws.String("$default"),
		ModelSelectionExpression: aws.String("$request.body.action"), Target: aws.String("integrations/" + aws.ToString(wsi.IntegrationId))})).ok(t)
	do(c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: ws.ApiId})).ok(t)
	do(c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: ws.ApiId})).ok(t)
	do(c.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: ws.ApiId})).ok(t)
	do(c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: ws.ApiId, StageName: aws.String("live"), AutoDeploy: aws.Bool(true)})).ok(t)
	do(c.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: ws.ApiId})).ok(t)
	do(c.GetDeployments(ctx, &apigatewayv2.GetDeploymentsInput{ApiId: ws.ApiId})).ok(t)
	do(c.GetApis(ctx, &apigatewayv2.GetApisInput{})).ok(t)
	// An HTTP API made in one call, with a Lambda proxy target.
	quick := do(c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("quick"), ProtocolType: types.ProtocolTypeHttp, Target: aws.String(fn)})).ok(t)
	do(c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: quick.ApiId})).ok(t)
	do(c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: quick.ApiId})).ok(t)
	do(c.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: quick.ApiId})).ok(t)

	do(c.DeleteStage(ctx, &apigatewayv2.DeleteStageInput{ApiId: id, StageName: aws.String("prod")})).ok(t)
	do(c.DeleteDeployment(ctx, &apigatewayv2.DeleteDeploymentInput{ApiId: id, DeploymentId: dp.DeploymentId})).ok(t)
	do(c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: id, RouteId: rt.RouteId})).ok(t)
	do(c.DeleteAuthorizer(ctx, &apigatewayv2.DeleteAuthorizerInput{ApiId: id, AuthorizerId: au.AuthorizerId})).ok(t)
	do(c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: id, IntegrationId: it.IntegrationId})).ok(t)
	do(c.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: id})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "apigatewayv2"))
}
