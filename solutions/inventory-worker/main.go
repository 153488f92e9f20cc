// Command inventory-worker applies each placed order to the inventory service, once in effect.
//
// It consumes the inventory-orders queue (an SQS event source mapping with
// FunctionResponseTypes ReportBatchItemFailures). The queue is subscribed to order-events with
// raw message delivery, so each message body is the order JSON itself. For each order it calls
// POST {INVENTORY_URL}/reservations with the header Idempotency-Key: <orderId> and the order
// as the body, then sets inventoryStatus = "DONE" on the order in the Orders table. A message
// it cannot parse, or whose call or update fails, is reported as a batch item failure: SQS
// redelivers it, and after maxReceiveCount receives moves it to the dead-letter queue, while
// the rest of the batch completes.
//
// Redeliveries are harmless: an order already DONE is skipped, and the service applies a key
// it has seen before only once.
//
// Environment:
//
//	INVENTORY_URL          base URL of the inventory service (required)
//	TABLE_NAME             the orders table (default Orders)
//	DOWNSTREAM_TIMEOUT_MS  timeout of one call to the service (default 5000)
//	AWS_LAMBDA_LOG_LEVEL   DEBUG, INFO (default), WARN or ERROR
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
)

// Where this worker's downstream service lives and what it records on the order.
const (
	serviceURLEnv   = "INVENTORY_URL"
	downstreamPath  = "/reservations"
	statusAttribute = "inventoryStatus"
)

func main() {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.ErrorContext(ctx, "start worker", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler, its DynamoDB client and its HTTP client from the environment
// read through getenv (and the SDK's own configuration chain).
func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	serviceURL := getenv(serviceURLEnv)
	if serviceURL == "" {
		return nil, errors.New("read environment: " + serviceURLEnv + " is empty: set it to the base URL of the service")
	}
	timeout := 5 * time.Second
	if v := getenv("DOWNSTREAM_TIMEOUT_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("read environment: DOWNSTREAM_TIMEOUT_MS=%q, want a positive number of milliseconds", v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	table := getenv("TABLE_NAME")
	if table == "" {
		table = "Orders"
	}
	return &handler{
		db:         dynamodb.NewFromConfig(cfg),
		table:      table,
		client:     &http.Client{Timeout: timeout},
		serviceURL: serviceURL,
		log:        log,
	}, nil
}
