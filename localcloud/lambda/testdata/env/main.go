// Command env is a test function: it answers with its process environment,
// working directory and pid.
package main

import (
	"context"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type output struct {
	Env       map[string]string `json:"env"`
	Dir       string            `json:"dir"`
	PID       int               `json:"pid"`
	RequestID string            `json:"requestId"`
	ARN       string            `json:"arn"`
	Deadline  int64             `json:"deadline"`
}

func main() {
	lambda.Start(func(ctx context.Context) (output, error) {
		out := output{Env: map[string]string{}, PID: os.Getpid()}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			out.Env[k] = v
		}
		out.Dir, _ = os.Getwd()
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			out.RequestID, out.ARN = lc.AwsRequestID, lc.InvokedFunctionArn
		}
		if d, ok := ctx.Deadline(); ok {
			out.Deadline = d.UnixMilli()
		}
		return out, nil
	})
}
