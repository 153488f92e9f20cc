package protocol

import (
	"context"
	"time"
)

// MessageAttributeValue is an SNS or SQS message attribute.
type MessageAttributeValue struct {
	DataType    string // "String", "Number", "Binary", or with a ".custom" suffix
	StringValue string
	BinaryValue []byte
}

// ServiceDelivery is a message that one AWS service sends to an SQS queue on
// its own behalf (SNS delivering to a subscribed queue). The queue's access
// policy decides whether SourcePrincipal may send from SourceARN.
type ServiceDelivery struct {
	QueueARN        string
	SourcePrincipal string // "sns.amazonaws.com"
	SourceARN       string // the topic's ARN
	SourceAccount   string
	Body            string
	Attributes      map[string]MessageAttributeValue
	MessageGroupID  string
	DeduplicationID string
}

// ServiceInvocation is an invocation of a Lambda function by another service
// (API Gateway, SNS). The function's resource policy decides whether
// SourcePrincipal may invoke it from SourceARN.
type ServiceInvocation struct {
	FunctionARN     string // a function ARN, possibly with a qualifier
	SourcePrincipal string // "apigateway.amazonaws.com", "sns.amazonaws.com"
	SourceARN       string
	SourceAccount   string
	Payload         []byte
	// Async invokes with InvocationType Event (retries, no result).
	Async bool
	// DryRun only checks that the function exists and its resource policy
	// allows the caller (as InvocationType DryRun does).
	DryRun bool
}

// InvocationResult is what a synchronous invocation returned.
type InvocationResult struct {
	Payload []byte
	// FunctionError is "Unhandled" or "Handled" when the function failed
	// (including a timeout, whose payload says "Task timed out after N seconds").
	FunctionError string
	// TimedOut is true when the function ran out of time.
	TimedOut bool
}

// QueueDeliverer is implemented by the SQS service for other services.
type QueueDeliverer interface {
	DeliverFromService(ctx context.Context, d ServiceDelivery) error
}

// FunctionInvoker is implemented by the Lambda service for other services.
// Errors are *Error with codes ResourceNotFoundException (no such function),
// AccessDeniedException (the resource policy does not allow the caller),
// TooManyRequestsException (concurrency exhausted).
type FunctionInvoker interface {
	InvokeFromService(ctx context.Context, in ServiceInvocation) (InvocationResult, error)
}

// LogEvent is one line written to CloudWatch Logs by another service.
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogAppender is implemented by the CloudWatch Logs service for other
// services (Lambda writing a function's output). Append creates the group
// and stream when missing.
type LogAppender interface {
	Append(ctx context.Context, account, region, group, stream string, events []LogEvent) error
}

// MetricDatum is one value of a metric another service publishes to
// CloudWatch (CloudWatch Logs' metric filters and embedded metric format).
type MetricDatum struct {
	Namespace  string
	MetricName string
	Dimensions map[string]string
	Value      float64
	Unit       string // "" means None
	Time       time.Time
}

// MetricPublisher is implemented by the CloudWatch service for other
// services. It must be quick: it aggregates in memory.
type MetricPublisher interface {
	PublishMetrics(account, region string, data []MetricDatum)
}
