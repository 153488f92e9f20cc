package lambda

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestTracingConfigIsKept: TracingConfig.Mode (Active or PassThrough, the
// TracingMode enum) set by CreateFunction or UpdateFunctionConfiguration
// is what GetFunctionConfiguration returns; PassThrough is the default.
func TestTracingConfigIsKept(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	code := zipFiles(t, map[string]fileSpec{"bootstrap": {data: []byte("#!/bin/sh\n"), mode: 0o755}})
	out := createFunction(t, c, "traced", code, func(in *awslambda.CreateFunctionInput) {
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingModeActive}
	})
	assert.Equal(t, types.TracingModeActive, out.TracingConfig.Mode)
	plain := createFunction(t, c, "plain", code, nil)
	assert.Equal(t, types.TracingModePassThrough, plain.TracingConfig.Mode)

	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plain"), TracingConfig: &types.TracingConfig{Mode: types.TracingModeActive}})
	require.NoError(t, err)
	assert.Equal(t, types.TracingModeActive, up.TracingConfig.Mode)
	up, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("traced"), Description: aws.String("d")})
	require.NoError(t, err)
	assert.Equal(t, types.TracingModeActive, up.TracingConfig.Mode, "an update without TracingConfig keeps it")
	got, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("plain")})
	require.NoError(t, err)
	assert.Equal(t, types.TracingModeActive, got.TracingConfig.Mode)

	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plain"), TracingConfig: &types.TracingConfig{Mode: "Sometimes"}})
	var ve interface{ ErrorCode() string }
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, "ValidationException", ve.ErrorCode())
}
