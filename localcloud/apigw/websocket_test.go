package apigw

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestWebSocketManagement: a WebSocket API is managed with AWS's
// WEBSOCKET rules (route selection values as keys, MOCK and templated
// integrations, REQUEST authorizers on $connect only, logging settings);
// its execute endpoint answers 501 since the local cloud serves no
// WebSocket connections.
func TestWebSocketManagement(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	_, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("chat"), ProtocolType: types.ProtocolTypeWebsocket})
	assert.True(t, asAPIError[*types.BadRequestException](err), "no route selection expression: %v", err)
	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("chat"), ProtocolType: types.ProtocolTypeWebsocket,
		RouteSelectionExpression: aws.String("$request.body.action")})
	require.NoError(t, err)
	assert.Equal(t, types.ProtocolTypeWebsocket, a.ProtocolType)
	assert.Equal(t, "$request.body.action", aws.ToString(a.RouteSelectionExpression))
	assert.True(t, strings.HasPrefix(aws.ToString(a.ApiEndpoint), "ws://"), aws.ToString(a.ApiEndpoint))

	mock, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"200": `{"statusCode": 200}`}, TemplateSelectionExpression: aws.String("200")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"200": `{"statusCode": 200}`}, mock.RequestTemplates)
	assert.Equal(t, "1.0", aws.ToString(mock.PayloadFormatVersion))
	lam, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy,
		IntegrationUri: aws.String(fnARN("chat"))})
	require.NoError(t, err)
	_, err = c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeHttp})
	assert.True(t, asAPIError[*types.BadRequestException](err), "HTTP without a URL: %v", err)

	au, err := c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("auth"), AuthorizerType: types.AuthorizerTypeRequest,
		AuthorizerUri:  aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN("auth") + "/invocations"),
		IdentitySource: []string{"route.request.querystring.token"}})
	require.NoError(t, err)
	_, err = c.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String("jwt"), AuthorizerType: types.AuthorizerTypeJwt,
		IdentitySource: []string{"route.request.header.Authorization"}, JwtConfiguration: &types.JWTConfiguration{Issuer: aws.String("https://issuer")}})
	assert.True(t, asAPIError[*types.BadRequestException](err), "JWT on WebSocket: %v", err)

	connect, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("$connect"),
		AuthorizationType: types.AuthorizationTypeCustom, AuthorizerId: au.AuthorizerId, Target: aws.String("integrations/" + *mock.IntegrationId)})
	require.NoError(t, err)
	assert.Equal(t, "$connect", aws.ToString(connect.RouteKey))
	_, err = c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("sendmessage"), Target: aws.String("integrations/" + *lam.IntegrationId),
		RouteResponseSelectionExpression: aws.String("$default")})
	require.NoError(t, err)
	_, err = c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("other"), AuthorizationType: types.AuthorizationTypeCustom, AuthorizerId: au.AuthorizerId})
	var bad *types.BadRequestException
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "Currently, authorization and API keys are only supported for the $connect route", bad.ErrorMessage())

	_, err = c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("production"), AutoDeploy: aws.Bool(true),
		DefaultRouteSettings: &types.RouteSettings{LoggingLevel: types.LoggingLevelInfo, DataTraceEnabled: aws.Bool(true)}})
	require.NoError(t, err)
	got := do(t, http.MethodGet, e.url+"/_aws/execute-api/"+*a.ApiId+"/production", nil, nil)
	assert.Equal(t, http.StatusNotImplemented, got.status)

	_, err = c.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: a.ApiId, CorsConfiguration: &types.Cors{AllowOrigins: []string{"*"}}})
	assert.True(t, asAPIError[*types.BadRequestException](err), "CORS on WebSocket: %v", err)
	up, err := c.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: a.ApiId, RouteSelectionExpression: aws.String("$request.body.type")})
	require.NoError(t, err)
	assert.Equal(t, "$request.body.type", aws.ToString(up.RouteSelectionExpression))
}
