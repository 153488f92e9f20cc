package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// batchStats counts the records event source mappings delivered
// successfully, and the batches' invocation times, from the activity bus.
type batchStats struct {
	n   atomic.Int64
	mu  sync.Mutex
	lat []time.Duration
}

func delivered(b *testing.B, bus *activity.Bus) *batchStats {
	ch, stop := bus.Subscribe(1 << 16)
	b.Cleanup(stop)
	st := &batchStats{}
	go func() {
		for e := range ch {
			if e.Kind == kindBatch && (e.Outcome == "ok" || e.Outcome == "partial") {
				st.mu.Lock()
				st.lat = append(st.lat, e.Duration)
				st.mu.Unlock()
				st.n.Add(int64(e.Status))
			}
		}
	}()
	return st
}

// report reports records/s since start and the p50/p99 of batch invocations.
func (st *batchStats) report(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	st.mu.Lock()
	defer st.mu.Unlock()
	reportLatencies(b, st.lat)
}

// waitCount waits until st counts want records.
func waitCount(b *testing.B, st *batchStats, want int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for st.n.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d records, want %d", st.n.Load(), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// eightWriters runs write(i) for i in [0, n) from 8 goroutines.
func eightWriters(b *testing.B, n int, write func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := write(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSQSMappingRecordsPerSecond measures messages sent by 8 clients
// (SendMessageBatch of 10) until the mapping has delivered them all to a
// function that reports no failures, with the p50/p99 of its batch
// invocations; the in-process case calls an equivalent handler with the
// same batches (the floor).
func BenchmarkSQSMappingRecordsPerSecond(b *testing.B) {
	b.Run("mapping", func(b *testing.B) {
		bus := activity.NewBus()
		w := newWorldBus(b, "", bus)
		n := delivered(b, bus)
		url, arn := w.queue(b, "bench", nil)
		w.function(b, "bench", 3, nil)
		w.mapping(b, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("bench"), EventSourceArn: aws.String(arn),
			FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
			ScalingConfig:         &types.ScalingConfig{MaximumConcurrency: aws.Int32(8)}})
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		eightWriters(b, (b.N+9)/10, func(i int) error {
			var entries []sqstypes.SendMessageBatchRequestEntry
			for j := range min(10, b.N-10*i) {
				entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(fmt.Sprintf(`{"order":"o-%d-%d"}`, i, j))})
			}
			_, err := w.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
			return err
		})
		waitCount(b, n, int64(b.N))
		b.StopTimer()
		n.report(b, start)
	})
	b.Run("in-process", func(b *testing.B) {
		h := lambda.NewHandler(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			var r events.SQSEventResponse
			for _, m := range ev.Records {
				if m.Body == "poison" {
					r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				}
			}
			return r, nil
		})
		var ev events.SQSEvent
		for j := range 10 {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: strconv.Itoa(j), Body: fmt.Sprintf(`{"order":"o-%d"}`, j), EventSource: "aws:sqs"})
		}
		payload, _ := json.Marshal(ev)
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i += 10 {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	})
}

// BenchmarkStreamMappingRecordsPerSecond measures items written by 8
// clients (PutItem) until the stream mapping has delivered every record;
// the in-process case calls an equivalent handler with batches of 100.
func BenchmarkStreamMappingRecordsPerSecond(b *testing.B) {
	b.Run("mapping", func(b *testing.B) {
		bus := activity.NewBus()
		w := newWorldBus(b, "", bus)
		n := delivered(b, bus)
		stream := w.table(b, "bench")
		w.function(b, "bench", 3, nil)
		w.mapping(b, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("bench"), EventSourceArn: aws.String(stream),
			StartingPosition: types.EventSourcePositionLatest, BatchSize: aws.Int32(100)})
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		eightWriters(b, b.N, func(i int) error {
			_, err := w.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)}, "n": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(i)}}})
			return err
		})
		waitCount(b, n, int64(b.N))
		b.StopTimer()
		n.report(b, start)
	})
	b.Run("in-process", func(b *testing.B) {
		h := lambda.NewHandler(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			var r events.DynamoDBEventResponse
			for _, rec := range ev.Records {
				if rec.EventName == "poison" {
					r.BatchItemFailures = append(r.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
				}
			}
			return r, nil
		})
		var recs []streamEvent
		for j := range 100 {
			recs = append(recs, streamEvent{EventName: "INSERT", EventSource: "aws:dynamodb", Dynamodb: streamChange{
				Keys:           map[string]any{"pk": map[string]any{"S": "k" + strconv.Itoa(j)}},
				NewImage:       map[string]any{"pk": map[string]any{"S": "k" + strconv.Itoa(j)}, "n": map[string]any{"N": strconv.Itoa(j)}},
				SequenceNumber: strconv.Itoa(j), StreamViewType: "NEW_AND_OLD_IMAGES"}})
		}
		payload, _ := json.Marshal(struct {
			Records []streamEvent `json:"Records"`
		}{recs})
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i += 100 {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	})
}
