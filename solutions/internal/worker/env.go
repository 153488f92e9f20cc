package worker

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

// Main runs the worker for svc as a Lambda function: the whole main of inventory-worker and
// accounting-worker.
func Main(svc Service) {
	ctx := context.Background()
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	h, err := New(ctx, svc, os.Getenv, log)
	if err != nil {
		log.ErrorContext(ctx, "start worker", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// New builds svc's handler, its DynamoDB client and its HTTP client from the environment read
// through getenv (and the SDK's own configuration chain):
//
//	<svc.URLEnv>           base URL of the service (required), e.g. INVENTORY_URL
//	TABLE_NAME             the orders table (default Orders)
//	DOWNSTREAM_TIMEOUT_MS  timeout of one call to the service (default 5000)
//	AWS_LAMBDA_LOG_LEVEL   DEBUG, INFO (default), WARN or ERROR (read by Main)
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
func New(ctx context.Context, svc Service, getenv func(string) string, log *slog.Logger) (*Handler, error) {
	serviceURL := getenv(svc.URLEnv)
	if serviceURL == "" {
		return nil, errors.New("read environment: " + svc.URLEnv + " is empty: set it to the base URL of the service")
	}
	client, db, table, err := Clients(ctx, getenv, 5*time.Second, "Orders")
	if err != nil {
		return nil, err
	}
	return With(svc, db, table, client, serviceURL, log), nil
}

// Clients builds what every caller of the downstream services needs from the environment
// read through getenv: an HTTP client whose Timeout is DOWNSTREAM_TIMEOUT_MS (default
// timeout), a DynamoDB client (the SDK's configuration chain) and the table TABLE_NAME
// (default table). The workers and the monolith share it.
func Clients(ctx context.Context, getenv func(string) string, timeout time.Duration, table string) (*http.Client, *dynamodb.Client, string, error) {
	if v := getenv("DOWNSTREAM_TIMEOUT_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, nil, "", fmt.Errorf("read environment: DOWNSTREAM_TIMEOUT_MS=%q, want a positive number of milliseconds", v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("load aws config: %w", err)
	}
	if v := getenv("TABLE_NAME"); v != "" {
		table = v
	}
	return &http.Client{Timeout: timeout}, dynamodb.NewFromConfig(cfg), table, nil
}

// With returns svc's handler on the given orders table, HTTP client (whose Timeout bounds each
// call) and service base URL, as New builds it from the environment.
func With(svc Service, db OrdersTable, table string, client *http.Client, serviceURL string, log *slog.Logger) *Handler {
	return &Handler{svc: svc, db: db, table: table, client: client, serviceURL: serviceURL, log: log}
}
