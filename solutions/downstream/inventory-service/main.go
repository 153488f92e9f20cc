// Command inventory-service is the simulated inventory service of the course, an HTTP API
// (payload format 2.0) Lambda: POST /reservations applies an order once per Idempotency-Key, and
// GET /records (or GET /reservations) lists what it applied. See package downstream for the routes
// and the record format.
//
// Environment:
//
//	TABLE_NAME           the records table, partition key idempotencyKey (S) (default inventory-records)
//	FAIL_RATE            fraction from 0 to 1 of /reservations requests answered 503 (default 0)
//	LATENCY_MS           delay added to every /reservations request (default 0)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/labkit-dev/labkit/solutions/downstream"
	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
)

func main() {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	cfg, err := downstream.ConfigFromEnv(os.Getenv, "inventory", "/reservations", "inventory-records")
	if err != nil {
		log.ErrorContext(ctx, "start inventory-service", "error", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.ErrorContext(ctx, "start inventory-service: load aws config", "error", err)
		os.Exit(1)
	}
	h := downstream.New(dynamodb.NewFromConfig(awsCfg), cfg, log)
	log.InfoContext(ctx, "inventory-service configured", "table", cfg.Table, "failRate", cfg.FailRate, "latencyMs", cfg.Latency.Milliseconds())
	lambda.Start(h.Handle)
}
