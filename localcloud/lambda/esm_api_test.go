package lambda

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestESMCreateValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	_, q := w.queue(t, "q", redrive(30, "", 0))
	stream := w.table(t, "tbl")
	w.function(t, "fn", 3, nil)
	filters := func(n int) *types.FilterCriteria {
		fc := &types.FilterCriteria{}
		for range n {
			fc.Filters = append(fc.Filters, types.Filter{Pattern: aws.String(`{"body":["x"]}`)})
		}
		return fc
	}
	tests := []struct {
		name string
		in   awslambda.CreateEventSourceMappingInput
		code string
	}{
		{"no function", awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("nope"), EventSourceArn: aws.String(q)}, "ResourceNotFoundException"},
		{"unknown source", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:s3:::bucket")}, "InvalidParameterValueException"},
		{"not an ARN", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("my-queue")}, "ValidationException"},
		{"no such queue", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:nope")}, "InvalidParameterValueException"},
		{"no such stream", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/nope/stream/2024-01-01T00:00:00.000"), StartingPosition: types.EventSourcePositionLatest}, "InvalidParameterValueException"},
		{"queue in another region", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:eu-west-1:123456789012:q")}, "InvalidParameterValueException"},
		{"SQS with StartingPosition", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), StartingPosition: types.EventSourcePositionLatest}, "InvalidParameterValueException"},
		{"stream without StartingPosition", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream)}, "InvalidParameterValueException"},
		{"bad StartingPosition", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: "SOMEWHERE"}, "ValidationException"},
		{"AT_TIMESTAMP without a timestamp", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionAtTimestamp}, "InvalidParameterValueException"},
		{"BatchSize 0", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), BatchSize: aws.Int32(0)}, "ValidationException"},
		{"BatchSize 10001", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), BatchSize: aws.Int32(10001), MaximumBatchingWindowInSeconds: aws.Int32(1)}, "ValidationException"},
		{"SQS BatchSize 11 without a window", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), BatchSize: aws.Int32(11)}, "InvalidParameterValueException"},
		{"FIFO BatchSize 11", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q.fifo"), BatchSize: aws.Int32(11), MaximumBatchingWindowInSeconds: aws.Int32(1)}, "InvalidParameterValueException"},
		{"FIFO window", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q.fifo"), MaximumBatchingWindowInSeconds: aws.Int32(1)}, "InvalidParameterValueException"},
		{"window 301", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), MaximumBatchingWindowInSeconds: aws.Int32(301)}, "ValidationException"},
		{"MaximumConcurrency 1", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), ScalingConfig: &types.ScalingConfig{MaximumConcurrency: aws.Int32(1)}}, "ValidationException"},
		{"ScalingConfig on a stream", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest, ScalingConfig: &types.ScalingConfig{MaximumConcurrency: aws.Int32(5)}}, "InvalidParameterValueException"},
		{"bisect on SQS", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), BisectBatchOnFunctionError: aws.Bool(true)}, "InvalidParameterValueException"},
		{"retries on SQS", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), MaximumRetryAttempts: aws.Int32(2)}, "InvalidParameterValueException"},
		{"retries -2", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest, MaximumRetryAttempts: aws.Int32(-2)}, "ValidationException"},
		{"record age 30", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest, MaximumRecordAgeInSeconds: aws.Int32(30)}, "InvalidParameterValueException"},
		{"parallelization 11", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest, ParallelizationFactor: aws.Int32(11)}, "ValidationException"},
		{"OnFailure not a queue", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest, DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sns:us-east-1:123456789012:topic")}}}, "InvalidParameterValueException"},
		{"OnFailure on SQS", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(q)}}}, "InvalidParameterValueException"},
		{"bad response type", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), FunctionResponseTypes: []types.FunctionResponseType{"Everything"}}, "ValidationException"},
		{"invalid filter", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":"x"}`)}}}}, "InvalidParameterValueException"},
		{"six filters", awslambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(q), FilterCriteria: filters(6)}, "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.FunctionName == nil {
				in.FunctionName = aws.String("fn")
			}
			_, err := w.lc.CreateEventSourceMapping(context.Background(), &in)
			wantCode(t, err, tt.code)
		})
	}
	out, err := w.lc.ListEventSourceMappings(context.Background(), &awslambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EventSourceMappings) != 0 {
		t.Errorf("refused creates left %d mappings", len(out.EventSourceMappings))
	}
}

func TestESMLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	ctx := context.Background()
	_, q1 := w.queue(t, "q1", nil)
	_, q2 := w.queue(t, "q2", nil)
	w.function(t, "fn", 3, nil)
	m1 := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(q1),
		ScalingConfig: &types.ScalingConfig{MaximumConcurrency: aws.Int32(2)}})
	if aws.ToString(m1.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:fn" || aws.ToString(m1.EventSourceArn) != q1 ||
		aws.ToInt32(m1.ScalingConfig.MaximumConcurrency) != 2 || m1.LastModified == nil || m1.StartingPosition != "" {
		t.Errorf("got %+v, want FunctionArn of fn, EventSourceArn %s, MaximumConcurrency 2, LastModified, no StartingPosition", m1, q1)
	}
	if want := "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:" + aws.ToString(m1.UUID); aws.ToString(m1.EventSourceMappingArn) != want {
		t.Errorf("got EventSourceMappingArn %q, want %q", aws.ToString(m1.EventSourceMappingArn), want)
	}
	_, err := w.lc.CreateEventSourceMapping(ctx, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(q1)})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("second mapping fn <- q1: got %v, want ResourceConflictException", err)
	}
	m2 := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), EventSourceArn: aws.String(q2), Enabled: aws.Bool(false)})
	got, err := w.lc.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: m2.UUID})
	if err != nil || aws.ToString(got.State) != "Disabled" {
		t.Errorf("get disabled mapping: got %v, %v; want State Disabled", got, err)
	}

	list := func(in *awslambda.ListEventSourceMappingsInput) []string {
		t.Helper()
		var ids []string
		p := awslambda.NewListEventSourceMappingsPaginator(w.lc, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListEventSourceMappings: %v", err)
			}
			for _, m := range out.EventSourceMappings {
				ids = append(ids, aws.ToString(m.UUID))
			}
		}
		return ids
	}
	if ids := list(&awslambda.ListEventSourceMappingsInput{FunctionName: aws.String("fn"), MaxItems: aws.Int32(1)}); len(ids) != 2 || ids[0] != aws.ToString(m1.UUID) {
		t.Errorf("list by function, one per page: got %v, want [%s %s]", ids, aws.ToString(m1.UUID), aws.ToString(m2.UUID))
	}
	if ids := list(&awslambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(q2)}); len(ids) != 1 || ids[0] != aws.ToString(m2.UUID) {
		t.Errorf("list by source: got %v, want [%s]", ids, aws.ToString(m2.UUID))
	}
	if ids := list(&awslambda.ListEventSourceMappingsInput{FunctionName: aws.String("other")}); len(ids) != 0 {
		t.Errorf("list by another function: got %v, want none", ids)
	}

	up, err := w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: m1.UUID, BatchSize: aws.Int32(5), Enabled: aws.Bool(false),
		FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":{"a":["b"]}}`)}}}})
	if err != nil {
		t.Fatalf("UpdateEventSourceMapping: %v", err)
	}
	if aws.ToString(up.State) != "Updating" || aws.ToInt32(up.BatchSize) != 5 || len(up.FilterCriteria.Filters) != 1 {
		t.Errorf("update: got State %q, BatchSize %d, filters %v; want Updating, 5, one", aws.ToString(up.State), aws.ToInt32(up.BatchSize), up.FilterCriteria)
	}
	up, err = w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: m1.UUID, FilterCriteria: &types.FilterCriteria{}})
	if err != nil || up.FilterCriteria != nil {
		t.Errorf("clear filters: got %v, %v; want no FilterCriteria", up, err)
	}
	if _, err := w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: aws.String("00000000-0000-0000-0000-000000000000"), BatchSize: aws.Int32(5)}); err == nil {
		t.Error("update of an unknown mapping: got no error")
	} else {
		wantCode(t, err, "ResourceNotFoundException")
	}

	// Another account sees none of it.
	other := awslambda.NewFromConfig(cloudtest.Config(w.url, "210987654321", "us-east-1"))
	_, err = other.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: m1.UUID})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("other account get: got %v, want ResourceNotFoundException", err)
	}
	if out, err := other.ListEventSourceMappings(ctx, &awslambda.ListEventSourceMappingsInput{}); err != nil || len(out.EventSourceMappings) != 0 {
		t.Errorf("other account list: got %v, %v; want none", out, err)
	}
	if _, err := other.DeleteEventSourceMapping(ctx, &awslambda.DeleteEventSourceMappingInput{UUID: m1.UUID}); !errors.As(err, &nf) {
		t.Errorf("other account delete: got %v, want ResourceNotFoundException", err)
	}

	del, err := w.lc.DeleteEventSourceMapping(ctx, &awslambda.DeleteEventSourceMappingInput{UUID: m1.UUID})
	if err != nil || aws.ToString(del.State) != "Deleting" {
		t.Fatalf("delete: got %v, %v; want State Deleting", del, err)
	}
	if _, err := w.lc.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: m1.UUID}); !errors.As(err, &nf) {
		t.Errorf("get after delete: got %v, want ResourceNotFoundException", err)
	}
	// Deleting frees the function+source pair.
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(q1)})
}

func TestESMDisableStopsDelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	ctx := context.Background()
	src, arn := w.queue(t, "work", redrive(5, "", 0))
	w.function(t, "fn", 3, nil)
	m := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(arn)})
	w.send(t, src, "one")
	waitFor(t, 15*time.Second, "the first message to be consumed", func() bool { return w.depth(t, src) == 0 })
	if _, err := w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: m.UUID, Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 25*time.Second, "the pollers to stop", func() bool { return w.lam.mappingsRunning() == 0 })
	w.send(t, src, "two")
	time.Sleep(1500 * time.Millisecond)
	if d := w.depth(t, src); d != 1 {
		t.Fatalf("disabled mapping: queue depth %d, want 1 (nothing consumed)", d)
	}
	if _, err := w.lc.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: m.UUID, Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the second message to be consumed", func() bool { return w.depth(t, src) == 0 })
}

// TestESMNoGoroutineLeak runs alone (not parallel) so that the goroutine
// count is this test's own.
func TestESMNoGoroutineLeak(t *testing.T) {
	esmZip(t)
	base := runtime.NumGoroutine()
	t.Run("world", func(t *testing.T) {
		w := newWorld(t, "")
		ctx := context.Background()
		_, q := w.queue(t, "q", nil)
		stream := w.table(t, "tbl")
		w.function(t, "fn", 3, nil)
		w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(q), ScalingConfig: &types.ScalingConfig{MaximumConcurrency: aws.Int32(10)}})
		ms := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionTrimHorizon})
		waitFor(t, 30*time.Second, "pollers to start", func() bool { return runtime.NumGoroutine() > base+10 })
		w.lam.esm.mu.Lock()
		rn := w.lam.esm.runners[aws.ToString(ms.UUID)]
		w.lam.esm.mu.Unlock()
		if _, err := w.lc.DeleteEventSourceMapping(ctx, &awslambda.DeleteEventSourceMappingInput{UUID: ms.UUID}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-rn.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the deleted stream mapping's poller still runs after 10s")
		}
		if n := w.lam.mappingsRunning(); n != 1 {
			t.Errorf("got %d running mappings after deleting one of two, want 1", n)
		}
	})
	// Every service is closed now: the count must come back.
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("got %d goroutines after Close, want at most %d:\n%s", runtime.NumGoroutine(), base+2, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
