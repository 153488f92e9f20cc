// Command echo is a test function: it answers with its payload.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		return in, nil
	})
}
