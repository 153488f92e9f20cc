package lambda

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// redrive returns queue attributes sending messages to dlqArn after n receives.
func redrive(vt int, dlqArn string, n int) map[string]string {
	a := map[string]string{"VisibilityTimeout": fmt.Sprint(vt)}
	if dlqArn != "" {
		a["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlqArn, n)
	}
	return a
}

func TestESMSQSPartialBatchFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	dlq, dlqArn := w.queue(t, "orders-dlq", nil)
	src, srcArn := w.queue(t, "orders", redrive(2, dlqArn, 2))
	w.function(t, "worker", 2, map[string]string{"SEEN_QUEUE_URL": seen})
	out := w.mapping(t, &awslambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("worker"), EventSourceArn: aws.String(srcArn), BatchSize: aws.Int32(10),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
	})
	if got := aws.ToString(out.State); got != "Creating" {
		t.Errorf("got State %q after create, want Creating", got)
	}
	if got := aws.ToInt32(out.BatchSize); got != 10 {
		t.Errorf("got BatchSize %d, want 10", got)
	}
	w.send(t, src, "order-1", "order-2", "poison-1", "order-3", "poison-2", "order-4")

	var dead []string
	waitFor(t, 30*time.Second, "the poison messages in the DLQ", func() bool {
		for _, m := range w.drain(t, dlq, 0) {
			dead = append(dead, aws.ToString(m.Body))
		}
		return len(dead) >= 2 && w.depth(t, src) == 0
	})
	slices.Sort(dead)
	if want := []string{"poison-1", "poison-2"}; !slices.Equal(dead, want) {
		t.Errorf("got DLQ %v, want %v", dead, want)
	}
	recs := decodeAll[events.SQSMessage](t, w.collect(t, seen, 8, 10*time.Second))
	count := map[string]int{}
	for _, r := range recs {
		count[r.Body]++
		if r.EventSource != "aws:sqs" || r.EventSourceARN != srcArn || r.AWSRegion != "us-east-1" {
			t.Errorf("got eventSource %q, eventSourceARN %q, awsRegion %q; want aws:sqs, %s, us-east-1", r.EventSource, r.EventSourceARN, r.AWSRegion, srcArn)
		}
		if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody == "" || r.Md5OfMessageAttributes == "" {
			t.Errorf("record %+v lacks messageId, receiptHandle, md5OfBody or md5OfMessageAttributes", r)
		}
		for _, a := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
			if r.Attributes[a] == "" {
				t.Errorf("record of %s has no attribute %s (%v)", r.Body, a, r.Attributes)
			}
		}
		if a := r.MessageAttributes["kind"]; aws.ToString(a.StringValue) != "test" || a.DataType != "String" {
			t.Errorf("got messageAttributes %+v, want kind=test (String)", r.MessageAttributes)
		}
	}
	for _, b := range []string{"order-1", "order-2", "order-3", "order-4"} {
		if count[b] != 1 {
			t.Errorf("%s delivered %d times, want once", b, count[b])
		}
	}
	for _, b := range []string{"poison-1", "poison-2"} {
		if count[b] != 2 {
			t.Errorf("%s delivered %d times, want 2 (maxReceiveCount)", b, count[b])
		}
	}
	got, err := w.lc.GetEventSourceMapping(context.Background(), &awslambda.GetEventSourceMappingInput{UUID: out.UUID})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.State) != "Enabled" || aws.ToString(got.LastProcessingResult) != "OK" {
		t.Errorf("got State %q, LastProcessingResult %q; want Enabled, OK", aws.ToString(got.State), aws.ToString(got.LastProcessingResult))
	}
}

func TestESMSQSWholeBatchError(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	dlq, dlqArn := w.queue(t, "jobs-dlq", nil)
	src, srcArn := w.queue(t, "jobs", redrive(2, dlqArn, 2))
	w.function(t, "failing", 2, map[string]string{"SEEN_QUEUE_URL": seen, "MODE": "fail"})
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("failing"), EventSourceArn: aws.String(srcArn),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}})
	w.send(t, src, "a", "b", "c")
	var dead []string
	waitFor(t, 30*time.Second, "every message in the DLQ", func() bool {
		for _, m := range w.drain(t, dlq, 0) {
			dead = append(dead, aws.ToString(m.Body))
		}
		return len(dead) >= 3
	})
	slices.Sort(dead)
	if want := []string{"a", "b", "c"}; !slices.Equal(dead, want) {
		t.Errorf("got DLQ %v, want %v", dead, want)
	}
	if n := len(w.collect(t, seen, 6, 10*time.Second)); n != 6 {
		t.Errorf("function saw %d records, want 6 (3 messages, 2 receives each)", n)
	}
}

func TestESMSQSVisibilityTimeoutRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	_, arn := w.queue(t, "short", redrive(5, "", 0))
	w.function(t, "slow", 30, nil)
	w.function(t, "quick", 5, nil)
	ctx := context.Background()
	_, err := w.lc.CreateEventSourceMapping(ctx, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("slow"), EventSourceArn: aws.String(arn)})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Fatalf("create: got %v, want InvalidParameterValueException", err)
	}
	if want := "Queue visibility timeout: 5 seconds is less than Function timeout: 30 seconds"; !strings.Contains(aws.ToString(ipv.Message), want) {
		t.Errorf("got message %q, want it to contain %q", aws.ToString(ipv.Message), want)
	}
	out := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("quick"), EventSourceArn: aws.String(arn)})
	_, err = w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: out.UUID, FunctionName: aws.String("slow")})
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), "is less than Function timeout: 30 seconds") {
		t.Errorf("update to a slower function: got %v, want InvalidParameterValueException about the visibility timeout", err)
	}
}

