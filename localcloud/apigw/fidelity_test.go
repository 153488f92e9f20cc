package apigw

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestUpdateIntegrationRemovesEmptyMappings: on UpdateIntegration a
// request-parameter mapping given an empty value is removed (API Gateway's
// way of taking a mapping away), others are added or replaced and the
// rest kept.
func TestUpdateIntegrationRemovesEmptyMappings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("mapped"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	it, err := e.client.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeHttpProxy,
		IntegrationUri: aws.String("https://example.com/orders"), IntegrationMethod: aws.String("GET"), PayloadFormatVersion: aws.String("1.0"),
		RequestParameters: map[string]string{"append:header.header1": "$context.requestId", "remove:querystring.qs1": "''", "overwrite:path": "/v1"}})
	require.NoError(t, err)
	up, err := e.client.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId,
		RequestParameters: map[string]string{"append:header.header1": "$context.accountId", "overwrite:header.header2": "$stageVariables.environment", "remove:querystring.qs1": ""}})
	require.NoError(t, err)
	want := map[string]string{"append:header.header1": "$context.accountId", "overwrite:header.header2": "$stageVariables.environment", "overwrite:path": "/v1"}
	assert.Equal(t, want, up.RequestParameters)
	got, err := e.client.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId})
	require.NoError(t, err)
	assert.Equal(t, want, got.RequestParameters)
}

// TestApiMappingKeyIsCheckedFirst: API Gateway checks an API mapping key
// before it looks the API and stage up, and says what is wrong with it in
// its own words (a key ending in '/', starting with one or holding two in
// a row, or holding other characters than letters, digits and
// $-_.+!*'(), is refused even with a stage that does not exist).
func TestApiMappingKeyIsCheckedFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("mapped"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	_, err = e.client.CreateDomainName(ctx, &apigatewayv2.CreateDomainNameInput{DomainName: aws.String("api.example.com")})
	require.NoError(t, err)
	const slashes = "API mapping key should not start with a '/' or have consecutive '/'s."
	for key, want := range map[string]string{
		"/":      "API mapping key should not end with a '/'.",
		"v1/":    "API mapping key should not end with a '/'.",
		"/v1":    slashes,
		"v1//a":  slashes,
		"v1 a":   "An API mapping key may contain only letters, numbers and one of $-_.+!*'(), characters.",
		"v1?a=b": "An API mapping key may contain only letters, numbers and one of $-_.+!*'(), characters.",
	} {
		_, err := e.client.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: aws.String("api.example.com"),
			ApiId: a.ApiId, Stage: aws.String("absent"), ApiMappingKey: aws.String(key)})
		var bad *types.BadRequestException
		if assert.ErrorAs(t, err, &bad, key) {
			assert.Equal(t, want, bad.ErrorMessage(), key)
		}
	}
	_, err = e.client.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: aws.String("api.example.com"),
		ApiId: a.ApiId, Stage: aws.String("absent"), ApiMappingKey: aws.String("v1/orders")})
	var bad *types.BadRequestException
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "Invalid stage identifier specified", bad.ErrorMessage())
}

// TestStageMapsAreAlwaysPresent: CreateStage, GetStage and GetStages answer
// RouteSettings, StageVariables and Tags even when empty ({}), as the AWS
// CLI's create-stage and get-stages examples show.
func TestStageMapsAreAlwaysPresent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("staged"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	_, err = e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("dev")})
	require.NoError(t, err)
	got, err := e.client.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: a.ApiId})
	require.NoError(t, err)
	require.Len(t, got.Items, 1)
	st := got.Items[0]
	// The SDK leaves a map nil when the member is absent and makes it when
	// the answer has {}.
	assert.NotNil(t, st.RouteSettings)
	assert.NotNil(t, st.StageVariables)
	assert.NotNil(t, st.Tags)
	assert.Equal(t, &types.RouteSettings{DetailedMetricsEnabled: aws.Bool(false)}, st.DefaultRouteSettings)
}

// TestRequestAuthorizerNeedsPayloadFormatVersionFirst: an HTTP API's
// REQUEST authorizer without authorizerPayloadFormatVersion (required for
// HTTP API Lambda authorizers) is refused for that before its other
// members are checked.
func TestRequestAuthorizerNeedsPayloadFormatVersionFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("authz"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	_, err = e.client.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("a"),
		AuthorizerType: types.AuthorizerTypeRequest, IdentitySource: []string{""}, AuthorizerUri: aws.String("not-a-uri")})
	var bad *types.BadRequestException
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer", bad.ErrorMessage())
}

