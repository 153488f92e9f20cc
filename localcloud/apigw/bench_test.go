package apigw

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// BenchmarkHTTPAPIInvoke drives the execute endpoint with 8 concurrent
// net/http clients; the function is an in-process fake that answers at once,
// so this measures the gateway's own overhead: routing, throttling, the 2.0
// event, response mapping and the loopback HTTP round trip.
func BenchmarkHTTPAPIInvoke(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.Now = nil })
	ctx := cloudtest.Context(b)
	e.fake.set(fnARN("fast"), func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		return protocol.InvocationResult{Payload: []byte(`{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"ok\":true}"}`)}, nil
	})
	a, _ := e.lambdaAPI("fast", "2.0", "GET /orders/{id}")
	if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
		DefaultRouteSettings: &types.RouteSettings{ThrottlingBurstLimit: aws.Int32(1 << 30), ThrottlingRateLimit: aws.Float64(1e9)}}); err != nil {
		b.Fatalf("UpdateStage: %v", err)
	}
	url := aws.ToString(a.ApiEndpoint) + "/orders/42?x=1"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	const clients = 8
	lat := make([][]time.Duration, clients)
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					failed.Store(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Store(fmt.Errorf("status %d", resp.StatusCode))
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("request failed: %v", err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}
