package kit

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the watcher's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHungEndpointIsNeverSilent points the kit at an endpoint that accepts
// requests and never answers (as a local cloud with a stuck queue lock did,
// issue 11 item 0): the call prints progress lines naming what it waits
// for, then fails with an error naming the service and operation instead of
// hanging.
func TestHungEndpointIsNeverSilent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the test runs
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets Close finish
	var out syncBuffer
	k := &Kit{
		AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("000000000000", "local", "")},
		Out:         &out,
		CallTimeout: 400 * time.Millisecond,
		SlowCall:    100 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := k.queueURL(ctx, "orders")
	require.Error(t, err)
	require.Contains(t, err.Error(), "SQS GetQueueUrl: no answer within 400ms")
	require.NoError(t, ctx.Err(), "the kit's own deadline ended the call, not the test's")
	require.Contains(t, out.String(), "still waiting for SQS GetQueueUrl")
	require.True(t, strings.HasPrefix(out.String(), "  ... still waiting"), "progress lines only: %q", out.String())
}