// TestImportFailOnWarnings: a response schema that refers to a schema the
// definition lacks is an import warning; with failOnWarnings the import is
// refused and the API left as it was ("rollback the API creation when a
// warning is encountered"), without it the import goes on and the answer
// lists the warning.
func TestImportFailOnWarnings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("before"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	const body = `{"openapi": "3.0.1", "info": {"title": "after", "version": "1.0"}, "paths": {"/orders": {"get": {
		"x-amazon-apigateway-integration": {"type": "HTTP_PROXY", "httpMethod": "GET", "payloadFormatVersion": "1.0", "uri": "https://example.com"},
		"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}}}}}`
	const warning = "Parse issue: attribute paths.'/orders'(get).responses.200.content.schema.#/components/schemas/Order is missing"
	_, err = e.client.ReimportApi(ctx, &apigatewayv2.ReimportApiInput{ApiId: a.ApiId, Body: aws.String(body), FailOnWarnings: aws.Bool(true)})
	var bad *types.BadRequestException
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "Warnings found during import:\n\t"+warning, bad.ErrorMessage())
	got, err := e.client.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId})
	require.NoError(t, err)
	assert.Equal(t, "before", aws.ToString(got.Name))

	out, err := e.client.ReimportApi(ctx, &apigatewayv2.ReimportApiInput{ApiId: a.ApiId, Body: aws.String(body)})
	require.NoError(t, err)
	assert.Equal(t, "after", aws.ToString(out.Name))
	assert.Equal(t, []string{warning}, out.Warnings)
	imp, err := e.client.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(body), FailOnWarnings: aws.Bool(true)})
	assert.ErrorAs(t, err, &bad, "%v", imp)
}

// TestHTTPAPIRefusesWebSocketOnlyFeatures: an HTTP API takes only proxy
// integrations and no execution logging, refused in API Gateway's words
// (the answers terraform and the AWS CLI report from AWS).
func TestHTTPAPIRefusesWebSocketOnlyFeatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("http"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	for _, typ := range []types.IntegrationType{types.IntegrationTypeAws, types.IntegrationTypeHttp, types.IntegrationTypeMock} {
		_, err := e.client.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: typ,
			IntegrationUri: aws.String("https://example.com"), IntegrationMethod: aws.String("GET")})
		var bad *types.BadRequestException
		require.ErrorAs(t, err, &bad, "integration type %s", typ)
		assert.Equal(t, "Currently, an API with a protocol type of HTTP may only be associated with proxy integrations (AWS_PROXY, HTTP_PROXY)", bad.ErrorMessage())
	}
	for _, rs := range []*types.RouteSettings{{LoggingLevel: types.LoggingLevelError}, {DataTraceEnabled: aws.Bool(true)}} {
		_, err := e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("dev"), DefaultRouteSettings: rs})
		var bad *types.BadRequestException
		require.ErrorAs(t, err, &bad)
		assert.Equal(t, "Execution logs are not supported on protocolType HTTP", bad.ErrorMessage())
	}
}

// TestApiMappingConflictsInAWSWords: a second mapping with a key the domain
// already maps is a ConflictException, and an API that a custom domain still
// maps cannot be deleted until the mapping goes (API Gateway's texts, as
// CloudFormation and cloud-nuke report them from AWS).
func TestApiMappingConflictsInAWSWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("mapped"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	_, err = e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("prod")})
	require.NoError(t, err)
	_, err = e.client.CreateDomainName(ctx, &apigatewayv2.CreateDomainNameInput{DomainName: aws.String("api.example.com")})
	require.NoError(t, err)
	m, err := e.client.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: aws.String("api.example.com"), ApiId: a.ApiId,
		Stage: aws.String("prod"), ApiMappingKey: aws.String("orders")})
	require.NoError(t, err)

	_, err = e.client.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: aws.String("api.example.com"), ApiId: a.ApiId,
		Stage: aws.String("prod"), ApiMappingKey: aws.String("orders")})
	var conflict *types.ConflictException
	require.ErrorAs(t, err, &conflict)
	assert.Equal(t, "ApiMapping key already exists for this domain name", conflict.ErrorMessage())

	_, err = e.client.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: a.ApiId})
	// DeleteApi's model lists no BadRequestException, so the SDK reports a generic API error.
	cloudtest.APIError(t, err, "BadRequestException", "Deleting API "+aws.ToString(a.ApiId)+" failed. Please remove all API mappings for the API from your custom domain names.")
	_, err = e.client.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: a.ApiId})
	require.NoError(t, err, "the refused delete keeps the API")

	_, err = e.client.DeleteApiMapping(ctx, &apigatewayv2.DeleteApiMappingInput{DomainName: aws.String("api.example.com"), ApiMappingId: m.ApiMappingId})
	require.NoError(t, err)
	_, err = e.client.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: a.ApiId})
	require.NoError(t, err)
}
