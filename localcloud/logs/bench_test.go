package logs_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// runParallel runs op b.N times over 8 concurrent clients and reports p50/p99.
func runParallel(b *testing.B, op func(i int) error) {
	b.Helper()
	const clients = 8
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var n atomic.Int64
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			start := time.Now()
			if err := op(i); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(start)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
	})
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkPutLogEvents(b *testing.B) {
	c, _, _ := newClient(b)
	mustGroup(b, c, "g", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7")
	ctx := context.Background()
	runParallel(b, func(i int) error {
		evs := make([]types.InputLogEvent, 10)
		now := time.Now().UnixMilli()
		for j := range evs {
			evs[j] = types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(fmt.Sprintf(`{"i":%d,"j":%d,"level":"INFO"}`, i, j))}
		}
		_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(fmt.Sprintf("s%d", i%8)), LogEvents: evs})
		return err
	})
}

func BenchmarkAppend(b *testing.B) {
	_, svc, _ := newClient(b)
	ctx := context.Background()
	runParallel(b, func(i int) error {
		return svc.Append(ctx, cloudtest.Account, "us-east-1", "/aws/lambda/fn", fmt.Sprintf("s%d", i%8), []protocol.LogEvent{
			{Time: time.Now(), Message: "START RequestId: x"}, {Time: time.Now(), Message: "hello"}, {Time: time.Now(), Message: "END RequestId: x"},
		})
	})
}

func BenchmarkFilterLogEvents(b *testing.B) {
	c, svc, _ := newClient(b)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		var evs []protocol.LogEvent
		for j := 0; j < 100; j++ {
			evs = append(evs, protocol.LogEvent{Time: time.Now(), Message: fmt.Sprintf(`{"orderId":"o-%d","latency":%d}`, i*100+j, j)})
		}
		if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "g", fmt.Sprintf("s%d", i%4), evs); err != nil {
			b.Fatal(err)
		}
	}
	runParallel(b, func(i int) error {
		_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(fmt.Sprintf(`{ $.orderId = "o-%d" }`, i%5000))})
		return err
	})
}

// BenchmarkAppendSequential is one caller appending batches one after
// another, as Lambda's log shipper does: one commit each.
func BenchmarkAppendSequential(b *testing.B) {
	_, svc, _ := newClient(b)
	ctx := context.Background()
	evs := []protocol.LogEvent{{Time: time.Now(), Message: "START"}, {Time: time.Now(), Message: "hello"}, {Time: time.Now(), Message: "END"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "/aws/lambda/fn", fmt.Sprintf("s%d", i%8), evs); err != nil {
			b.Fatal(err)
		}
	}
}
