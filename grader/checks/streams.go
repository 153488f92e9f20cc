package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

func mappingKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "lambda.stream-mapping",
			Doc: "the function has an enabled event source mapping on the table's current stream that passes only INSERT records, " +
				"bisects a failing batch, retries a bounded number of times and sends what still fails to the dead-letter queue",
			Params: []grader.Param{functionParam, tableParam,
				{Name: "dlq", Required: true, Doc: "the on-failure destination queue's name"},
				{Name: "maxRetries", Doc: "the most retry attempts accepted (default 10)"}},
			Calls: []string{"lambda:ListEventSourceMappings", "dynamodb:DescribeTable", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"},
			Run:   runStreamMapping,
		},
		{
			Name: "lambda.queue-mapping",
			Doc:  "the function has an enabled event source mapping on the queue, with batches of at most maxBatch and partial batch responses (ReportBatchItemFailures)",
			Params: []grader.Param{functionParam,
				{Name: "queue", Required: true, Doc: "the queue's name"},
				{Name: "maxBatch", Doc: "the largest batch size accepted (default 10)"}},
			Calls: []string{"lambda:ListEventSourceMappings", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"},
			Run:   runQueueMapping,
		},
	}
}

func runStreamMapping(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	fn, table, dlq := p.String("function", ""), p.String("table", ""), p.String("dlq", "")
	tableArn, streamArn, err := tableArns(ctx, env, table)
	if err != nil {
		return lookupOutcome("describe table "+table, err)
	}
	ms, err := mappings(ctx, env, fn)
	if err != nil {
		return lookupOutcome("list the mappings of "+fn, err)
	}
	var m *lambdatypes.EventSourceMappingConfiguration
	for i := range ms {
		src := aws.ToString(ms[i].EventSourceArn)
		if strings.HasPrefix(src, tableArn+"/stream/") && (m == nil || src == streamArn) {
			m = &ms[i]
		}
	}
	if m == nil {
		return grader.Failf("function %s has no event source mapping on the stream of table %s", fn, table)
	}
	q, qerr := findQueue(ctx, env, dlq)
	var dest string
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		dest = aws.ToString(m.DestinationConfig.OnFailure.Destination)
	}
	retries := -1
	if m.MaximumRetryAttempts != nil {
		retries = int(*m.MaximumRetryAttempts)
	}
	maxRetries := p.Int("maxRetries", 10)
	insert, modify, remove := filterAdmits(m.FilterCriteria, "INSERT"), filterAdmits(m.FilterCriteria, "MODIFY"), filterAdmits(m.FilterCriteria, "REMOVE")
	destPart := grader.Part{Name: "on-failure destination", Passed: qerr == nil && dest != "" && dest == q.arn()}
	switch {
	case qerr != nil:
		destPart.Detail = fmt.Sprintf("the queue %s was not found", dlq)
	case dest == "":
		destPart.Detail = fmt.Sprintf("none set, want %s: aws lambda update-event-source-mapping --uuid %s --destination-config OnFailure={Destination=%s}", dlq, aws.ToString(m.UUID), q.arn())
	default:
		destPart.Detail = fmt.Sprintf("is %s, want %s: aws lambda update-event-source-mapping --uuid %s --destination-config OnFailure={Destination=%s}", dest, q.arn(), aws.ToString(m.UUID), q.arn())
	}
	parts := []grader.Part{
		{Name: "enabled", Passed: strings.EqualFold(aws.ToString(m.State), "Enabled"), Detail: "state is " + aws.ToString(m.State)},
		{Name: "current stream", Passed: streamArn != "" && aws.ToString(m.EventSourceArn) == streamArn, Detail: fmt.Sprintf("reads %s, the table's stream is %q", aws.ToString(m.EventSourceArn), streamArn)},
		{Name: "INSERT filter", Passed: insert && !modify && !remove, Detail: fmt.Sprintf("passes INSERT %t, MODIFY %t, REMOVE %t; want only INSERT", insert, modify, remove)},
		{Name: "bisect on error", Passed: aws.ToBool(m.BisectBatchOnFunctionError), Detail: "BisectBatchOnFunctionError is off"},
		{Name: "bounded retries", Passed: retries >= 0 && retries <= maxRetries, Detail: fmt.Sprintf("MaximumRetryAttempts is %d, want 0 to %d", retries, maxRetries)},
		destPart,
	}
	return partsOutcome(parts, fmt.Sprintf("the stream mapping of %s is not set up as the lab asks (change it in place with aws lambda update-event-source-mapping --uuid %s; a second create-event-source-mapping fails with ResourceConflictException)", fn, aws.ToString(m.UUID)),
		fmt.Sprintf("mapping %s: enabled on %s, INSERT only, bisect, %s, failures to %s", aws.ToString(m.UUID), streamArn, plural.Count(int(retries), "retry", "retries"), dlq))
}

