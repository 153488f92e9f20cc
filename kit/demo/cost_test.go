package demo

import (
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud/activity"
)

func cents(usd float64) int64 { return int64(math.Round(usd * 100)) }

// TestCostOfLabSixMonth prices lab 6's month (300,000 orders, its per-order
// figures) by hand: the meter must agree with the lab to the cent.
func TestCostOfLabSixMonth(t *testing.T) {
	u := Usage{
		APIRequests:     300_000,
		LambdaRequests:  1_500_000, // 5 invocations an order
		LambdaGBSeconds: 37_500,    // 5 x 100 ms x 0.25 GB an order
		DynamoWRU:       900_000,   // 1 put + 2 status updates
		DynamoRRU:       600_000,   // 2 worker reads
		SNSPublishes:    300_000,
		SQSRequests:     1_800_000, // 2 queues x (send + receive + delete)
		LogBytes:        900_000_000,
		Orders:          300_000,
		Seconds:         3600,
	}
	e := Cost(u, ListPrices)
	// By hand: 0.30 + 0.30 + 37,500 x 0.0000166667 (0.62500125) + 0.5625 + 0.075 + 0.15 + 0.72 + 0.45.
	want := map[string]int64{"API Gateway": 30, "Lambda requests": 30, "Lambda duration": 63, "DynamoDB writes": 56,
		"DynamoDB reads": 8, "SNS": 15, "SQS": 72, "CloudWatch Logs": 45}
	require.Len(t, e.Lines, len(want))
	for _, l := range e.Lines {
		assert.Equal(t, want[l.Service], cents(l.USD), "%s: %v", l.Service, l.USD)
	}
	assert.Equal(t, int64(318), cents(e.USD), "total %v", e.USD) // 3.18250125
	assert.Equal(t, int64(1061), cents(e.PerMillionOrders))      // 3.1825 / 0.3
	assert.Equal(t, int64(318), cents(e.MonthUSD))
	// The old design: 2 x 730 x 0.096 + 730 x 0.342 + 100 x 0.23 + 730 x 0.0225 + 6 = 435.245.
	assert.Equal(t, int64(43525), cents(e.OldMonthUSD))
	assert.Equal(t, int64(60), cents(e.OldHourUSD)) // 435.245 / 730 = 0.5962
	assert.Equal(t, int64(60), cents(e.OldRunUSD))  // the run lasted an hour
}

// TestMeterCountsWhatIsBilled feeds a fixed activity record through the
// meter: only the decoupled design's billable calls count, observers' calls
// and the other account's do not, and the cost follows by hand.
func TestMeterCountsWhatIsBilled(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	top := &topology{account: "999999999999", monoAccount: "999999999998", api: "api1", monoAPI: "mono1", dsAPI: "ds1",
		nodes:  map[string]string{"order-intake": "intake", "inventory-worker": "invWorker", "inventory-service": "inventory", "order-authorizer": "authorizer"},
		memory: map[string]int{"order-intake": 256, "inventory-worker": 512, "inventory-service": 256, "order-authorizer": 128},
		queues: map[string]string{"inventory-orders": "invQueue"}, streamARN: "arn:stream"}
	d := &Demo{meter: newMeter(t0), top: *top, dsWrites: 40, logBytes: 3_000_000, logBase: 1_000_000}
	var rec []activity.Event
	many := func(n int, e activity.Event) {
		for i := range n {
			e.Time = t0.Add(time.Duration(i) * time.Millisecond)
			rec = append(rec, e)
		}
	}
	const dec, mono = "999999999999", "999999999998"
	many(100, activity.Event{Kind: activity.KindHTTPAPI, Account: dec, Name: "api1", Status: 201, Duration: 80 * time.Millisecond})
	many(10, activity.Event{Kind: activity.KindHTTPAPI, Account: dec, Name: "api1", Status: 429})
	many(5, activity.Event{Kind: activity.KindHTTPAPI, Account: dec, Name: "api1", Status: 401}) // refused by the authorizer: not billed
	many(100, activity.Event{Kind: activity.KindInvocation, Account: dec, Name: "order-intake", Outcome: "ok", Duration: 99500 * time.Microsecond})
	many(50, activity.Event{Kind: activity.KindInvocation, Account: dec, Name: "inventory-worker", Outcome: "ok", Duration: 200 * time.Millisecond})
	many(3, activity.Event{Kind: activity.KindInvocation, Account: dec, Name: "inventory-worker", Outcome: "throttled"})
	many(60, activity.Event{Kind: activity.KindInvocation, Account: dec, Name: "inventory-service", Outcome: "ok", Duration: time.Second}) // downstream: not the design's
	many(100, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "dynamodb", Name: "PutItem", Status: 200})
	many(140, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "dynamodb", Name: "UpdateItem", Status: 200})
	many(7, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "dynamodb", Name: "UpdateItem", Status: 400})
	many(100, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "dynamodb", Name: "GetItem", Status: 200})
	many(30, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "dynamodb", Name: "Scan", Status: 200})
	many(100, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "sns", Name: "Publish", Status: 200})
	many(50, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "sqs", Name: "ReceiveMessage", Status: 200})
	many(50, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "sqs", Name: "DeleteMessageBatch", Status: 200})
	many(20, activity.Event{Kind: activity.KindRequest, Account: dec, Service: "sqs", Name: "GetQueueAttributes", Status: 200})
	many(100, activity.Event{Kind: activity.KindHTTPAPI, Account: mono, Name: "mono1", Status: 502, Duration: time.Second})
	many(100, activity.Event{Kind: activity.KindRequest, Account: mono, Service: "dynamodb", Name: "PutItem", Status: 200})
	many(100, activity.Event{Kind: activity.KindRequest, Account: "123456789012", Service: "dynamodb", Name: "PutItem", Status: 200})
	for _, e := range rec {
		d.meter.count(e, &d.top, ListPrices)
	}
	u := d.usage(t0.Add(30 * time.Minute))
	assert.Equal(t, Usage{
		APIRequests:    110,
		LambdaRequests: 150,
		// 100 x 0.100 s (99.5 ms billed as 100 ms) x 0.25 GB + 50 x 0.2 s x 0.5 GB = 2.5 + 5
		LambdaGBSeconds: 7.5,
		DynamoWRU:       200, // 100 puts + 140 updates - 40 downstream writes
		DynamoRRU:       100,
		SNSPublishes:    100,
		SQSRequests:     300, // 50 receives + 50 deletes + 2 x 100 deliveries
		LogBytes:        2_000_000,
		Orders:          100,
		Seconds:         1800,
	}, roundUsage(u))
	// By hand, in millionths of a dollar: API 110, Lambda 30 + 125 (7.5 x 16.6667), DynamoDB 125 + 12.5,
	// SNS 50, SQS 120, logs 1000: 1572.5.
	e := Cost(u, ListPrices)
	assert.InDelta(t, 0.0015725, e.USD, 1e-9)
	assert.Equal(t, int64(30), cents(e.OldRunUSD)) // half an hour of 0.5962
	side := d.side("monolith", 100, 0, 0)
	assert.Equal(t, 100, side.Failed)
	assert.Equal(t, 100, side.Inconsistent)
	assert.Equal(t, 1000.0, side.Latency.P50)
}

