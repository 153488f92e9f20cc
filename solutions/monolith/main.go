// Command monolith is the customer's old order service, rebuilt as one function for the
// classroom demo (`lab demo`): the design week 1 replaces, to compare against.
//
// POST /orders validates the order, stores it, then calls the inventory service and the
// accounting service inline, one after the other, and answers only when both answered:
//
//	201 {"orderId","status":"COMPLETED"}  both services applied the order
//	400 ValidationError                   the body is not an order (nothing stored)
//	502 DownstreamFailed                  a service failed or timed out; the order stays
//	                                      stored with whatever was applied before the
//	                                      failure, and nobody retries it
//
// That last answer is the point of the comparison: a failure halfway leaves the order
// inconsistent (stored but not applied, or applied by inventory and not by accounting), and
// a slow service makes every caller wait.
//
// Environment:
//
//	TABLE_NAME             the monolith's own orders table (default MonolithOrders)
//	DOWNSTREAM_URL         base URL of the downstream services (/reservations, /entries)
//	DOWNSTREAM_TIMEOUT_MS  timeout of one call to a service (default 3000)
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

func main() {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.ErrorContext(ctx, "start monolith", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	base := getenv("DOWNSTREAM_URL")
	if base == "" {
		return nil, errors.New("read environment: DOWNSTREAM_URL is empty: set it to the downstream services' base URL")
	}
	timeout := 3 * time.Second
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
		table = "MonolithOrders"
	}
	return &handler{db: dynamodb.NewFromConfig(cfg), table: table, client: &http.Client{Timeout: timeout}, base: base, log: log}, nil
}