func runQueueMapping(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	fn, queue, maxBatch := p.String("function", ""), p.String("queue", ""), p.Int("maxBatch", 10)
	q, err := findQueue(ctx, env, queue)
	if err != nil {
		return lookupOutcome("find queue "+queue, err)
	}
	ms, err := mappings(ctx, env, fn)
	if err != nil {
		return lookupOutcome("list the mappings of "+fn, err)
	}
	idx := slices.IndexFunc(ms, func(m lambdatypes.EventSourceMappingConfiguration) bool {
		return aws.ToString(m.EventSourceArn) == q.arn()
	})
	if idx < 0 {
		return grader.Failf("function %s has no event source mapping on queue %s", fn, queue)
	}
	m := ms[idx]
	batch := int(aws.ToInt32(m.BatchSize))
	parts := []grader.Part{
		{Name: "enabled", Passed: strings.EqualFold(aws.ToString(m.State), "Enabled"), Detail: "state is " + aws.ToString(m.State)},
		{Name: "batch size", Passed: batch >= 1 && batch <= maxBatch, Detail: fmt.Sprintf("is %d, want 1 to %d", batch, maxBatch)},
		{Name: "partial batch responses", Passed: slices.Contains(m.FunctionResponseTypes, lambdatypes.FunctionResponseTypeReportBatchItemFailures),
			Detail: "FunctionResponseTypes lacks ReportBatchItemFailures, so one bad message makes the whole batch retry"},
	}
	return partsOutcome(parts, "the queue mapping of "+fn+" is not set up as the lab asks",
		fmt.Sprintf("mapping %s: enabled on %s, batch %d, ReportBatchItemFailures", aws.ToString(m.UUID), queue, batch))
}

// filterAdmits reports whether a stream record with the event name passes
// the mapping's filters (no filters pass everything; a record passes when
// any filter matches). Only the eventName constraint is evaluated; other
// fields of a pattern are assumed satisfied.
func filterAdmits(fc *lambdatypes.FilterCriteria, eventName string) bool {
	if fc == nil || len(fc.Filters) == 0 {
		return true
	}
	for _, f := range fc.Filters {
		var pat map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(f.Pattern)), &pat); err != nil {
			continue // Lambda rejects such a pattern; it admits nothing
		}
		rule, ok := pat["eventName"]
		if !ok {
			return true
		}
		if valueMatches(rule, eventName) {
			return true
		}
	}
	return false
}

// valueMatches evaluates an event-filter rule (a list of values or
// operators) against a string value.
func valueMatches(rule any, v string) bool {
	list, ok := rule.([]any)
	if !ok {
		return false
	}
	for _, r := range list {
		switch x := r.(type) {
		case string:
			if x == v {
				return true
			}
		case map[string]any:
			for op, arg := range x {
				switch op {
				case "anything-but":
					bad := map[string]bool{}
					switch a := arg.(type) {
					case string:
						bad[a] = true
					case []any:
						for _, e := range a {
							bad[fmt.Sprint(e)] = true
						}
					}
					if !bad[v] {
						return true
					}
				case "prefix":
					if s, ok := arg.(string); ok && strings.HasPrefix(v, s) {
						return true
					}
				case "exists":
					if b, ok := arg.(bool); ok && b {
						return true
					}
				case "equals-ignore-case":
					if s, ok := arg.(string); ok && strings.EqualFold(s, v) {
						return true
					}
				}
			}
		}
	}
	return false
}
