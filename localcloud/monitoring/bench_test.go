package monitoring

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/labkit-dev/labkit/localcloud/bench"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// BenchmarkPutMetricData runs 8 concurrent aws-sdk-go-v2 clients, each
// putting one datum (two dimensions) per call, durably, against the service
// behind the real router; the baseline is a null server answering every
// call with an empty CBOR map (the most the clients can do).
// The goal is >= 5,000 calls/s.
func BenchmarkPutMetricData(b *testing.B) {
	in := func(i int) *cloudwatch.PutMetricDataInput {
		return &cloudwatch.PutMetricDataInput{Namespace: aws.String("Bench"), MetricData: []types.MetricDatum{{MetricName: aws.String("Latency"),
			Dimensions: dims("Fn", fmt.Sprintf("f%d", i%8), "Stage", "prod"), Value: aws.Float64(float64(i % 100)), Unit: types.StandardUnitMilliseconds}}}
	}
	run := func(b *testing.B, url string, compress bool) {
		bench.RunClients(b, func(int) *cloudwatch.Client {
			return cloudwatch.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"), func(o *cloudwatch.Options) {
				o.DisableRequestCompression = !compress
			})
		}, func(c *cloudwatch.Client, i int) error {
			_, err := c.PutMetricData(context.Background(), in(i))
			return err
		})
	}
	// The SDK gzips every PutMetricData body by default; "plain" clients
	// turn that off (DisableRequestCompression, an SDK option), which
	// takes most of the clients' own cost out of the loop.
	for _, compress := range []bool{true, false} {
		suffix := map[bool]string{true: "", false: "/plain"}[compress]
		b.Run("local"+suffix, func(b *testing.B) {
			svc, err := New(Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			run(b, cloudtest.Serve(b, svc.Route()), compress)
		})
		b.Run("null"+suffix, func(b *testing.B) {
			run(b, bench.NullServer(b, "application/cbor", "\xa0"), compress)
		})
	}
}

// BenchmarkPutMetricDataServer measures the service alone: a recorded
// aws-sdk-go-v2 PutMetricData request (rpcv2-cbor, gzipped, as the SDK sends
// it) replayed through the router by 8 goroutines, durably committed, with
// no client or network in the loop.
func BenchmarkPutMetricDataServer(b *testing.B) {
	var body []byte
	var header http.Header
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		header = r.Header.Clone()
		w.Header().Set("Content-Type", "application/cbor")
		w.Write([]byte{0xa0})
	}))
	c := cloudwatch.NewFromConfig(cloudtest.Config(rec.URL, cloudtest.Account, "us-east-1"))
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Bench"), MetricData: []types.MetricDatum{{
		MetricName: aws.String("Latency"), Dimensions: dims("Fn", "f1", "Stage", "prod"), Value: aws.Float64(12), Unit: types.StandardUnitMilliseconds}}})
	rec.Close()
	if err != nil || len(body) == 0 {
		b.Fatalf("record a request: %v", err)
	}
	svc, err := New(Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(svc.Route())
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, cborPathPrefix+"PutMetricData", bytes.NewReader(body))
			r.Header, r.Host = header.Clone(), "127.0.0.1"
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body.String())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}
