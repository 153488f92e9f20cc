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

// With LogFormat JSON, Lambda's own lines are JSON records (the Telemetry
// API's event schema: platform.initStart, platform.start,
// platform.runtimeDone in place of END, platform.report), and a custom
// runtime's output is written as the function wrote it (the developer
// guide: JSON application logs are for the runtimes and logging methods it
// lists).
func TestLambdaJSONLogFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts functions")
	}
	g := startGuarded(t, localcloud.Config{})
	loggedFunction(t, g, "json-fn", "plain line of json-fn", &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson})
	msgs := groupMessages(t, g, "/aws/lambda/json-fn", "platform.report")
	stamp := `"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`
	id := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	num := `\d+(\.\d+)?`
	want := []string{
		`^\{` + stamp + `,"type":"platform.initStart","record":\{"initializationType":"on-demand","phase":"init","runtimeVersion":"provided:al2023\.local","runtimeVersionArn":"arn:aws:lambda:us-east-1::runtime:local","functionName":"json-fn","functionVersion":"\$LATEST"\}\}$`,
		`^\{` + stamp + `,"type":"platform.start","record":\{"requestId":"` + id + `","version":"\$LATEST"\}\}$`,
		`^plain line of json-fn$`,
		`^\{` + stamp + `,"type":"platform.runtimeDone","record":\{"requestId":"` + id + `","status":"success","metrics":\{"durationMs":` + num + `,"producedBytes":4\}\}\}$`,
		`^\{` + stamp + `,"type":"platform.report","record":\{"requestId":"` + id + `","status":"success","metrics":\{"durationMs":` + num + `,"billedDurationMs":\d+,"memorySizeMB":128,"maxMemoryUsedMB":\d+,"initDurationMs":` + num + `\}\}\}$`,
	}
	require.Len(t, msgs, len(want), "messages: %q", msgs)
	for i, w := range want {
		require.Regexp(t, w, msgs[i])
	}
}

// With the JSON format, a custom runtime's lines are filtered by the
// "level" of the JSON objects it writes, a line without one being INFO
// (developer guide, "Log-level filtering").
func TestLambdaApplicationLogLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts functions")
	}
	g := startGuarded(t, localcloud.Config{})
	lines := `{"level": "debug", "msg": "a debug line"}` + "\n" + `{"level":"WARN","msg":"a warning"}` + "\n" + `plain text` + "\n" + `{"level":"error","msg":"an error"}`
	loggedFunction(t, g, "leveled", lines, &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson, ApplicationLogLevel: lambdatypes.ApplicationLogLevelWarn})
	loggedFunction(t, g, "default-level", lines, &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson})
	loggedFunction(t, g, "text", lines, nil)
	app := func(group string) []string {
		var out []string
		for _, m := range groupMessages(t, g, group, "platform.report") {
			if !strings.Contains(m, `"type":"platform.`) {
				out = append(out, m)
			}
		}
		return out
	}
	require.Equal(t, []string{`{"level":"WARN","msg":"a warning"}`, `{"level":"error","msg":"an error"}`}, app("/aws/lambda/leveled"))
	require.Equal(t, []string{`{"level":"WARN","msg":"a warning"}`, `plain text`, `{"level":"error","msg":"an error"}`}, app("/aws/lambda/default-level"))
	text := strings.Join(groupMessages(t, g, "/aws/lambda/text", "REPORT RequestId"), "\n")
	require.Contains(t, text, "a debug line")
}
