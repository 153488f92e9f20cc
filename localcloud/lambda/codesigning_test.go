package lambda

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestCodeSigningConfigs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, url := testService(t, func(c *Config) { c.DataDir = dir })
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	profile := "arn:aws:signer:us-east-1:" + cloudtest.Account + ":/signing-profiles/MyProfile/abcdef1234"
	publishers := &types.AllowedPublishers{SigningProfileVersionArns: []string{profile}}

	created, err := c.CreateCodeSigningConfig(ctx, &awslambda.CreateCodeSigningConfigInput{AllowedPublishers: publishers, Description: aws.String("mine"),
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce}, Tags: map[string]string{"team": "a"}})
	require.NoError(t, err)
	csc := created.CodeSigningConfig
	arn := aws.ToString(csc.CodeSigningConfigArn)
	assert.Regexp(t, regexp.MustCompile(`^arn:aws:lambda:us-east-1:`+cloudtest.Account+`:code-signing-config:csc-[a-z0-9]{17}$`), arn)
	assert.Equal(t, arn, "arn:aws:lambda:us-east-1:"+cloudtest.Account+":code-signing-config:"+aws.ToString(csc.CodeSigningConfigId))
	assert.Equal(t, []string{profile}, csc.AllowedPublishers.SigningProfileVersionArns)
	assert.Equal(t, types.CodeSigningPolicyEnforce, csc.CodeSigningPolicies.UntrustedArtifactOnDeployment)
	assert.NotEmpty(t, aws.ToString(csc.LastModified))

	// Defaults: Warn and an empty description.
	other, err := c.CreateCodeSigningConfig(ctx, &awslambda.CreateCodeSigningConfigInput{AllowedPublishers: publishers})
	require.NoError(t, err)
	assert.Equal(t, types.CodeSigningPolicyWarn, other.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment)
	assert.Equal(t, "", aws.ToString(other.CodeSigningConfig.Description))
	otherArn := aws.ToString(other.CodeSigningConfig.CodeSigningConfigArn)

	// Update changes only what it is given.
	up, err := c.UpdateCodeSigningConfig(ctx, &awslambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: aws.String(otherArn),
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce}})
	require.NoError(t, err)
	assert.Equal(t, types.CodeSigningPolicyEnforce, up.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment)
	got, err := c.GetCodeSigningConfig(ctx, &awslambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(otherArn)})
	require.NoError(t, err)
	assert.Equal(t, types.CodeSigningPolicyEnforce, got.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment)

	missing := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":code-signing-config:csc-0123456789abcdef0"
	_, err = c.GetCodeSigningConfig(ctx, &awslambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(missing)})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.GetCodeSigningConfig(ctx, &awslambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String("csc-1")})
	wantCode(t, err, "ValidationException")

	// Paging by MaxItems and Marker.
	page, err := c.ListCodeSigningConfigs(ctx, &awslambda.ListCodeSigningConfigsInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.CodeSigningConfigs, 1)
	require.NotNil(t, page.NextMarker)
	next, err := c.ListCodeSigningConfigs(ctx, &awslambda.ListCodeSigningConfigsInput{MaxItems: aws.Int32(1), Marker: page.NextMarker})
	require.NoError(t, err)
	require.Len(t, next.CodeSigningConfigs, 1)
	assert.Nil(t, next.NextMarker)
	assert.ElementsMatch(t, []string{arn, otherArn}, []string{aws.ToString(page.CodeSigningConfigs[0].CodeSigningConfigArn), aws.ToString(next.CodeSigningConfigs[0].CodeSigningConfigArn)})

	// Functions use a config; a config in use cannot be deleted.
	zip := zipOf(t, "echo")
	createFunction(t, c, "signed", zip, nil)
	createFunction(t, c, "unsigned", zip, nil)
	put, err := c.PutFunctionCodeSigningConfig(ctx, &awslambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("signed"), CodeSigningConfigArn: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(put.CodeSigningConfigArn))
	assert.Equal(t, "signed", aws.ToString(put.FunctionName))
	_, err = c.PutFunctionCodeSigningConfig(ctx, &awslambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("unsigned"), CodeSigningConfigArn: aws.String(missing)})
	wantCode(t, err, "CodeSigningConfigNotFoundException")
	fget, err := c.GetFunctionCodeSigningConfig(ctx, &awslambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(fget.CodeSigningConfigArn))
	fns, err := c.ListFunctionsByCodeSigningConfig(ctx, &awslambda.ListFunctionsByCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, []string{"arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:signed"}, fns.FunctionArns)
	_, err = c.DeleteCodeSigningConfig(ctx, &awslambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	wantCode(t, err, "ResourceConflictException")
	_, err = c.DeleteFunctionCodeSigningConfig(ctx, &awslambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")})
	require.NoError(t, err)
	fget, err = c.GetFunctionCodeSigningConfig(ctx, &awslambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")})
	require.NoError(t, err)
	assert.Nil(t, fget.CodeSigningConfigArn)

	// Tags on a config's ARN.
	tags, err := c.ListTags(ctx, &awslambda.ListTagsInput{Resource: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "a"}, tags.Tags)
	_, err = c.TagResource(ctx, &awslambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "test"}})
	require.NoError(t, err)
	_, err = c.UntagResource(ctx, &awslambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}})
	require.NoError(t, err)
	tags, err = c.ListTags(ctx, &awslambda.ListTagsInput{Resource: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"env": "test"}, tags.Tags)

	_, err = c.DeleteCodeSigningConfig(ctx, &awslambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	require.NoError(t, err)
	_, err = c.GetCodeSigningConfig(ctx, &awslambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
}

// TestCreateFunctionCodeSigningConfig: CreateFunction's CodeSigningConfigArn
// attaches the config (GetFunctionCodeSigningConfig answers it); an ARN
// outside botocore's pattern is a ValidationException, one of no config
// CodeSigningConfigNotFoundException, and no function is created.
func TestCreateFunctionCodeSigningConfig(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	created, err := c.CreateCodeSigningConfig(ctx, &awslambda.CreateCodeSigningConfigInput{AllowedPublishers: &types.AllowedPublishers{
		SigningProfileVersionArns: []string{"arn:aws:signer:us-east-1:" + cloudtest.Account + ":/signing-profiles/MyProfile/abcdef1234"}}})
	require.NoError(t, err)
	arn := aws.ToString(created.CodeSigningConfig.CodeSigningConfigArn)

	createFunction(t, c, "signed", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) { in.CodeSigningConfigArn = aws.String(arn) })
	got, err := c.GetFunctionCodeSigningConfig(ctx, &awslambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(got.CodeSigningConfigArn))
	assert.Equal(t, "signed", aws.ToString(got.FunctionName))

	for bad, code := range map[string]string{
		"csc:arn": "ValidationException",
		"arn:aws:lambda:us-east-1:" + cloudtest.Account + ":code-signing-config:csc-0123456789abcdefg": "CodeSigningConfigNotFoundException",
	} {
		_, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("unsigned"), Runtime: types.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(testRole),
			Code: &types.FunctionCode{ZipFile: zipOf(t, "echo")}, CodeSigningConfigArn: aws.String(bad)})
		wantCode(t, err, code)
	}
	_, err = c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("unsigned")})
	wantCode(t, err, "ResourceNotFoundException")
}
