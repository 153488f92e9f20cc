package apigw

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestDomainNamesAndMappings: a regional custom domain name is completed
// as AWS shows it (the CLI's create-domain-name example), maps API stages
// under unique keys, is tagged by its ARN and survives a restart.
func TestDomainNamesAndMappings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	const cert = "arn:aws:acm:us-east-1:" + cloudtest.Account + ":certificate/12345678-1234-1234-1234-123456789012"
	d, err := c.CreateDomainName(ctx, &apigatewayv2.CreateDomainNameInput{DomainName: aws.String("api.example.com"),
		DomainNameConfigurations: []types.DomainNameConfiguration{{CertificateArn: aws.String(cert)}}, Tags: map[string]string{"team": "a"}})
	require.NoError(t, err)
	assert.Equal(t, "$request.basepath", aws.ToString(d.ApiMappingSelectionExpression))
	require.Len(t, d.DomainNameConfigurations, 1)
	got := d.DomainNameConfigurations[0]
	assert.Regexp(t, `^d-[a-z0-9]{10}\.execute-api\.us-east-1\.amazonaws\.com$`, aws.ToString(got.ApiGatewayDomainName))
	assert.Equal(t, types.EndpointTypeRegional, got.EndpointType)
	assert.Equal(t, types.SecurityPolicyTls12, got.SecurityPolicy)
	assert.Equal(t, types.DomainNameStatusAvailable, got.DomainNameStatus)
	assert.Equal(t, "Z1UJRXOUMOOFQ8", aws.ToString(got.HostedZoneId))
	assert.Equal(t, cert, aws.ToString(got.CertificateArn))

	_, err = c.CreateDomainName(ctx, &apigatewayv2.CreateDomainNameInput{DomainName: aws.String("api.example.com")})
	assert.True(t, asAPIError[*types.ConflictException](err), "%v", err)

	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("orders"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	_, err = c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("prod")})
	require.NoError(t, err)
	m, err := c.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{DomainName: aws.String("api.example.com"), ApiId: a.ApiId,
		Stage: aws.String("prod"), ApiMappingKey: aws.String("orders")})
	require.NoError(t, err)
	assert.Equal(t, "orders", aws.ToString(m.ApiMappingKey))

	tests := []struct {
		name string
		in   apigatewayv2.CreateApiMappingInput
		want func(error) bool
	}{
		{"same key", apigatewayv2.CreateApiMappingInput{ApiId: a.ApiId, Stage: aws.String("prod"), ApiMappingKey: aws.String("orders")},
			asAPIError[*types.ConflictException]},
		{"missing stage", apigatewayv2.CreateApiMappingInput{ApiId: a.ApiId, Stage: aws.String("beta")}, asAPIError[*types.BadRequestException]},
		{"missing api", apigatewayv2.CreateApiMappingInput{ApiId: aws.String("nope"), Stage: aws.String("prod")}, asAPIError[*types.NotFoundException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.DomainName = aws.String("api.example.com")
			_, err := c.CreateApiMapping(ctx, &in)
			assert.True(t, tt.want(err), "got %v", err)
		})
	}
	up, err := c.UpdateApiMapping(ctx, &apigatewayv2.UpdateApiMappingInput{DomainName: aws.String("api.example.com"), ApiMappingId: m.ApiMappingId,
		ApiId: a.ApiId, ApiMappingKey: aws.String("v2/orders")})
	require.NoError(t, err)
	assert.Equal(t, "v2/orders", aws.ToString(up.ApiMappingKey))
	assert.Equal(t, "prod", aws.ToString(up.Stage))

	tags, err := c.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/domainnames/api.example.com")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "a"}, tags.Tags)

	// A restart keeps the domain and its mapping.
	require.NoError(t, e.svc.Close())
	svc, err := New(Config{DataDir: e.dir, Logger: cloudtest.Logger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	c2 := apigatewayv2.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, testRegion))
	list, err := c2.GetApiMappings(ctx, &apigatewayv2.GetApiMappingsInput{DomainName: aws.String("api.example.com")})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "v2/orders", aws.ToString(list.Items[0].ApiMappingKey))

	_, err = c2.DeleteApiMapping(ctx, &apigatewayv2.DeleteApiMappingInput{DomainName: aws.String("api.example.com"), ApiMappingId: m.ApiMappingId})
	require.NoError(t, err)
	_, err = c2.GetApiMapping(ctx, &apigatewayv2.GetApiMappingInput{DomainName: aws.String("api.example.com"), ApiMappingId: m.ApiMappingId})
	assert.True(t, asAPIError[*types.NotFoundException](err), "%v", err)
	_, err = c2.DeleteDomainName(ctx, &apigatewayv2.DeleteDomainNameInput{DomainName: aws.String("api.example.com")})
	require.NoError(t, err)
	_, err = c2.GetDomainName(ctx, &apigatewayv2.GetDomainNameInput{DomainName: aws.String("api.example.com")})
	var nf *types.NotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "The domain name resource specified in the request was not found.", nf.ErrorMessage())
}

