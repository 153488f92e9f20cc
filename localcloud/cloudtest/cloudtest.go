// Package cloudtest helps tests drive local cloud services through the real
// aws-sdk-go-v2 clients over a real loopback listener.
package cloudtest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Account is the account id tests act in unless they choose another.
const Account = "123456789012"

// Serve starts a real HTTP listener routing to the given services and returns
// its URL; it is closed when the test ends.
func Serve(t testing.TB, routes ...protocol.Route) string {
	t.Helper()
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: Logger(t)})
	for _, r := range routes {
		rt.Handle(r)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Config returns an SDK config that reaches endpoint as the given account
// (the access key id is the account id) in region.
func Config(endpoint, account, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(account, "test-secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

// Logger returns a logger that writes to the test log only when -v is given.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Context returns a context cancelled when the test ends.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
