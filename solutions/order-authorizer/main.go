// Command order-authorizer is the Lambda authorizer of the orders API (HTTP API, REQUEST
// type, payload format 2.0, simple responses, identity source $request.header.Authorization).
//
// It lets a request through when its Authorization header carries "Bearer <token>" with a
// channel token (see package token) signed with the secret in TOKEN_SECRET, and hands the
// token's channel to the integration as the authorizer context key "channel"
// (requestContext.authorizer.lambda.channel in the intake's event). It never logs the token or
// the secret.
//
// Environment:
//
//	TOKEN_SECRET         the HMAC secret the kit mints tokens with (required)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
)

func main() {
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := newHandler(os.Getenv, log)
	if err != nil {
		log.Error("start order-authorizer", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler from the environment read through getenv.
func newHandler(getenv func(string) string, log *slog.Logger) (*handler, error) {
	secret := getenv("TOKEN_SECRET")
	if secret == "" {
		return nil, fmt.Errorf("read environment: TOKEN_SECRET is empty: set it to the secret the kit mints tokens with")
	}
	return &handler{secret: secretKey(secret), now: time.Now, log: log}, nil
}
