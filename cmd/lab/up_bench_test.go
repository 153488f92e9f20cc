package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUpReady measures `lab up` from the call to both the local cloud's
// health endpoint and the web app's home page answering, on a fresh data dir.
//
//	go test -run '^$' -bench UpReady -benchtime 10x ./cmd/lab/
func BenchmarkUpReady(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cloud, web := freeAddr(b), freeAddr(b)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		start := time.Now()
		go func() {
			done <- Run(ctx, []string{"up", "--cloud-addr", cloud, "--web-addr", web, "--data", dir, "--config", filepath.Join(dir, "c.json"), "--log-level", "error"}, discard{}, discard{})
		}()
		for _, u := range []string{"http://" + cloud + "/_lab/health", "http://" + web + "/"} {
			for {
				resp, err := http.Get(u)
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Since(start) > 10*time.Second {
					b.Fatalf("lab up not ready after 10s: %v", err)
				}
				time.Sleep(time.Millisecond)
			}
		}
		total += time.Since(start)
		cancel()
		<-done
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms_to_ready")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