func TestESMSQSFilterDeletesNonMatching(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	src, srcArn := w.queue(t, "events", redrive(5, "", 0))
	w.function(t, "picky", 3, map[string]string{"SEEN_QUEUE_URL": seen})
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("picky"), EventSourceArn: aws.String(srcArn),
		FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{
			{Pattern: aws.String(`{"body": {"type": ["order"], "total": [{"numeric": [">", 10]}]}}`)},
			{Pattern: aws.String(`{"body": [{"prefix": "urgent:"}]}`)},
		}}})
	w.send(t, src, `{"type":"order","total":25}`, `{"type":"order","total":5}`, `{"type":"refund","total":50}`, "urgent: call", "plain text")
	waitFor(t, 20*time.Second, "the queue to empty", func() bool { return w.depth(t, src) == 0 })
	bodies := w.collect(t, seen, 2, 5*time.Second)
	var got []string
	for _, r := range decodeAll[events.SQSMessage](t, bodies) {
		got = append(got, r.Body)
	}
	slices.Sort(got)
	if want := []string{"urgent: call", `{"type":"order","total":25}`}; !slices.Equal(got, want) {
		t.Errorf("function saw %q, want %q", got, want)
	}
}

func TestESMSQSReservedConcurrencyAndRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	ctx := context.Background()
	src, arn := w.queue(t, "work", redrive(5, "", 0))
	w.function(t, "fn", 3, nil)
	if _, err := w.lc.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	m := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(arn)})
	w.send(t, src, "held")
	time.Sleep(1500 * time.Millisecond)
	if d := w.depth(t, src); d != 1 {
		t.Fatalf("reserved concurrency 0: queue depth %d, want 1 (nothing consumed)", d)
	}

	// The mapping survives a restart and resumes once the function may run.
	if err := w.lam.Close(); err != nil {
		t.Fatal(err)
	}
	w.startLambda(t)
	got, err := w.lc.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: m.UUID})
	if err != nil || aws.ToString(got.EventSourceArn) != arn || aws.ToString(got.State) != "Enabled" {
		t.Fatalf("after the restart: got %+v, %v; want the Enabled mapping of %s", got, err, arn)
	}
	if _, err := w.lc.DeleteFunctionConcurrency(ctx, &awslambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the held message to be consumed", func() bool { return w.depth(t, src) == 0 })
}

func TestESMPublishesBatches(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	ch, stop := bus.Subscribe(256)
	defer stop()
	w := newWorldBus(t, "", bus)
	src, arn := w.queue(t, "acts", redrive(5, "", 0))
	w.function(t, "fn", 3, nil)
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(arn),
		FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":["keep"]}`)}}}})
	w.send(t, src, "keep", "drop")
	var batch, filtered, invocation bool
	timeout := time.After(15 * time.Second)
	for !(batch && filtered && invocation) {
		select {
		case e := <-ch:
			switch {
			case e.Kind == kindBatch && e.Outcome == "ok" && e.Name == "fn" && e.Route == arn && e.Status == 1:
				batch = true
			case e.Kind == kindBatch && e.Outcome == "filtered" && e.Status == 1:
				filtered = true
			case e.Kind == activity.KindInvocation && e.Name == "fn":
				invocation = true
			}
		case <-timeout:
			t.Fatalf("got batch %v, filtered %v, invocation %v events; want all", batch, filtered, invocation)
		}
	}
}

func TestESMSQSFIFOOrderPerGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	src, arn := w.queue(t, "orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "10"})
	w.function(t, "fifo", 3, map[string]string{"SEEN_QUEUE_URL": seen})
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fifo"), EventSourceArn: aws.String(arn), BatchSize: aws.Int32(3)})
	const groups, per = 3, 6
	for i := range per {
		for g := range groups {
			if _, err := w.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(src),
				MessageBody: aws.String(fmt.Sprintf("g%d-%d", g, i)), MessageGroupId: aws.String(fmt.Sprint("g", g))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	recs := decodeAll[events.SQSMessage](t, w.collect(t, seen, groups*per, 20*time.Second))
	if len(recs) != groups*per {
		t.Fatalf("function saw %d messages, want %d", len(recs), groups*per)
	}
	next := map[string]int{}
	for _, r := range recs {
		g := r.Attributes["MessageGroupId"]
		if want := fmt.Sprintf("%s-%d", g, next[g]); r.Body != want {
			t.Fatalf("group %s: got %s, want %s (out of order)", g, r.Body, want)
		}
		next[g]++
	}
}

func TestESMSQSMissingFunctionLeavesMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	ctx := context.Background()
	src, arn := w.queue(t, "orphan", redrive(5, "", 0))
	w.function(t, "gone", 3, nil)
	m := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("gone"), EventSourceArn: aws.String(arn)})
	if _, err := w.lc.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	w.send(t, src, "waiting")
	time.Sleep(1500 * time.Millisecond)
	out, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(src), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Attributes["ApproximateNumberOfMessages"]; got != "1" {
		t.Errorf("got %s visible messages, want 1 (not received while the function is missing)", got)
	}
	got, err := w.lc.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: m.UUID})
	if err != nil {
		t.Fatal(err)
	}
	if r := aws.ToString(got.LastProcessingResult); r != "PROBLEM: Function not found" {
		t.Errorf("got LastProcessingResult %q, want PROBLEM: Function not found", r)
	}
}
