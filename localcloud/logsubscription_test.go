package localcloud_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogSubscriptionInvokesFunction: a subscription filter to a real
// function (a shell bootstrap that saves the event it is given) delivers
// matching events as CloudWatch Logs does, once the function's resource
// policy lets logs.amazonaws.com invoke it.
func TestLogSubscriptionInvokesFunction(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the function is a shell script")
	}
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		t.Skip("the function reads its event with curl")
	}
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	fns, logs := lambda.NewFromConfig(cfg), cwlogs.NewFromConfig(cfg)
	out := filepath.Join(t.TempDir(), "event.json")
	zip := shellZip(t, "#!/bin/sh\nwhile true; do\n  curl -sS -D /tmp/h.$$ -o '"+out+".part' \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\" || exit 1\n"+
		"  id=$(grep -i '^lambda-runtime-aws-request-id:' /tmp/h.$$ | tr -d '\\r' | cut -d' ' -f2)\n  mv '"+out+".part' '"+out+"'\n"+
		"  curl -sS -X POST -d '{}' \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$id/response\" >/dev/null\ndone\n")
	fn, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("shipper"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(t, cfg, "shipper")), Code: &lambdatypes.FunctionCode{ZipFile: zip}})
	require.NoError(t, err)
	_, err = fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("shipper"), StatementId: aws.String("logs"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("logs.amazonaws.com"),
		SourceArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/app/orders:*")})
	require.NoError(t, err)
	_, err = logs.CreateLogGroup(ctx, &cwlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/orders")})
	require.NoError(t, err)
	_, err = logs.CreateLogStream(ctx, &cwlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String("web-1")})
	require.NoError(t, err)
	// A group the function's policy does not name is refused.
	_, err = logs.CreateLogGroup(ctx, &cwlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/other")})
	require.NoError(t, err)
	_, err = logs.PutSubscriptionFilter(ctx, &cwlogs.PutSubscriptionFilterInput{LogGroupName: aws.String("/app/other"), FilterName: aws.String("errors"),
		FilterPattern: aws.String("ERROR"), DestinationArn: fn.FunctionArn})
	require.ErrorContains(t, err, "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
	_, err = logs.PutSubscriptionFilter(ctx, &cwlogs.PutSubscriptionFilterInput{LogGroupName: aws.String("/app/orders"), FilterName: aws.String("errors"),
		FilterPattern: aws.String("ERROR"), DestinationArn: fn.FunctionArn})
	require.NoError(t, err)
	_, err = logs.PutLogEvents(ctx, &cwlogs.PutLogEventsInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String("web-1"),
		LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String("ERROR payment declined")}}})
	require.NoError(t, err)

	var ev struct {
		Awslogs struct{ Data string } `json:"awslogs"`
	}
	require.True(t, waitUntil(t, 20*time.Second, func() bool {
		b, err := os.ReadFile(out)
		return err == nil && json.Unmarshal(b, &ev) == nil && ev.Awslogs.Data != ""
	}), "the function never got the subscription's event")
	gz, err := base64.StdEncoding.DecodeString(ev.Awslogs.Data)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	var msg struct {
		MessageType, LogGroup, LogStream string
		LogEvents                        []struct{ Message string }
	}
	require.NoError(t, json.Unmarshal(raw, &msg))
	assert.Equal(t, "DATA_MESSAGE", msg.MessageType)
	assert.Equal(t, "/app/orders", msg.LogGroup)
	assert.Equal(t, "web-1", msg.LogStream)
	require.Len(t, msg.LogEvents, 1)
	assert.Equal(t, "ERROR payment declined", msg.LogEvents[0].Message)
}
