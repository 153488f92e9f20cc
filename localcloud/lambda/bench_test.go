package lambda

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// reportLatencies reports the p50 and p99 of ds in milliseconds.
func reportLatencies(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p := func(q float64) float64 { return ms(ds[int(q*float64(len(ds)-1))]) }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// BenchmarkWarmInvoke measures synchronous invocations of a warm echo
// function over the SDK from 8 concurrent clients.
func BenchmarkWarmInvoke(b *testing.B) {
	_, url := testService(b, nil)
	c := client(url, cloudtest.Account)
	createFunction(b, c, "echo", zipOf(b, "echo"), nil)
	const clients = 8
	var wg sync.WaitGroup
	for range clients { // warm 8 environments
		wg.Add(1)
		go func() { defer wg.Done(); invoke(b, c, "echo", `{}`, nil) }()
	}
	wg.Wait()
	payload := []byte(`{"order":"o-1","items":[1,2,3]}`)
	lat := make([][]time.Duration, clients)
	var next sync.Mutex
	n := 0
	b.ResetTimer()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				if n >= b.N {
					next.Unlock()
					return
				}
				n++
				next.Unlock()
				start := time.Now()
				out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("echo"), Payload: payload})
				if err != nil || out.FunctionError != nil {
					b.Errorf("invoke: %v", err)
					return
				}
				lat[i] = append(lat[i], time.Since(start))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	reportLatencies(b, all)
}

// BenchmarkWarmInvokeSequential measures one client's warm invocations:
// the overhead of the SDK, the router and the Runtime API round trip.
func BenchmarkWarmInvokeSequential(b *testing.B) {
	_, url := testService(b, nil)
	c := client(url, cloudtest.Account)
	createFunction(b, c, "echo", zipOf(b, "echo"), nil)
	invoke(b, c, "echo", `{}`, nil)
	payload := []byte(`{"order":"o-1","items":[1,2,3]}`)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("echo"), Payload: payload})
		if err != nil || out.FunctionError != nil {
			b.Fatalf("invoke: %v", err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}

// BenchmarkColdStart measures the first invocation after a configuration
// change, which retires the warm environment: process start, init and the
// invocation.
func BenchmarkColdStart(b *testing.B) {
	_, url := testService(b, nil)
	c := client(url, cloudtest.Account)
	createFunction(b, c, "echo", zipOf(b, "echo"), nil)
	ctx := context.Background()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("echo"),
			Environment:  &types.Environment{Variables: map[string]string{"N": strconv.Itoa(i)}},
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		invoke(b, c, "echo", `{}`, nil)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}

// BenchmarkInProcessHandler calls the echo handler in-process through
// aws-lambda-go: the floor under the warm invoke's overhead.
func BenchmarkInProcessHandler(b *testing.B) {
	h := lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	payload := []byte(`{"order":"o-1","items":[1,2,3]}`)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
