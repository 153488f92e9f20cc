package sns

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// clients is how many SDK clients the benchmarks run at once.
const clients = 8

// BenchmarkPublishFanout2 publishes to a topic with two SQS subscriptions
// (one enveloped, one raw) on the real SQS service, from 8 concurrent SDK
// clients; every Publish answers after both queues hold the message.
func BenchmarkPublishFanout2(b *testing.B) {
	c := newCloud(b)
	topic := createTopic(b, c.sns, "bench", nil)
	_, q1 := c.queue(b, "bench-1", topic)
	_, q2 := c.queue(b, "bench-2", topic)
	subscribe(b, c.sns, topic, "sqs", q1, nil)
	subscribe(b, c.sns, topic, "sqs", q2, map[string]string{"RawMessageDelivery": "true"})

	var mu sync.Mutex
	var lat []time.Duration
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		client := awssns.NewFromConfig(cloudtest.Config(c.url, cloudtest.Account, "us-east-1"))
		in := &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(`{"orderId":"o-1","total":42}`),
			MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("order")}}}
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := client.Publish(context.Background(), in); err != nil {
				b.Errorf("Publish: %v", err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
}

// reportLatency adds ops/s, p50 and p99 to the benchmark's output.
func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkPublishLambda publishes to a topic with one Lambda subscription
// (a fake invoker): each Publish commits a delivery to the outbox, which the
// workers then invoke and remove.
func BenchmarkPublishLambda(b *testing.B) {
	fn := &fakeFunctions{}
	env := newEnv(b, Config{Functions: fn})
	c := env.client(cloudtest.Account)
	topic := createTopic(b, c, "bench-lambda", nil)
	subscribe(b, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:f", nil)

	var mu sync.Mutex
	var lat []time.Duration
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		client := awssns.NewFromConfig(cloudtest.Config(env.url, cloudtest.Account, "us-east-1"))
		in := &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(`{"orderId":"o-1"}`)}
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := client.Publish(context.Background(), in); err != nil {
				b.Errorf("Publish: %v", err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
	n := len(lat)
	waitFor(b, "every invocation", 30*time.Second, func() bool { return fn.count() >= n })
}
