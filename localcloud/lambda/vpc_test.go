package lambda

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// VpcConfig and KMSKeyArn are answered as given (VpcConfigResponse: the
// subnets, the security groups and VpcId, "" here: no EC2 knows the
// subnets' VPC), no longer dropped.
func TestVpcConfigAndKMSKeyAreKept(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	created := createFunction(t, c, "in-vpc", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) {
		in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-1", "subnet-2"}, SecurityGroupIds: []string{"sg-1"}}
		in.KMSKeyArn = aws.String(key)
	})
	want := types.VpcConfigResponse{SubnetIds: []string{"subnet-1", "subnet-2"}, SecurityGroupIds: []string{"sg-1"}, VpcId: aws.String("")}
	require.NotNil(t, created.VpcConfig)
	assert.Equal(t, want, *created.VpcConfig)
	assert.Equal(t, key, aws.ToString(created.KMSKeyArn))
	got, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("in-vpc")})
	require.NoError(t, err)
	assert.Equal(t, want, *got.Configuration.VpcConfig)
	assert.Equal(t, key, aws.ToString(got.Configuration.KMSKeyArn))

	// Empty lists detach the function, "" removes the key.
	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("in-vpc"),
		VpcConfig: &types.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}, KMSKeyArn: aws.String("")})
	require.NoError(t, err)
	assert.Nil(t, up.VpcConfig)
	assert.Nil(t, up.KMSKeyArn)

	// The model's limits and pattern.
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("in-vpc"),
		VpcConfig: &types.VpcConfig{SecurityGroupIds: []string{"sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"}}})
	wantCode(t, err, "ValidationException")
	assert.Contains(t, err.Error(), "1 validation error detected: Value '[sg-1, sg-2, sg-3, sg-4, sg-5, sg-6]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length less than or equal to 5")
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("in-vpc"), KMSKeyArn: aws.String("my-key")})
	wantCode(t, err, "ValidationException")
	assert.Contains(t, err.Error(), "1 validation error detected: Value 'my-key' at 'kMSKeyArn' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()")

	// A function without them answers neither, as before.
	plain := createFunction(t, c, "plain", zipOf(t, "echo"), nil)
	assert.Nil(t, plain.VpcConfig)
	assert.Nil(t, plain.KMSKeyArn)
}
