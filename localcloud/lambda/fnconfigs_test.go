package lambda

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	createFunction(t, c, "fn", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) { in.Publish = true })

	_, err := c.PutProvisionedConcurrencyConfig(ctx, &awslambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	cloudtest.APIError(t, err, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &awslambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	cloudtest.APIError(t, err, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
	put, err := c.PutProvisionedConcurrencyConfig(ctx, &awslambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, types.ProvisionedConcurrencyStatusEnumInProgress, put.Status)
	got, err := c.GetProvisionedConcurrencyConfig(ctx, &awslambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	assert.Equal(t, types.ProvisionedConcurrencyStatusEnumReady, got.Status)
	assert.EqualValues(t, 2, aws.ToInt32(got.AvailableProvisionedConcurrentExecutions))
	list, err := c.ListProvisionedConcurrencyConfigs(ctx, &awslambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	require.Len(t, list.ProvisionedConcurrencyConfigs, 1)
	assert.Equal(t, "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:fn:1", aws.ToString(list.ProvisionedConcurrencyConfigs[0].FunctionArn))
	_, err = c.DeleteProvisionedConcurrencyConfig(ctx, &awslambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &awslambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	assert.Equal(t, "ProvisionedConcurrencyConfigNotFoundException", apiCode(err))
}

func TestFunctionURLConfigs(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:fn"
	createFunction(t, c, "fn", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	_, err := c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)

	created, err := c.CreateFunctionUrlConfig(ctx, &awslambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}}})
	require.NoError(t, err)
	assert.Regexp(t, `^https://[0-9a-f]{32}\.lambda-url\.us-east-1\.on\.aws/$`, aws.ToString(created.FunctionUrl))
	assert.Equal(t, arn, aws.ToString(created.FunctionArn))
	assert.Equal(t, []string{"https://example.com"}, created.Cors.AllowOrigins)
	_, err = c.CreateFunctionUrlConfig(ctx, &awslambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone})
	cloudtest.APIError(t, err, "ResourceConflictException", "Failed to create function url config for [functionArn = "+arn+"]. Error message:  FunctionUrlConfig exists for this Lambda function")
	_, err = c.CreateFunctionUrlConfig(ctx, &awslambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1"), AuthType: types.FunctionUrlAuthTypeNone})
	assert.Equal(t, "InvalidParameterValueException", apiCode(err))
	aliased, err := c.CreateFunctionUrlConfig(ctx, &awslambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	require.NoError(t, err)
	assert.Equal(t, arn+":live", aws.ToString(aliased.FunctionArn))

	up, err := c.UpdateFunctionUrlConfig(ctx, &awslambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	require.NoError(t, err)
	assert.Equal(t, types.FunctionUrlAuthTypeAwsIam, up.AuthType)
	assert.Equal(t, created.FunctionUrl, up.FunctionUrl, "an update keeps the URL")
	got, err := c.GetFunctionUrlConfig(ctx, &awslambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, types.FunctionUrlAuthTypeAwsIam, got.AuthType)
	list, err := c.ListFunctionUrlConfigs(ctx, &awslambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Len(t, list.FunctionUrlConfigs, 2)
	_, err = c.DeleteFunctionUrlConfig(ctx, &awslambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = c.GetFunctionUrlConfig(ctx, &awslambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
}

func TestEventInvokeConfig(t *testing.T) {
	t.Parallel()
	logs := &memLogs{}
	svc, url := testService(t, func(c *Config) { c.Logs = logs })
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:fn"
	createFunction(t, c, "fn", zipOf(t, "panic"), nil)

	_, err := c.GetFunctionEventInvokeConfig(ctx, &awslambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The function "+arn+":$LATEST doesn't have an EventInvokeConfig")
	_, err = c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumRetryAttempts: aws.Int32(3)})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2")
	put, err := c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:" + cloudtest.Account + ":dlq")}}})
	require.NoError(t, err)
	assert.Equal(t, arn+":$LATEST", aws.ToString(put.FunctionArn))
	assert.EqualValues(t, 0, aws.ToInt32(put.MaximumRetryAttempts))
	up, err := c.UpdateFunctionEventInvokeConfig(ctx, &awslambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumEventAgeInSeconds: aws.Int32(120)})
	require.NoError(t, err)
	assert.EqualValues(t, 0, aws.ToInt32(up.MaximumRetryAttempts), "an update keeps what it does not change")
	assert.EqualValues(t, 120, aws.ToInt32(up.MaximumEventAgeInSeconds))
	assert.Equal(t, "arn:aws:sqs:us-east-1:"+cloudtest.Account+":dlq", aws.ToString(up.DestinationConfig.OnFailure.Destination))
	list, err := c.ListFunctionEventInvokeConfigs(ctx, &awslambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	require.Len(t, list.FunctionEventInvokeConfigs, 1)

	// With no retries, a failing Event invocation runs once and is dropped.
	_, err = tryInvoke(c, "fn", "{}", func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
	require.NoError(t, err)
	waitFor(t, 20*time.Second, "the failed event to be dropped", func() bool {
		svc.async.mu.Lock()
		defer svc.async.mu.Unlock()
		return len(svc.async.pending) == 0
	})
	waitFor(t, 20*time.Second, "the invocation's REPORT line", func() bool { return strings.Contains(logs.text("/aws/lambda/fn"), "REPORT") })
	assert.Equal(t, 1, strings.Count(logs.text("/aws/lambda/fn"), "START RequestId"), "MaximumRetryAttempts 0: no retry")

	_, err = c.DeleteFunctionEventInvokeConfig(ctx, &awslambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = c.GetFunctionEventInvokeConfig(ctx, &awslambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err))
}
