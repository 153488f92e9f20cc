package lambda

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestLayers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, url := testService(t, func(c *Config) { c.DataDir = dir })
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	zip := zipOf(t, "echo")
	layerArn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":layer:deps"

	v1, err := c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"), Description: aws.String("first"),
		Content: &types.LayerVersionContentInput{ZipFile: zip}, CompatibleRuntimes: []types.Runtime{types.RuntimeProvidedal2023}})
	require.NoError(t, err)
	assert.EqualValues(t, 1, v1.Version)
	assert.Equal(t, layerArn, aws.ToString(v1.LayerArn))
	assert.Equal(t, layerArn+":1", aws.ToString(v1.LayerVersionArn))
	assert.EqualValues(t, len(zip), v1.Content.CodeSize)
	v2, err := c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"), Content: &types.LayerVersionContentInput{ZipFile: zip},
		CompatibleArchitectures: []types.Architecture{types.ArchitectureArm64}})
	require.NoError(t, err)
	assert.EqualValues(t, 2, v2.Version)
	_, err = c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"), Content: &types.LayerVersionContentInput{ZipFile: []byte("not a zip")}})
	assert.Equal(t, "InvalidParameterValueException", apiCode(err))

	// The content URL serves the zip, unsigned, as a presigned URL would.
	loc := aws.ToString(v1.Content.Location)
	resp, err := http.Get(url + loc[strings.Index(loc, "/2015-03-31/"):])
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, zip, got)

	g, err := c.GetLayerVersion(ctx, &awslambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	require.NoError(t, err)
	assert.Equal(t, "first", aws.ToString(g.Description))
	byArn, err := c.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerArn + ":2")})
	require.NoError(t, err)
	assert.EqualValues(t, 2, byArn.Version)
	_, err = c.GetLayerVersion(ctx, &awslambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(9)})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")

	layers, err := c.ListLayers(ctx, &awslambda.ListLayersInput{})
	require.NoError(t, err)
	require.Len(t, layers.Layers, 1)
	assert.EqualValues(t, 2, layers.Layers[0].LatestMatchingVersion.Version)
	matching, err := c.ListLayers(ctx, &awslambda.ListLayersInput{CompatibleRuntime: types.RuntimeProvidedal2023})
	require.NoError(t, err)
	require.Len(t, matching.Layers, 1)
	assert.EqualValues(t, 1, matching.Layers[0].LatestMatchingVersion.Version, "only version 1 names provided.al2023")
	versions, err := c.ListLayerVersions(ctx, &awslambda.ListLayerVersionsInput{LayerName: aws.String("deps")})
	require.NoError(t, err)
	require.Len(t, versions.LayerVersions, 2)
	assert.EqualValues(t, 2, versions.LayerVersions[0].Version, "newest first")

	// Functions reference existing versions only.
	_, err = c.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: zip}, Layers: []string{layerArn + ":7"}})
	cloudtest.APIError(t, err, "InvalidParameterValueException", "Layer version "+layerArn+":7 does not exist.")
	fn := createFunction(t, c, "fn", zip, func(in *awslambda.CreateFunctionInput) { in.Layers = []string{layerArn + ":1"} })
	require.Len(t, fn.Layers, 1)
	assert.Equal(t, layerArn+":1", aws.ToString(fn.Layers[0].Arn))
	assert.EqualValues(t, len(zip), fn.Layers[0].CodeSize)
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Layers: []string{}})
	require.NoError(t, err)
	cfg, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Empty(t, cfg.Layers)

	// Another account needs the layer's permission.
	other := client(url, "210987654321")
	_, err = other.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::210987654321:role/r"), Code: &types.FunctionCode{ZipFile: zip}, Layers: []string{layerArn + ":1"}})
	assert.Equal(t, "AccessDeniedException", apiCode(err))
	perm, err := c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("share"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("210987654321")})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(perm.Statement), "arn:aws:iam::210987654321:root")
	_, err = c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("share"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
	cloudtest.APIError(t, err, "ResourceConflictException", "The statement id (share) provided already exists. Please provide a new statement id, or remove the existing statement.")
	_, err = other.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::210987654321:role/r"), Code: &types.FunctionCode{ZipFile: zip}, Layers: []string{layerArn + ":1"}})
	require.NoError(t, err)
	pol, err := c.GetLayerVersionPolicy(ctx, &awslambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(pol.Policy), `"Sid":"share"`)
	_, err = c.RemoveLayerVersionPermission(ctx, &awslambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("share")})
	require.NoError(t, err)
	_, err = c.GetLayerVersionPolicy(ctx, &awslambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "No policy is associated with the given resource.")

	// Deleting every version and restarting does not reuse numbers.
	for _, n := range []int64{1, 2, 2} {
		_, err = c.DeleteLayerVersion(ctx, &awslambda.DeleteLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(n)})
		require.NoError(t, err, "deleting a missing version succeeds, as on AWS")
	}
	svc.Close()
	_, url = testService(t, func(c *Config) { c.DataDir = dir })
	c = client(url, cloudtest.Account)
	v3, err := c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"), Content: &types.LayerVersionContentInput{ZipFile: zip}})
	require.NoError(t, err)
	assert.EqualValues(t, 3, v3.Version)
}
