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
