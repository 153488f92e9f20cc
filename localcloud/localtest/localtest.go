// Package localtest runs a whole local cloud inside a test process, for
// the tests of the packages that use one (the kit, the grader's checks,
// the lab command): one helper instead of a copy in each.
package localtest

import (
	"context"
	"net"
	"testing"

	"github.com/labkit-dev/labkit/localcloud"
)

// Serve runs a local cloud with a fresh data directory on a free loopback
// port until the test ends, and returns its URL and the cloud. Each option
// may change the cloud's configuration first.
func Serve(t testing.TB, opts ...func(*localcloud.Config)) (string, *localcloud.Cloud) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := localcloud.Config{DataDir: t.TempDir(), Endpoint: url}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := localcloud.New(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; c.Close() })
	return url, c
}
