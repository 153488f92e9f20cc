package lambda

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestRuntimeAPIRefusesWebPages: a page that finds an environment's Runtime
// API port (a loopback port scan) could take the next event with a no-cors
// GET, or fail the function's init with a POST; the Runtime API refuses
// anything a browser sends (Origin, Sec-Fetch-*), and the function still
// gets its event.
func TestRuntimeAPIRefusesWebPages(t *testing.T) {
	t.Parallel()
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "rt", zipOf(t, "echo"), nil)
	invoke(t, c, "rt", `{"warm":1}`, nil) // a warm environment now waits on /next
	s.envs.mu.Lock()
	var addr string
	for e := range s.envs.all {
		addr = e.addr
	}
	s.envs.mu.Unlock()
	require.NotEmpty(t, addr)

	stolen := make(chan int, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+pathNext, nil)
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Mode", "no-cors")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			stolen <- 0
			return
		}
		resp.Body.Close()
		stolen <- resp.StatusCode
	}()
	assert.Equal(t, http.StatusForbidden, <-stolen, "a web page's GET /next")
	req, _ := http.NewRequest("POST", "http://"+addr+pathInitError, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a web page's POST init/error")
	out := invoke(t, c, "rt", `{"x":1}`, nil)
	assert.Equal(t, `{"x":1}`, string(out.Payload))
}
