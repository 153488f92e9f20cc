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

func TestModelsAndTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("m"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	schema := `{"type":"object","properties":{"name":{"type":"string"},"count":{"type":"integer"}}}`
	m, err := c.CreateModel(ctx, &apigatewayv2.CreateModelInput{ApiId: a.ApiId, Name: aws.String("Order"), Schema: aws.String(schema),
		ContentType: aws.String("application/json"), Description: aws.String("an order")})
	require.NoError(t, err)
	assert.Equal(t, "Order", aws.ToString(m.Name))
	assert.Equal(t, schema, aws.ToString(m.Schema))

	_, err = c.CreateModel(ctx, &apigatewayv2.CreateModelInput{ApiId: a.ApiId, Name: aws.String("Order"), Schema: aws.String("{}")})
	assert.True(t, asAPIError[*types.ConflictException](err), "same name: %v", err)
	_, err = c.CreateModel(ctx, &apigatewayv2.CreateModelInput{ApiId: a.ApiId, Name: aws.String("Bad"), Schema: aws.String("{not json")})
	assert.True(t, asAPIError[*types.BadRequestException](err), "bad schema: %v", err)

	tpl, err := c.GetModelTemplate(ctx, &apigatewayv2.GetModelTemplateInput{ApiId: a.ApiId, ModelId: m.ModelId})
	require.NoError(t, err)
	assert.Equal(t, "#set($inputRoot = $input.path('$'))\n{\n  \"count\" : $inputRoot.count,\n  \"name\" : \"$inputRoot.name\"\n}\n", aws.ToString(tpl.Value))

	up, err := c.UpdateModel(ctx, &apigatewayv2.UpdateModelInput{ApiId: a.ApiId, ModelId: m.ModelId, Description: aws.String("changed")})
	require.NoError(t, err)
	assert.Equal(t, "changed", aws.ToString(up.Description))
	assert.Equal(t, "Order", aws.ToString(up.Name))
	list, err := c.GetModels(ctx, &apigatewayv2.GetModelsInput{ApiId: a.ApiId})
	require.NoError(t, err)
	assert.Len(t, list.Items, 1)
	_, err = c.DeleteModel(ctx, &apigatewayv2.DeleteModelInput{ApiId: a.ApiId, ModelId: m.ModelId})
	require.NoError(t, err)
	_, err = c.GetModel(ctx, &apigatewayv2.GetModelInput{ApiId: a.ApiId, ModelId: m.ModelId})
	var nf *types.NotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Invalid Model identifier specified "+aws.ToString(m.ModelId), nf.ErrorMessage())
}

// TestRouteAndIntegrationResponses: route responses and integration
// responses live under their route and integration, keys are unique,
// and they go with their parent.
func TestRouteAndIntegrationResponses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("r"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	rt, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /orders"),
		RequestParameters: map[string]types.ParameterConstraints{"route.request.querystring.id": {Required: aws.Bool(true)},
			"route.request.header.x": {Required: aws.Bool(false)}}})
	require.NoError(t, err)
	rr, err := c.CreateRouteResponse(ctx, &apigatewayv2.CreateRouteResponseInput{ApiId: a.ApiId, RouteId: rt.RouteId,
		RouteResponseKey: aws.String("$default"), ResponseModels: map[string]string{"application/json": "Order"}})
	require.NoError(t, err)
	assert.Equal(t, "$default", aws.ToString(rr.RouteResponseKey))
	_, err = c.CreateRouteResponse(ctx, &apigatewayv2.CreateRouteResponseInput{ApiId: a.ApiId, RouteId: rt.RouteId, RouteResponseKey: aws.String("$default")})
	assert.True(t, asAPIError[*types.ConflictException](err), "%v", err)
	_, err = c.CreateRouteResponse(ctx, &apigatewayv2.CreateRouteResponseInput{ApiId: a.ApiId, RouteId: aws.String("nope"), RouteResponseKey: aws.String("$default")})
	assert.True(t, asAPIError[*types.NotFoundException](err), "%v", err)
	urr, err := c.UpdateRouteResponse(ctx, &apigatewayv2.UpdateRouteResponseInput{ApiId: a.ApiId, RouteId: rt.RouteId, RouteResponseId: rr.RouteResponseId,
		ModelSelectionExpression: aws.String("$request.body.action")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"application/json": "Order"}, urr.ResponseModels)
	rrs, err := c.GetRouteResponses(ctx, &apigatewayv2.GetRouteResponsesInput{ApiId: a.ApiId, RouteId: rt.RouteId})
	require.NoError(t, err)
	require.Len(t, rrs.Items, 1)
	assert.Equal(t, "$request.body.action", aws.ToString(rrs.Items[0].ModelSelectionExpression))

	_, err = c.DeleteRouteRequestParameter(ctx, &apigatewayv2.DeleteRouteRequestParameterInput{ApiId: a.ApiId, RouteId: rt.RouteId,
		RequestParameterKey: aws.String("route.request.querystring.id")})
	require.NoError(t, err)
	got, err := c.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.ParameterConstraints{"route.request.header.x": {Required: aws.Bool(false)}}, got.RequestParameters)

	it, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeHttpProxy,
		IntegrationUri: aws.String("https://example.com"), IntegrationMethod: aws.String("GET"), PayloadFormatVersion: aws.String("1.0")})
	require.NoError(t, err)
	ir, err := c.CreateIntegrationResponse(ctx, &apigatewayv2.CreateIntegrationResponseInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId,
		IntegrationResponseKey: aws.String("/200/"), ContentHandlingStrategy: types.ContentHandlingStrategyConvertToText})
	require.NoError(t, err)
	assert.Equal(t, types.ContentHandlingStrategyConvertToText, ir.ContentHandlingStrategy)
	uir, err := c.UpdateIntegrationResponse(ctx, &apigatewayv2.UpdateIntegrationResponseInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId,
		IntegrationResponseId: ir.IntegrationResponseId, TemplateSelectionExpression: aws.String("$integration.response.statuscode")})
	require.NoError(t, err)
	assert.Equal(t, "/200/", aws.ToString(uir.IntegrationResponseKey))
	_, err = c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId})
	require.NoError(t, err)
	_, err = c.GetIntegrationResponses(ctx, &apigatewayv2.GetIntegrationResponsesInput{ApiId: a.ApiId, IntegrationId: it.IntegrationId})
	assert.True(t, asAPIError[*types.NotFoundException](err), "%v", err)
	_, err = c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: a.ApiId, RouteId: rt.RouteId})
	require.NoError(t, err)
	_, err = c.GetRouteResponse(ctx, &apigatewayv2.GetRouteResponseInput{ApiId: a.ApiId, RouteId: rt.RouteId, RouteResponseId: rr.RouteResponseId})
	assert.True(t, asAPIError[*types.NotFoundException](err), "%v", err)
}
