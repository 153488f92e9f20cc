package monitoring

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/labkit-dev/labkit/localcloud/bench"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
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
	run := func(b *testing.B, url string) {
		bench.RunClients(b, func(int) *cloudwatch.Client {
			return cloudwatch.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
		}, func(c *cloudwatch.Client, i int) error {
			_, err := c.PutMetricData(context.Background(), in(i))
			return err
		})
	}
	b.Run("local", func(b *testing.B) {
		svc, err := New(Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		defer svc.Close()
		run(b, cloudtest.Serve(b, svc.Route()))
	})
	b.Run("null", func(b *testing.B) {
		run(b, bench.NullServer(b, "application/cbor", "\xa0"))
	})
}