// roundUsage rounds the float fields to 9 places (sums of float seconds).
func roundUsage(u Usage) Usage {
	r := func(f float64) float64 { return math.Round(f*1e9) / 1e9 }
	u.LambdaGBSeconds, u.DynamoWRU, u.DynamoRRU, u.Seconds = r(u.LambdaGBSeconds), r(u.DynamoWRU), r(u.DynamoRRU), r(u.Seconds)
	return u
}

// TestPricesAreLabSixs: lab 6's price table and worked estimate say the
// same as the meter's ListPrices, so the class can check one against the
// other (a price changed in one place fails here until changed in both).
func TestPricesAreLabSixs(t *testing.T) {
	b, err := fs.ReadFile(labs.Content, "week1/lab6-cost-decision/lab.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		if k := strings.TrimSpace(cells[1]); rows[k] == "" { // the price table comes before the estimates
			rows[k] = line
		}
	}
	p := ListPrices
	g := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for row, want := range map[string][]string{
		"Lambda (x86)":                                    {fmt.Sprintf("%.2f per million requests", p.LambdaPerMillion), g(p.LambdaPerGBSecond) + " per GB-second"},
		"API Gateway HTTP API":                            {fmt.Sprintf("%.2f per million requests", p.APIPerMillion)},
		"DynamoDB on-demand":                              {g(p.DynamoWritePerMillion) + " per million write", g(p.DynamoReadPerMillion) + " per million read"},
		"SNS standard":                                    {fmt.Sprintf("%.2f per million publishes", p.SNSPublishPerMillion), "deliveries to SQS free"},
		"SQS standard":                                    {fmt.Sprintf("%.2f per million requests", p.SQSPerMillion)},
		"CloudWatch Logs":                                 {fmt.Sprintf("%.2f per GB ingested", p.LogsPerGB)},
		"EC2 m6i.large (2 vCPU, 8 GiB)":                   {g(p.EC2PerHour) + " per hour"},
		"RDS for MySQL db.m6i.large, Multi-AZ":            {g(p.RDSMultiAZPerHour) + " per hour", g(p.RDSStoragePerGBMonth) + " per GB-month"},
		"Application Load Balancer":                       {g(p.ALBPerHour) + " per hour"},
		fmt.Sprintf("%d × EC2 m6i.large", p.OldInstances): {"140.16"},
		"RDS storage, 100 GB gp3 Multi-AZ":                {"23.00"},
	} {
		line, ok := rows[row]
		if !assert.True(t, ok, "lab 6 has no row %q", row) {
			continue
		}
		for _, w := range want {
			assert.Contains(t, line, w, "lab 6's row %q", row)
		}
	}
	assert.Contains(t, string(b), "in **us-east-1 (N. Virginia)**, in USD, as published in "+p.AsOf)
	assert.Contains(t, string(b), "**about 435**")
	assert.Equal(t, int64(435), int64(p.OldMonth()), "lab 6's always-on month")
}
