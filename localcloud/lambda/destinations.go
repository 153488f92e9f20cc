package lambda

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Destinations of asynchronous invocation (the event invoke config's
// DestinationConfig): after an Event invocation succeeds, its invocation
// record goes to OnSuccess; after Lambda gives up on it (retries exhausted,
// or the event older than MaximumEventAgeInSeconds) to OnFailure, besides
// the dead-letter queue. SQS queues, SNS topics and Lambda functions (invoked
// asynchronously with the record) receive it; EventBridge buses and S3
// buckets are not services of the local cloud, so their records are logged
// and skipped. A failed send counts in DestinationDeliveryFailures.

// Conditions of an invocation record's requestContext.
const (
	condSuccess          = "Success"
	condRetriesExhausted = "RetriesExhausted"
	condEventAgeExceeded = "EventAgeExceeded"
	condZeroReserved     = "ZeroReservedConcurrency" // never run: reserved concurrency 0
)

// defaultMaxEventAge is Lambda's MaximumEventAgeInSeconds when the event
// invoke config sets none: six hours.
const defaultMaxEventAge = 6 * time.Hour

// attemptResult is how an Event invocation's last attempt ended.
type attemptResult struct {
	statusCode      int
	executedVersion string
	functionError   string
	payload         []byte
}

// invocationRecord is the record AWS sends to a destination ("Capturing
// records of Lambda asynchronous invocations").
type invocationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *responseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

type responseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// eventConfigOf returns the event invoke config that applies to ev, or
// nil: the config of the version or alias its caller named, or $LATEST's
// (the function's) when it named neither. An alias without a config of its
// own runs under the config of the version it ran.
func (s *Service) eventConfigOf(ev *asyncEvent) *eventInvokeConfig {
	c := &eventInvokeConfig{}
	for _, q := range []string{cmp.Or(ev.qualifier, "$LATEST"), cmp.Or(ev.version, "$LATEST")} {
		if s.getConfig(cfgKey{ev.key, cfgEventInvoke, q}, c) {
			return c
		}
	}
	return nil
}

// maxEventAge is how long Lambda keeps the Event invocation ev.
func (s *Service) maxEventAge(ev *asyncEvent) time.Duration {
	if c := s.eventConfigOf(ev); c != nil && c.MaxAge != nil {
		return time.Duration(*c.MaxAge) * time.Second
	}
	return defaultMaxEventAge
}

// destination is the ARN of a DestinationConfig entry (OnSuccess or
// OnFailure), or "".
func (c *eventInvokeConfig) destination(kind string) string {
	if c == nil {
		return ""
	}
	d, _ := c.Destinations[kind].(map[string]any)
	arn, _ := d["Destination"].(string)
	return arn
}

// jsonOrString is b as JSON: itself when it is JSON, else a JSON string.
func jsonOrString(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return b
	}
	out, _ := json.Marshal(string(b))
	return out
}

// record builds the invocation record of ev after invokes attempts; last is
// the last one (nil when it never ran).
func record(f *function, ev *asyncEvent, condition string, invokes int, last *attemptResult) *invocationRecord {
	r := &invocationRecord{Version: "1.0", Timestamp: time.Now().UTC().Format(awsMillis)}
	r.RequestContext.RequestID = ev.id
	r.RequestContext.FunctionArn = f.arn() + ":" + f.ver()
	r.RequestContext.Condition = condition
	r.RequestContext.ApproximateInvokeCount = invokes
	r.RequestPayload = jsonOrString(ev.payload)
	if last != nil {
		r.ResponseContext = &responseContext{StatusCode: last.statusCode, ExecutedVersion: last.executedVersion, FunctionError: last.functionError}
		r.ResponsePayload = jsonOrString(last.payload)
	}
	return r
}

// sendToDestination sends ev's invocation record to f's OnSuccess
// (condition Success) or OnFailure destination, if it has one.
func (s *Service) sendToDestination(f *function, ev *asyncEvent, condition string, invokes int, last *attemptResult) {
	kind := "OnFailure"
	if condition == condSuccess {
		kind = "OnSuccess"
	}
	arn := s.eventConfigOf(ev).destination(kind)
	if arn == "" {
		return
	}
	body, err := json.Marshal(record(f, ev, condition, invokes, last))
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = s.deliverRecord(ctx, f, arn, body)
		cancel()
	}
	if err != nil {
		s.log.Warn("lambda: send an invocation record to its destination", "function", f.Name, "destination", arn, "condition", condition, "err", err)
		s.countDeliveryFailure(f, "DestinationDeliveryFailures")
	}
}

// deliverRecord sends body to a destination: a message to an SQS queue or
// SNS topic, an Event invocation of a Lambda function.
func (s *Service) deliverRecord(ctx context.Context, f *function, arn string, body []byte) error {
	a, _ := protocol.ParseARN(arn)
	switch a.Service {
	case "sqs", "sns":
		return s.sendMessage(ctx, arn, string(body), nil)
	case "lambda":
		ref, err := parseFunctionRef(arn)
		if err != nil {
			return err
		}
		target, err := s.find(a.Account, a.Region, ref)
		if err != nil {
			return fmt.Errorf("find destination function: %w", err)
		}
		return s.async.enqueue(target, ref.qualifier, body, "lambda.amazonaws.com")
	}
	s.log.Info("lambda: the local cloud has no "+a.Service+" service; invocation record not delivered", "function", f.Name, "destination", arn)
	return nil
}

// countDeliveryFailure counts a failed send of f's in an AWS/Lambda metric
// (DeadLetterErrors, DestinationDeliveryFailures).
func (s *Service) countDeliveryFailure(f *function, metric string) {
	if s.cfg.Bus.Active() {
		s.cfg.Bus.Publish(activity.Event{Kind: activity.KindCount, Service: "lambda", Name: f.Name, Account: f.Account, Region: f.Region,
			Route: metric, Status: 1})
	}
}
