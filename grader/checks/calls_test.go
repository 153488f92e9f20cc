package checks_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
)

// callRecorder records the IAM action of every AWS call made through a config.
type callRecorder struct {
	mu    sync.Mutex
	calls map[string]int
}

// iamPrefixes maps an SDK service id to its IAM action prefix.
var iamPrefixes = map[string]string{"DynamoDB": "dynamodb", "IAM": "iam", "Lambda": "lambda", "ApiGatewayV2": "apigateway",
	"SNS": "sns", "SQS": "sqs", "CloudWatch Logs": "logs", "STS": "sts", "DynamoDB Streams": "dynamodb"}

// action returns the IAM action of a call ("apigateway:GET" for
// API Gateway's Get operations, which IAM authorizes by HTTP method).
func action(service, op string) string {
	prefix, ok := iamPrefixes[service]
	if !ok {
		prefix = strings.ToLower(service)
	}
	// IAM authorizes SQS batch calls as their single-message action.
	if prefix == "sqs" {
		op = strings.TrimSuffix(op, "Batch")
	}
	// IAM authorizes Lambda's Invoke as lambda:InvokeFunction.
	if prefix == "lambda" && op == "Invoke" {
		op = "InvokeFunction"
	}
	if prefix == "apigateway" {
		switch {
		case strings.HasPrefix(op, "Get"):
			op = "GET"
		case strings.HasPrefix(op, "Create"):
			op = "POST"
		case strings.HasPrefix(op, "Update"):
			op = "PATCH"
		case strings.HasPrefix(op, "Delete"):
			op = "DELETE"
		}
	}
	return prefix + ":" + op
}

// wrap returns cfg with the recorder installed.
func (r *callRecorder) wrap(cfg aws.Config) aws.Config {
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Serialize.Add(middleware.SerializeMiddlewareFunc("recordCall", func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
			a := action(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			r.mu.Lock()
			r.calls[a]++
			r.mu.Unlock()
			return next.HandleSerialize(ctx, in)
		}), middleware.After)
	})
	return cfg
}

// TestGraderCallsAreInPolicy grades a deployment while recording every AWS
// call the grader makes, and fails on any call `lab policy` would not allow
// or no kind declares.
func TestGraderCallsAreInPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	_, cfg := kitSolved(t, nil, "all")
	rec := &callRecorder{calls: map[string]int{}}
	var list []*grader.Check
	for _, lab := range []string{"lab1", "lab2", "lab3", "lab4", "lab5"} {
		list = append(list, loadManifests(t)[lab].Checks...)
	}
	rs := gradeChecks(t, rec.wrap(cfg), nil, list)
	wantAll(t, rs, grader.Pass)
	lib := checks.Library()
	policy := checks.GraderPolicy(lib, checks.PolicyOptions{})
	declared := map[string]bool{}
	for _, a := range checks.Actions(lib, false) {
		declared[a] = true
	}
	var seen []string
	for a := range rec.calls {
		seen = append(seen, a)
	}
	sort.Strings(seen)
	if len(seen) < 10 {
		t.Fatalf("recorded only %v: the recorder is not working", seen)
	}
	for _, a := range seen {
		if !policy.Allows(a) {
			t.Errorf("the grader called %s (%d times), which `lab policy` does not allow", a, rec.calls[a])
		}
		if !declared[a] {
			t.Errorf("the grader called %s, which no kind declares in Calls", a)
		}
	}
	t.Logf("recorded calls: %v", seen)
}
