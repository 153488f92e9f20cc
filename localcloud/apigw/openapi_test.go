package apigw

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// importDef is the CLI's import-api example (with a CORS block and a
// path parameter added).
const importDef = `openapi: 3.0.1
info:
    title: My Lambda API
    version: v1.0
x-amazon-apigateway-cors:
    allowOrigins: [https://example.com]
paths:
    /hello:
        x-amazon-apigateway-any-method:
            x-amazon-apigateway-integration:
                payloadFormatVersion: 2.0
                type: aws_proxy
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations
                connectionType: INTERNET
    /items/{id}:
        get:
            x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: https://example.com/items/{id}
`

func routeKeys(t *testing.T, c *apigatewayv2.Client, id *string) []string {
	t.Helper()
	out, err := c.GetRoutes(cloudtest.Context(t), &apigatewayv2.GetRoutesInput{ApiId: id})
	require.NoError(t, err)
	var keys []string
	for _, r := range out.Items {
		keys = append(keys, aws.ToString(r.RouteKey))
	}
	sort.Strings(keys)
	return keys
}

// TestImportExportReimport: an imported definition becomes the api's
// routes, integrations and CORS; the export gives them back as OpenAPI
// 3.0 with API Gateway's extensions; a reimport replaces them.
func TestImportExportReimport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	a, err := c.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(importDef)})
	require.NoError(t, err)
	assert.Equal(t, "My Lambda API", aws.ToString(a.Name))
	assert.Equal(t, "v1.0", aws.ToString(a.Version))
	assert.Equal(t, types.ProtocolTypeHttp, a.ProtocolType)
	assert.Equal(t, []string{"https://example.com"}, a.CorsConfiguration.AllowOrigins)
	assert.Equal(t, []string{"ANY /hello", "GET /items/{id}"}, routeKeys(t, c, a.ApiId))
	integ, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId})
	require.NoError(t, err)
	pfv := map[types.IntegrationType]string{}
	for _, it := range integ.Items {
		pfv[it.IntegrationType] = aws.ToString(it.PayloadFormatVersion)
	}
	assert.Equal(t, map[types.IntegrationType]string{types.IntegrationTypeAwsProxy: "2.0", types.IntegrationTypeHttpProxy: "1.0"}, pfv)

	exp, err := c.ExportApi(ctx, &apigatewayv2.ExportApiInput{ApiId: a.ApiId, Specification: aws.String("OAS30"), OutputType: aws.String("JSON")})
	require.NoError(t, err)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title, Version string }
		Paths   map[string]map[string]struct {
			Integration *struct {
				Type, URI string
			} `json:"x-amazon-apigateway-integration"`
		}
	}
	require.NoError(t, json.Unmarshal(exp.Body, &doc))
	assert.Equal(t, "3.0.1", doc.OpenAPI)
	assert.Equal(t, "My Lambda API", doc.Info.Title)
	require.NotNil(t, doc.Paths["/items/{id}"]["get"].Integration)
	assert.Equal(t, "http_proxy", doc.Paths["/items/{id}"]["get"].Integration.Type)
	assert.Equal(t, "aws_proxy", doc.Paths["/hello"]["x-amazon-apigateway-any-method"].Integration.Type)

	// The export imports again to the same routes.
	again, err := c.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(string(exp.Body))})
	require.NoError(t, err)
	assert.Equal(t, []string{"ANY /hello", "GET /items/{id}"}, routeKeys(t, c, again.ApiId))

	re, err := c.ReimportApi(ctx, &apigatewayv2.ReimportApiInput{ApiId: a.ApiId, Body: aws.String(`{"openapi":"3.0.1","info":{"title":"v2","version":"2"},"paths":{"/orders":{"post":{}}}}`)})
	require.NoError(t, err)
	assert.Equal(t, "v2", aws.ToString(re.Name))
	assert.Nil(t, re.CorsConfiguration)
	assert.Equal(t, []string{"POST /orders"}, routeKeys(t, c, a.ApiId))

	for _, bad := range []string{"nonsense: [", `{"info":{"title":"x"},"paths":{}}`, `{"openapi":"3.0.1","info":{},"paths":{}}`,
		`{"openapi":"3.0.1","info":{"title":"x"},"paths":{"/a":{"get":{"x-amazon-apigateway-integration":{"type":"aws_proxy","uri":"not-a-function"}}}}}`} {
		_, err := c.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(bad)})
		assert.True(t, asAPIError[*types.BadRequestException](err), "%s: %v", bad, err)
	}
	_, err = c.ExportApi(ctx, &apigatewayv2.ExportApiInput{ApiId: a.ApiId, Specification: aws.String("RAML"), OutputType: aws.String("JSON")})
	assert.True(t, asAPIError[*types.BadRequestException](err), "%v", err)
}
