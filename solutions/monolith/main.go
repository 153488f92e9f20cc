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
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
	"github.com/labkit-dev/labkit/solutions/internal/worker"
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
	client, db, table, err := worker.Clients(ctx, getenv, 3*time.Second, "MonolithOrders")
	if err != nil {
		return nil, err
	}
	return &handler{db: db, table: table, client: client, base: base, log: log}, nil
}