// TestVpcLinkLifecycle: a VPC link is PENDING when created and AVAILABLE
// afterwards (the CLI's create-vpc-link and get-vpc-link examples);
// DeleteVpcLink answers 202 and the link is gone.
func TestVpcLinkLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	l, err := c.CreateVpcLink(ctx, &apigatewayv2.CreateVpcLinkInput{Name: aws.String("MyVpcLink"), SubnetIds: []string{"subnet-aaaa", "subnet-bbbb"},
		SecurityGroupIds: []string{"sg1234"}})
	require.NoError(t, err)
	assert.Equal(t, types.VpcLinkStatusPending, l.VpcLinkStatus)
	assert.Equal(t, "VPC link is provisioning ENIs", aws.ToString(l.VpcLinkStatusMessage))
	assert.Equal(t, types.VpcLinkVersionV2, l.VpcLinkVersion)
	assert.Equal(t, map[string]string{}, l.Tags)
	got, err := c.GetVpcLink(ctx, &apigatewayv2.GetVpcLinkInput{VpcLinkId: l.VpcLinkId})
	require.NoError(t, err)
	assert.Equal(t, types.VpcLinkStatusAvailable, got.VpcLinkStatus)
	assert.Equal(t, []string{"subnet-aaaa", "subnet-bbbb"}, got.SubnetIds)
	up, err := c.UpdateVpcLink(ctx, &apigatewayv2.UpdateVpcLinkInput{VpcLinkId: l.VpcLinkId, Name: aws.String("renamed")})
	require.NoError(t, err)
	assert.Equal(t, "renamed", aws.ToString(up.Name))
	_, err = c.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/vpclinks/" + *l.VpcLinkId),
		Tags: map[string]string{"k": "v"}})
	require.NoError(t, err)
	list, err := c.GetVpcLinks(ctx, &apigatewayv2.GetVpcLinksInput{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, map[string]string{"k": "v"}, list.Items[0].Tags)
	// Another account sees none of it.
	other, err := e.clientFor("111122223333").GetVpcLinks(ctx, &apigatewayv2.GetVpcLinksInput{})
	require.NoError(t, err)
	assert.Empty(t, other.Items)
	_, err = c.DeleteVpcLink(ctx, &apigatewayv2.DeleteVpcLinkInput{VpcLinkId: l.VpcLinkId})
	require.NoError(t, err)
	_, err = c.GetVpcLink(ctx, &apigatewayv2.GetVpcLinkInput{VpcLinkId: l.VpcLinkId})
	assert.True(t, asAPIError[*types.NotFoundException](err), "%v", err)
}

// TestUnknownAPINamesAccount: AWS's NotFoundException names the account
// with the api id.
func TestUnknownAPINamesAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.client.GetApi(cloudtest.Context(t), &apigatewayv2.GetApiInput{ApiId: aws.String("abc123")})
	var nf *types.NotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Invalid API identifier specified "+cloudtest.Account+":abc123", nf.ErrorMessage())
}

// TestVpcLinkIntegration: an HTTP_PROXY integration may go through a VPC
// link of the caller to a load balancer listener; the private target is out
// of the local cloud's reach, so its route answers 503 as API Gateway does
// for an unreachable target.
func TestVpcLinkIntegration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := cloudtest.Context(t)
	c := e.client
	l, err := c.CreateVpcLink(ctx, &apigatewayv2.CreateVpcLinkInput{Name: aws.String("private"), SubnetIds: []string{"subnet-a"}})
	require.NoError(t, err)
	a, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("p"), ProtocolType: types.ProtocolTypeHttp})
	require.NoError(t, err)
	const listener = "arn:aws:elasticloadbalancing:us-east-1:" + cloudtest.Account + ":listener/app/my-alb/50dc6c495c0c9188/0467ef3c8400ae65"
	in := func(connID, uri string) *apigatewayv2.CreateIntegrationInput {
		return &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeHttpProxy, IntegrationMethod: aws.String("ANY"),
			PayloadFormatVersion: aws.String("1.0"), ConnectionType: types.ConnectionTypeVpcLink, ConnectionId: aws.String(connID), IntegrationUri: aws.String(uri)}
	}
	_, err = c.CreateIntegration(ctx, in("nope", listener))
	assert.True(t, asAPIError[*types.BadRequestException](err), "unknown link: %v", err)
	_, err = c.CreateIntegration(ctx, in(*l.VpcLinkId, "https://example.com"))
	assert.True(t, asAPIError[*types.BadRequestException](err), "URL instead of a listener ARN: %v", err)
	it, err := c.CreateIntegration(ctx, in(*l.VpcLinkId, listener))
	require.NoError(t, err)
	assert.Equal(t, types.ConnectionTypeVpcLink, it.ConnectionType)
	assert.Equal(t, aws.ToString(l.VpcLinkId), aws.ToString(it.ConnectionId))
	_, err = c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String("GET /orders"), Target: aws.String("integrations/" + *it.IntegrationId)})
	require.NoError(t, err)
	_, err = c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)})
	require.NoError(t, err)
	got := do(t, http.MethodGet, e.url+"/_aws/execute-api/"+*a.ApiId+"/orders", nil, nil)
	wantStatus(t, got, http.StatusServiceUnavailable, `{"message":"Service Unavailable"}`)
}
