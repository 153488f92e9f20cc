// Command order-publisher turns the Orders table's stream into OrderPlaced events.
//
// It consumes a DynamoDB stream event source mapping (view NEW_IMAGE or NEW_AND_OLD_IMAGES,
// FunctionResponseTypes ReportBatchItemFailures) and publishes every INSERT record's new image,
// as plain JSON, to the SNS topic TOPIC_ARN with the message attribute eventType=OrderPlaced.
// MODIFY and REMOVE records publish nothing. A record it cannot publish is reported as a batch
// item failure, so the mapping retries from it (and bisects, and finally sends it to its
// on-failure destination).
//
// Environment:
//
//	TOPIC_ARN            ARN of the order-events topic (required)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
)

func main() {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.ErrorContext(ctx, "start order-publisher", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler and its SNS client from the environment read through getenv
// (and the SDK's own configuration chain).
func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	topic := getenv("TOPIC_ARN")
	if topic == "" {
		return nil, errors.New("read environment: TOPIC_ARN is empty: set it to the ARN of the order-events topic")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return &handler{pub: sns.NewFromConfig(cfg), topicARN: topic, log: log}, nil
}
