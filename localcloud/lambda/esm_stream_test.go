package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// seenRecords collects the stream records esm-fn forwarded.
func (w *world) seenRecords(t testing.TB, seen string, want int, d time.Duration) []events.DynamoDBEventRecord {
	t.Helper()
	return decodeAll[events.DynamoDBEventRecord](t, w.collect(t, seen, want, d))
}

func pks(recs []events.DynamoDBEventRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.EventName+":"+r.Change.Keys["pk"].String())
	}
	return out
}

func TestESMStreamInsertFilter(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	stream := w.table(t, "orders")
	w.function(t, "publisher", 5, map[string]string{"SEEN_QUEUE_URL": seen})
	w.put(t, "orders", map[string]string{"pk": "before"}) // LATEST starts after it
	out := w.mapping(t, &awslambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("publisher"), EventSourceArn: aws.String(stream), StartingPosition: types.EventSourcePositionLatest,
		FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"eventName":["INSERT"]}`)}}},
	})
	if got := aws.ToInt32(out.BatchSize); got != 100 {
		t.Errorf("got BatchSize %d, want 100 (streams default)", got)
	}
	w.put(t, "orders", map[string]string{"pk": "a", "status": "new"})
	w.put(t, "orders", map[string]string{"pk": "b", "status": "new"})
	w.put(t, "orders", map[string]string{"pk": "a", "status": "paid"})
	w.del(t, "orders", "b")
	w.put(t, "orders", map[string]string{"pk": "c", "status": "new"})
	recs := w.seenRecords(t, seen, 3, 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	recs = append(recs, w.seenRecords(t, seen, 1, time.Second)...)
	if got, want := pks(recs), []string{"INSERT:a", "INSERT:b", "INSERT:c"}; !slices.Equal(got, want) {
		t.Fatalf("function saw %v, want %v", got, want)
	}
	r := recs[0]
	if r.EventSource != "aws:dynamodb" || r.EventSourceArn != stream || r.AWSRegion != "us-east-1" || r.EventVersion == "" || r.EventID == "" {
		t.Errorf("got record %+v, want eventSource aws:dynamodb, eventSourceARN %s, awsRegion us-east-1, eventVersion and eventID", r, stream)
	}
	c := r.Change
	if c.NewImage["status"].String() != "new" || c.SequenceNumber == "" || c.SizeBytes == 0 || c.StreamViewType != "NEW_AND_OLD_IMAGES" || c.ApproximateCreationDateTime.IsZero() {
		t.Errorf("got dynamodb %+v, want NewImage.status new, SequenceNumber, SizeBytes, StreamViewType NEW_AND_OLD_IMAGES, ApproximateCreationDateTime", c)
	}
}

func TestESMStreamOrderPerKey(t *testing.T) {
	t.Parallel()
	for _, factor := range []int32{1, 4} {
		t.Run(fmt.Sprint("ParallelizationFactor=", factor), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			seen := w.seenQueue(t)
			stream := w.table(t, "counters")
			w.function(t, "counter", 5, map[string]string{"SEEN_QUEUE_URL": seen})
			w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("counter"), EventSourceArn: aws.String(stream),
				StartingPosition: types.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(7), ParallelizationFactor: aws.Int32(factor)})
			const keys, per = 6, 5
			for i := range per {
				for k := range keys {
					w.put(t, "counters", map[string]string{"pk": fmt.Sprint("k", k), "n": fmt.Sprint(i)})
				}
			}
			recs := w.seenRecords(t, seen, keys*per, 20*time.Second)
			if len(recs) != keys*per {
				t.Fatalf("function saw %d records, want %d", len(recs), keys*per)
			}
			next := map[string]int{}
			prevSeq := ""
			for _, r := range recs {
				k, n := r.Change.Keys["pk"].String(), r.Change.NewImage["n"].String()
				if want := fmt.Sprint(next[k]); n != want {
					t.Fatalf("key %s: got n=%s, want %s (out of order)", k, n, want)
				}
				next[k]++
				if s := r.Change.SequenceNumber; factor == 1 && len(s) == len(prevSeq) && s <= prevSeq {
					t.Fatalf("sequence number %s after %s", s, prevSeq)
				}
				prevSeq = r.Change.SequenceNumber
			}
		})
	}
}

// onFailure reads the invocation records in a destination queue.
func (w *world) onFailure(t testing.TB, url string, want int) []failureRecord {
	t.Helper()
	return decodeAll[failureRecord](t, w.collect(t, url, want, 20*time.Second))
}

func TestESMStreamBisectRetriesOnFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	dest, destArn := w.queue(t, "publisher-dlq", nil)
	stream := w.table(t, "events")
	w.function(t, "strict", 5, map[string]string{"SEEN_QUEUE_URL": seen, "MODE": "error"})
	for _, pk := range []string{"a", "b", "poison", "c"} {
		w.put(t, "events", map[string]string{"pk": pk})
	}
	out := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("strict"), EventSourceArn: aws.String(stream),
		StartingPosition: types.EventSourcePositionTrimHorizon, BisectBatchOnFunctionError: aws.Bool(true), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(destArn)}}})
	if out.DestinationConfig == nil || out.DestinationConfig.OnFailure == nil {
		t.Fatalf("got no DestinationConfig.OnFailure in %+v", out)
	}
	if aws.ToInt32(out.MaximumRetryAttempts) != 1 || !aws.ToBool(out.BisectBatchOnFunctionError) || aws.ToString(out.DestinationConfig.OnFailure.Destination) != destArn {
		t.Errorf("got MaximumRetryAttempts %d, Bisect %v, OnFailure %v; want 1, true, %s", aws.ToInt32(out.MaximumRetryAttempts), aws.ToBool(out.BisectBatchOnFunctionError), out.DestinationConfig, destArn)
	}
	frs := w.onFailure(t, dest, 1)
	if len(frs) != 1 {
		t.Fatalf("got %d OnFailure records, want 1", len(frs))
	}
	fr := frs[0]
	if fr.RequestContext.Condition != "RetryAttemptsExhausted" || fr.RequestContext.FunctionArn == "" || fr.RequestContext.ApproximateInvokeCount < 2 ||
		fr.Version != "1.0" || fr.ResponseContext.FunctionError != "Unhandled" || fr.ResponseContext.StatusCode != 200 || fr.Timestamp == "" {
		t.Errorf("got OnFailure record %+v, want RetryAttemptsExhausted, version 1.0, functionError Unhandled", fr)
	}
	bi := fr.DDBStreamBatchInfo
	if bi.BatchSize != 1 || bi.StreamArn != stream || bi.StartSequenceNumber != bi.EndSequenceNumber || bi.ShardID == "" || bi.ApproximateArrivalOfFirstRecord == "" {
		t.Errorf("got DDBStreamBatchInfo %+v, want the poison record alone", bi)
	}
	// Every good record was processed once in a successful batch; they may
	// also appear in failed batches before the split isolated the poison.
	w.put(t, "events", map[string]string{"pk": "after"})
	var got []string
	waitFor(t, 15*time.Second, "the record after the poison", func() bool {
		for _, m := range w.drain(t, seen, 0) {
			var r events.DynamoDBEventRecord
			json.Unmarshal([]byte(aws.ToString(m.Body)), &r)
			got = append(got, r.Change.Keys["pk"].String())
		}
		return slices.Contains(got, "after")
	})
	for _, pk := range []string{"a", "b", "c"} {
		if !slices.Contains(got, pk) {
			t.Errorf("function never saw %s (saw %v)", pk, got)
		}
	}
}

func TestESMStreamPartialFailureResumesFromLowest(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	dest, destArn := w.queue(t, "dest", nil)
	stream := w.table(t, "items")
	w.function(t, "reporter", 5, map[string]string{"SEEN_QUEUE_URL": seen})
	for _, pk := range []string{"a", "b", "poison", "c", "d"} {
		w.put(t, "items", map[string]string{"pk": pk})
	}
	w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("reporter"), EventSourceArn: aws.String(stream),
		StartingPosition: types.EventSourcePositionTrimHorizon, MaximumRetryAttempts: aws.Int32(1),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		DestinationConfig:     &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(destArn)}}})
	frs := w.onFailure(t, dest, 1)
	if len(frs) != 1 || frs[0].DDBStreamBatchInfo.BatchSize != 3 {
		t.Fatalf("got OnFailure records %+v, want one for the 3 records from the poison on", frs)
	}
	recs := w.seenRecords(t, seen, 8, 10*time.Second)
	var got []string
	for _, r := range recs {
		got = append(got, r.Change.Keys["pk"].String())
	}
	if want := []string{"a", "b", "poison", "c", "d", "poison", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("function saw %v, want %v", got, want)
	}
	if first := recs[2].Change.SequenceNumber; frs[0].DDBStreamBatchInfo.StartSequenceNumber != first {
		t.Errorf("got startSequenceNumber %s, want the poison's %s", frs[0].DDBStreamBatchInfo.StartSequenceNumber, first)
	}
}

func TestESMStreamCheckpointSurvivesRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	stream := w.table(t, "ledger")
	w.function(t, "ledger", 5, map[string]string{"SEEN_QUEUE_URL": seen})
	out := w.mapping(t, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("ledger"), EventSourceArn: aws.String(stream),
		StartingPosition: types.EventSourcePositionLatest})
	w.put(t, "ledger", map[string]string{"pk": "1"})
	w.put(t, "ledger", map[string]string{"pk": "2"})
	before := w.seenRecords(t, seen, 2, 15*time.Second)
	if got := pks(before); !slices.Equal(got, []string{"INSERT:1", "INSERT:2"}) {
		t.Fatalf("before the restart the function saw %v, want INSERT:1, INSERT:2", got)
	}
	w.waitCheckpoint(t, aws.ToString(out.UUID), before[1].Change.SequenceNumber)
	if err := w.lam.Close(); err != nil {
		t.Fatal(err)
	}
	w.put(t, "ledger", map[string]string{"pk": "3"}) // while Lambda is down
	w.startLambda(t)
	w.put(t, "ledger", map[string]string{"pk": "4"})
	recs := w.seenRecords(t, seen, 2, 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	recs = append(recs, w.seenRecords(t, seen, 1, time.Second)...)
	if got := pks(recs); !slices.Equal(got, []string{"INSERT:3", "INSERT:4"}) {
		t.Errorf("after the restart the function saw %v, want INSERT:3, INSERT:4", got)
	}
	got, err := w.lc.GetEventSourceMapping(context.Background(), &awslambda.GetEventSourceMappingInput{UUID: out.UUID})
	if err != nil {
		t.Fatalf("GetEventSourceMapping after the restart: %v", err)
	}
	if aws.ToString(got.State) != "Enabled" || string(got.StartingPosition) != "LATEST" {
		t.Errorf("got State %q, StartingPosition %q after the restart; want Enabled, LATEST", aws.ToString(got.State), got.StartingPosition)
	}
}

// TestESMStreamRecordAgeExceeded hands the stream batch logic records older
// than MaximumRecordAgeInSeconds (60 s at least, too long to wait for): they
// go to the OnFailure destination without invoking the function.
func TestESMStreamRecordAgeExceeded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	seen := w.seenQueue(t)
	dest, destArn := w.queue(t, "aged", nil)
	w.function(t, "fn", 3, map[string]string{"SEEN_QUEUE_URL": seen})
	m := &mapping{UUID: "00000000-0000-0000-0000-0000000000a1", Account: cloudtest.Account, Region: "us-east-1", Function: "fn",
		FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn", Source: "arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/2026-01-01T00:00:00.000",
		Kind: esmStream, BatchSize: 100, MaxRetry: -1, MaxAge: 60, OnFailure: destArn}
	r := &esmRunner{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	old := time.Now().Add(-2 * time.Minute)
	batch := []streamRecord{
		{seq: "100000000000000000001", arrival: old, ev: streamEvent{EventName: "INSERT"}},
		{seq: "100000000000000000002", arrival: old.Add(time.Second), ev: streamEvent{EventName: "INSERT"}},
	}
	if !w.lam.streamBatch(context.Background(), r, "shardId-1", batch) {
		t.Fatal("streamBatch stopped early")
	}
	frs := w.onFailure(t, dest, 1)
	if len(frs) != 1 {
		t.Fatalf("got %d OnFailure records, want 1", len(frs))
	}
	fr := frs[0]
	if fr.RequestContext.Condition != "RecordAgeExceeded" || fr.RequestContext.ApproximateInvokeCount != 0 || fr.DDBStreamBatchInfo.BatchSize != 2 ||
		fr.DDBStreamBatchInfo.StartSequenceNumber != batch[0].seq || fr.DDBStreamBatchInfo.EndSequenceNumber != batch[1].seq || fr.DDBStreamBatchInfo.ShardID != "shardId-1" {
		t.Errorf("got %+v, want RecordAgeExceeded for both records, no invocation", fr)
	}
	if n := len(w.drain(t, seen, 0)); n != 0 {
		t.Errorf("the function saw %d records, want none", n)
	}
}

// waitCheckpoint polls until the mapping's committed checkpoint reaches
// sequence number seq (stream sequence numbers are decimal strings).
func (w *world) waitCheckpoint(t *testing.T, uuid, seq string) {
	t.Helper()
	want, ok := new(big.Int).SetString(seq, 10)
	if !ok {
		t.Fatalf("sequence number %q is not decimal", seq)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := w.lam.db.Query(`SELECT seq FROM esm_checkpoints WHERE uuid = ?`, uuid)
		if err != nil {
			t.Fatal(err)
		}
		reached := false
		for rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				if got, ok := new(big.Int).SetString(s, 10); ok && got.Cmp(want) >= 0 {
					reached = true
				}
			}
		}
		rows.Close()
		if reached {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s never checkpointed sequence number %s", uuid, seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
