package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"

// bodyServer is a router with one REST route that reads the whole body and
// says how many bytes it got.
func bodyServer(t *testing.T, limits BodyLimits, handler http.HandlerFunc) string {
	t.Helper()
	rt := NewRouter(RouterConfig{Body: limits})
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				WriteRESTError(w, r, nil, StatusErrorf(http.StatusRequestTimeout, "RequestTimeoutException", "body: %v", err))
				return
			}
			fmt.Fprintf(w, "%d", len(b))
		}
	}
	rt.Handle(Route{Service: "lambda", PathPrefixes: []string{"/2015-03-31/"}, Handler: handler})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestSlowBodyIsCutOff sends a body one byte at a time: the connection must
// be answered or closed once the body falls behind the minimum rate, where
// it used to stay open for as long as the sender liked.
func TestSlowBodyIsCutOff(t *testing.T) {
	addr := bodyServer(t, BodyLimits{Grace: 200 * time.Millisecond, MinRate: 1 << 20}, nil)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n", testAuth)
	var sent atomic.Int64
	go func() {
		for {
			if _, err := conn.Write([]byte{'x'}); err != nil {
				return
			}
			sent.Add(1)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// Poll for the server's answer or close; the deadline is the test's
	// patience, not the behaviour under test.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if assert.Falsef(t, errors.As(err, &ne) && ne.Timeout(), "the connection was still open after 20 s (%d bytes sent)", sent.Load()) {
		t.Logf("cut off after %d bytes: %q", sent.Load(), firstLine(got))
	}
	assert.Less(t, sent.Load(), int64(100000))
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

// TestFastAndLongRequestsAreNotCut: a body that keeps the rate passes, and
// a handler that runs long after reading its body (a long invoke, a long
// poll) is not cut by the body's deadline.
func TestFastAndLongRequestsAreNotCut(t *testing.T) {
	addr := bodyServer(t, BodyLimits{Grace: 100 * time.Millisecond, MinRate: 1 << 20}, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		select {
		case <-time.After(400 * time.Millisecond): // well past the body's deadline
		case <-r.Context().Done():
			return // the deadline cancelled the request: the failure under test
		}
		fmt.Fprintf(w, "%d", len(b))
	})
	req, _ := http.NewRequest("POST", "http://"+addr+"/2015-03-31/functions/f/invocations", bytes.NewReader(make([]byte, 3<<20)))
	req.Host = "localhost"
	req.Header.Set("Authorization", testAuth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, fmt.Sprint(3<<20), string(b))
}

// TestLargeRequestsWaitForASlot: with one slot, a second and third large
// request wait until the first one's handler returns.
func TestLargeRequestsWaitForASlot(t *testing.T) {
	var inside, most atomic.Int32
	release := make(chan struct{})
	rt := NewRouter(RouterConfig{Body: BodyLimits{LargeBody: 1000, LargeRequests: 1}})
	rt.Handle(Route{Service: "lambda", PathPrefixes: []string{"/2015-03-31/"}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		defer inside.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		io.Copy(io.Discard, r.Body)
		<-release
	})})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	done := make(chan int, 3)
	for range 3 {
		go func() {
			req, _ := http.NewRequest("POST", srv.URL+"/2015-03-31/functions/f/invocations", bytes.NewReader(make([]byte, 5000)))
			req.Host = "localhost"
			req.Header.Set("Authorization", testAuth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for (inside.Load() != 1 || rt.body.waiting.Load() != 2) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, int32(1), inside.Load(), "large requests being served")
	assert.Equal(t, int64(2), rt.body.waiting.Load(), "large requests waiting")
	close(release)
	for range 3 {
		assert.Equal(t, 200, <-done)
	}
	assert.Equal(t, int32(1), most.Load(), "large requests served at once")
}
