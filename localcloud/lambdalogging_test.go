package localcloud_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// loggedFunction creates a function whose bootstrap prints line once
// initialised, with lc as its LoggingConfig, and invokes it once.
func loggedFunction(t *testing.T, g *guarded, name, line string, lc *lambdatypes.LoggingConfig) {
	t.Helper()
	ctx := context.Background()
	script := "#!/bin/sh\napi=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation\"\n" +
		"while :; do\n  id=$(curl -sSi \"$api/next\" | tr -d '\\r' | sed -n 's/^Lambda-Runtime-Aws-Request-Id: //Ip')\n" +
		"  echo '" + line + "'\n  curl -sS -X POST -d '\"ok\"' \"$api/$id/response\" >/dev/null\ndone\n"
	_, err := g.lambda().CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: shellZip(t, script)},
		LoggingConfig: lc})
	require.NoError(t, err)
	out, err := g.lambda().Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name)})
	require.NoError(t, err)
	require.Nil(t, out.FunctionError, "payload %s", out.Payload)
}

// groupMessages waits for the log group to hold want and returns its
// messages, read with CloudWatch Logs' FilterLogEvents.
func groupMessages(t *testing.T, g *guarded, group, want string) []string {
	t.Helper()
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	logs := cwlogs.NewFromConfig(cfg)
	var msgs []string
	waitUntil(t, 15*time.Second, func() bool {
		res, err := logs.FilterLogEvents(context.Background(), &cwlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
		if err != nil {
			return false
		}
		msgs = msgs[:0]
		for _, e := range res.Events {
			msgs = append(msgs, aws.ToString(e.Message))
		}
		return strings.Contains(strings.Join(msgs, "\n"), want)
	})
	return msgs
}

// Functions with LoggingConfig.LogGroup write to that group (developer
// guide "Configuring advanced logging controls": "Log group - choose the
// CloudWatch log group your function sends logs to"), several sharing one.
func TestLambdaLogsGoToTheConfiguredGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts functions")
	}
	g := startGuarded(t, localcloud.Config{})
	shared := &lambdatypes.LoggingConfig{LogGroup: aws.String("/shared/orders")}
	loggedFunction(t, g, "orders-a", "line of a", shared)
	loggedFunction(t, g, "orders-b", "line of b", shared)
	all := strings.Join(groupMessages(t, g, "/shared/orders", "line of b"), "\n")
	for _, want := range []string{"line of a", "line of b", "START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
		require.Contains(t, all, want)
	}
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	res, err := cwlogs.NewFromConfig(cfg).DescribeLogGroups(context.Background(), &cwlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
	require.NoError(t, err)
	require.Empty(t, res.LogGroups, "a function with its own log group wrote to /aws/lambda/")
}
