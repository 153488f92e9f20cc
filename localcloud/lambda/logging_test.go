package lambda

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// A function's LoggingConfig is kept and answered as set (API reference
// "LoggingConfig"); without one it is Text in /aws/lambda/<name>.
func TestLoggingConfigIsKept(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	code := zipOf(t, "echo")
	created := createFunction(t, c, "shared-a", code, func(in *awslambda.CreateFunctionInput) {
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson, LogGroup: aws.String("/shared/orders"),
			ApplicationLogLevel: types.ApplicationLogLevelWarn, SystemLogLevel: types.SystemLogLevelDebug}
	})
	want := types.LoggingConfig{LogFormat: types.LogFormatJson, LogGroup: aws.String("/shared/orders"),
		ApplicationLogLevel: types.ApplicationLogLevelWarn, SystemLogLevel: types.SystemLogLevelDebug}
	assert.Equal(t, want, *created.LoggingConfig)
	got, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("shared-a")})
	require.NoError(t, err)
	assert.Equal(t, want, *got.LoggingConfig)
	fn, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("shared-a")})
	require.NoError(t, err)
	assert.Equal(t, want, *fn.Configuration.LoggingConfig)
	list, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	require.Len(t, list.Functions, 1)
	assert.Equal(t, want, *list.Functions[0].LoggingConfig)

	// An update changes the members it names and keeps the others.
	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("shared-a"),
		LoggingConfig: &types.LoggingConfig{ApplicationLogLevel: types.ApplicationLogLevelError}})
	require.NoError(t, err)
	want.ApplicationLogLevel = types.ApplicationLogLevelError
	assert.Equal(t, want, *up.LoggingConfig)
	// Back to Text: the levels, which apply to JSON only, go.
	up, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("shared-a"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText}})
	require.NoError(t, err)
	assert.Equal(t, types.LoggingConfig{LogFormat: types.LogFormatText, LogGroup: aws.String("/shared/orders")}, *up.LoggingConfig)

	// The default is unchanged.
	plain := createFunction(t, c, "plain", code, nil)
	assert.Equal(t, types.LoggingConfig{LogFormat: types.LogFormatText, LogGroup: aws.String("/aws/lambda/plain")}, *plain.LoggingConfig)
}

func TestLoggingConfigIsValidated(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	code := zipOf(t, "echo")
	create := func(lc *types.LoggingConfig) error {
		_, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("bad"), Runtime: types.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: code}, LoggingConfig: lc})
		return err
	}
	for _, tc := range []struct {
		lc         *types.LoggingConfig
		code, text string
	}{
		// The model's enums and LogGroup's pattern and length.
		{&types.LoggingConfig{LogFormat: "XML"}, "ValidationException",
			"1 validation error detected: Value 'XML' at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: [JSON, Text]"},
		{&types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: "VERBOSE", SystemLogLevel: "ERROR"}, "ValidationException",
			"2 validation errors detected: Value 'VERBOSE' at 'loggingConfig.applicationLogLevel' failed to satisfy constraint: Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]; Value 'ERROR' at 'loggingConfig.systemLogLevel' failed to satisfy constraint: Member must satisfy enum value set: [DEBUG, INFO, WARN]"},
		{&types.LoggingConfig{LogGroup: aws.String("my group")}, "ValidationException",
			"1 validation error detected: Value 'my group' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"},
		{&types.LoggingConfig{LogGroup: aws.String(strings.Repeat("g", 513))}, "ValidationException",
			"1 validation error detected: Value '" + strings.Repeat("g", 512) + "...' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must have length less than or equal to 512"},
		// Log levels need the JSON format: AWS's message as CloudFormation
		// relays it (aws-cdk pull request 28045).
		{&types.LoggingConfig{SystemLogLevel: types.SystemLogLevelInfo}, "InvalidParameterValueException",
			`LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.`},
		{&types.LoggingConfig{LogFormat: types.LogFormatText, ApplicationLogLevel: types.ApplicationLogLevelInfo}, "InvalidParameterValueException",
			`LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.`},
	} {
		err := create(tc.lc)
		wantCode(t, err, tc.code)
		assert.Contains(t, err.Error(), tc.text)
	}
	// An update is held to the same rules.
	createFunction(t, c, "good", code, nil)
	_, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("good"),
		LoggingConfig: &types.LoggingConfig{ApplicationLogLevel: types.ApplicationLogLevelDebug}})
	wantCode(t, err, "InvalidParameterValueException")
}
