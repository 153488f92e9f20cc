// Package bench measures request latency under concurrency for the local
// cloud's comparison benchmarks: p50/p99 over every operation of a run, and
// baselines to compare against in the same run (a null server that answers
// every call with a fixed reply: the most the client machine can do).
package bench

import (
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Clients is how many concurrent clients the comparison benchmarks run.
const Clients = 8

// Latencies collects operation durations from many goroutines.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records the durations one goroutine measured.
func (l *Latencies) Add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// Quantile returns the q-quantile (0 < q <= 1) of what was recorded.
func (l *Latencies) Quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	i := int(q*float64(len(l.d))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(l.d) {
		i = len(l.d) - 1
	}
	return l.d[i]
}

// Report adds p50_ms and p99_ms metrics to b.
func (l *Latencies) Report(b *testing.B) {
	b.ReportMetric(float64(l.Quantile(0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(l.Quantile(0.99).Microseconds())/1000, "p99_ms")
}

// RunClients runs op b.N times in total, spread over Clients goroutines, each
// with its own client state from newClient, and reports ops/s, p50 and p99.
func RunClients[C any](b *testing.B, newClient func(i int) C, op func(c C, i int) error) {
	b.Helper()
	clients := make([]C, Clients)
	for i := range clients {
		clients[i] = newClient(i)
	}
	var lat Latencies
	var next sync.WaitGroup
	work := make(chan int, Clients)
	var firstErr error
	var errOnce sync.Once
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < Clients; c++ {
		next.Add(1)
		go func(cl C) {
			defer next.Done()
			var mine []time.Duration
			for i := range work {
				t0 := time.Now()
				if err := op(cl, i); err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			lat.Add(mine)
		}(clients[c])
	}
	for i := 0; i < b.N; i++ {
		work <- i
	}
	close(work)
	next.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("operation failed: %v", firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	lat.Report(b)
}

// NullServer answers every request with body and the headers an AWS JSON
// service sends (request id, CRC32), without doing any work.
func NullServer(tb testing.TB, contentType, body string) string {
	tb.Helper()
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Amz-Crc32", crc)
		w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
		w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}
