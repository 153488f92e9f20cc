package dynamo

import (
	"context"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

const benchClients = 8

// runClients runs op from 8 concurrent SDK clients (one per goroutine) and
// reports latency percentiles and throughput.
func runClients(b *testing.B, url string, op func(ctx context.Context, c *dynamodb.Client, i int64) error) {
	b.Helper()
	clients := make([]*dynamodb.Client, benchClients)
	for i := range clients {
		clients[i] = dynamodb.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	}
	p := (benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.SetParallelism(p)
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var clientID atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := clients[int(clientID.Add(1)-1)%benchClients]
		var mine []time.Duration
		for pb.Next() {
			i := next.Add(1)
			t0 := time.Now()
			if err := op(ctx, c, i); err != nil {
				b.Error(err)
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
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*q))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "ops/s")
}

func benchEnv(b *testing.B) *env {
	b.Helper()
	e := newEnv(b)
	createTable(b, e.db, "bench", withRange("sk", types.ScalarAttributeTypeN))
	return e
}

func benchItem(i int64) item {
	return item{"pk": s(fmt.Sprintf("user-%d", i%100)), "sk": n(fmt.Sprint(i)), "name": s("some name"), "count": n("42"), "tags": ss("a", "b")}
}

// BenchmarkNullPutItem is the reference: the same SDK calls against a server
// that answers a fixed reply.
func BenchmarkNullPutItem(b *testing.B) {
	body := []byte("{}")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
		w.Write(body)
	}))
	defer srv.Close()
	runClients(b, srv.URL, func(ctx context.Context, c *dynamodb.Client, i int64) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: benchItem(i)})
		return err
	})
}

func BenchmarkPutItem(b *testing.B) {
	e := benchEnv(b)
	b0, r0, a0 := e.svc.com.batches.Load(), e.svc.com.reqs.Load(), e.svc.com.applies.Load()
	runClients(b, e.url, func(ctx context.Context, c *dynamodb.Client, i int64) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: benchItem(i)})
		return err
	})
	reqs := float64(e.svc.com.reqs.Load() - r0)
	if n := e.svc.com.batches.Load() - b0; n > 0 {
		b.ReportMetric(reqs/float64(n), "writes/commit")
	}
	// How many writes each copy of the journal into SQLite carried.
	if n := e.svc.com.applies.Load() - a0; n > 0 {
		b.ReportMetric(reqs/float64(n), "writes/sqlite-tx")
	}
}

func BenchmarkPutItemStream(b *testing.B) {
	e := newEnv(b)
	createTable(b, e.db, "bench", withRange("sk", types.ScalarAttributeTypeN), withStream(types.StreamViewTypeNewAndOldImages))
	runClients(b, e.url, func(ctx context.Context, c *dynamodb.Client, i int64) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: benchItem(i)})
		return err
	})
}

func seedBench(b *testing.B, e *env, count int) {
	b.Helper()
	for i := 0; i < count; i += 25 {
		var reqs []types.WriteRequest
		for j := i; j < i+25 && j < count; j++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: benchItem(int64(j))}})
		}
		if _, err := e.db.BatchWriteItem(ctx(b), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bench": reqs}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetItem(b *testing.B) {
	e := benchEnv(b)
	seedBench(b, e, 2000)
	runClients(b, e.url, func(ctx context.Context, c *dynamodb.Client, i int64) error {
		k := i % 2000
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench"), Key: item{"pk": s(fmt.Sprintf("user-%d", k%100)), "sk": n(fmt.Sprint(k))}})
		if err == nil && out.Item == nil {
			err = fmt.Errorf("item %d missing", k)
		}
		return err
	})
}

func BenchmarkQuery(b *testing.B) {
	e := benchEnv(b)
	seedBench(b, e, 2000)
	runClients(b, e.url, func(ctx context.Context, c *dynamodb.Client, i int64) error {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("bench"), KeyConditionExpression: aws.String("pk = :p AND sk > :s"),
			ExpressionAttributeValues: item{":p": s(fmt.Sprintf("user-%d", i%100)), ":s": n("500")}, Limit: aws.Int32(10)})
		if err == nil && out.Count == 0 {
			err = fmt.Errorf("query %d: no items", i)
		}
		return err
	})
}

// BenchmarkHandlerPutItem measures the server alone: PutItem bodies handed
// to ServeHTTP by 8 goroutines, no network and no SDK.
func BenchmarkHandlerPutItem(b *testing.B) {
	svc, err := New(Config{DataDir: b.TempDir(), TableDelay: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if code, out := call(svc, "DynamoDB_20120810.CreateTable", []byte(`{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)); code != 200 {
		b.Fatalf("create: %d %s", code, out)
	}
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			body := fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"user-%d"},"sk":{"N":"%d"},"name":{"S":"some name"},"count":{"N":"42"},"tags":{"SS":["a","b"]}}}`, i%100, i)
			if code, out := call(svc, "DynamoDB_20120810.PutItem", []byte(body)); code != 200 {
				b.Errorf("put: %d %s", code, out)
				return
			}
		}
	})
	b.ReportMetric(float64(svc.com.reqs.Load())/float64(max(1, svc.com.batches.Load())), "writes/commit")
}
