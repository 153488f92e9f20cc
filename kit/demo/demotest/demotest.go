// Package demotest starts a local cloud in the test's process with the
// classroom demo deployed and running on it, for the tests of kit/demo and
// of the web app's demo page.
package demotest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/kit/demo"
	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/localtest"
)

// logWriter sends progress lines to t.Log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// zipCache is the kit's zip cache shared by every test run (the builds are
// the slow part; the cache is keyed by source hash).
func zipCache() string {
	if d := os.Getenv("LABKIT_TEST_ZIPS"); d != "" {
		return d
	}
	uc, err := os.UserCacheDir()
	if err != nil {
		uc = os.TempDir()
	}
	return filepath.Join(uc, "labkit", "zips")
}

// Start runs a local cloud in this process and a deployed, running demo on
// it, with short redelivery (2 s, dead-letter after 2 receives) and spikes
// of at most 200 orders. Everything stops when the test ends.
func Start(t testing.TB) *demo.Demo {
	t.Helper()
	url, c := Cloud(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := demo.New(demo.Config{Endpoint: url, Source: demo.BusSource{Bus: c.Bus()}, Out: logWriter{t}, CacheDir: zipCache(),
		VisibilityTimeout: 2 * time.Second, MaxReceiveCount: 2, MaxOrders: 200})
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 4*time.Minute)
	defer dcancel()
	start := time.Now()
	if err := d.Deploy(dctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("deployed in %v", time.Since(start))
	go d.Run(ctx)
	return d
}

// Cloud runs a local cloud in this process on a loopback port until the
// test ends, and returns its URL.
func Cloud(t testing.TB) (string, *localcloud.Cloud) {
	t.Helper()
	return localtest.Serve(t)
}
