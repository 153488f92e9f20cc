package sqs

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// BenchmarkSendReceiveDelete runs 8 concurrent SDK clients, each looping
// send, receive, delete on one shared queue. An op is one full cycle; p50
// and p99 are cycle latencies, calls/s counts API calls.
func BenchmarkSendReceiveDelete(b *testing.B) {
	svc := newService(b, "")
	url := cloudtest.Serve(b, svc.Route())
	const clients = 8
	cs := make([]*sqs.Client, clients)
	for i := range cs {
		cs[i] = sqs.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	}
	q := createQueue(b, cs[0], "bench", nil)
	ctx := context.Background()
	var next, calls atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := cs[w]
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(fmt.Sprintf("message %d", w))}); err != nil {
					b.Errorf("SendMessage: %v", err)
					return
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), WaitTimeSeconds: 1})
				if err != nil {
					b.Errorf("ReceiveMessage: %v", err)
					return
				}
				for _, m := range out.Messages {
					if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle}); err != nil {
						b.Errorf("DeleteMessage: %v", err)
						return
					}
				}
				calls.Add(int64(2 + len(out.Messages)))
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "cycles/s")
	b.ReportMetric(float64(calls.Load())/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}
