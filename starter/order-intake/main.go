// Command order-intake is the orders API's Lambda integration (HTTP API, payload format 2.0).
//
// Routes:
//
//	POST /orders           validate, then store the order in the Orders table: 201
//	                       {"orderId","status"}; 400 ValidationError naming the first bad field;
//	                       403 ChannelMismatch when a valid body's channel is not the token's. With
//	                       an Idempotency-Key header the orderId is derived from the channel,
//	                       customerId and key, and a repeat returns the first answer.
//	GET /orders/{orderId}  200 with the stored order, 404 NotFound
//
// It never publishes events: the table's stream does (order-publisher).
//
// Environment:
//
//	TABLE_NAME           the orders table (default Orders)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/labkit-dev/labkit/starter/internal/lambdalog"
)

func main() {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.ErrorContext(ctx, "start order-intake", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler and its DynamoDB client from the environment read through
// getenv (and the SDK's own configuration chain).
func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return &handler{
		db:    dynamodb.NewFromConfig(cfg),
		table: envOr(getenv, "TABLE_NAME", "Orders"),
		log:   log,
		now:   time.Now,
	}, nil
}

// envOr returns getenv(key), or def when it is empty.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
