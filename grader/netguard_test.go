package grader

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuardPermits(t *testing.T) {
	g := Guard{BlockPrivate: true, Allow: []string{"127.0.0.1:4566"}}
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:4566", true},
		{"127.0.0.1:8080", false},
		{"10.1.2.3:443", false},
		{"172.16.0.1:443", false},
		{"192.168.1.1:80", false},
		{"169.254.169.254:80", false},
		{"100.64.0.1:80", false},
		{"0.0.0.0:80", false},
		{"[::1]:80", false},
		{"[fe80::1]:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[fd00::1]:443", false},
		{"93.184.216.34:443", true},
		{"[2606:2800:220:1::1]:443", true},
	}
	for _, tt := range tests {
		err := g.Permits(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("Permits(%s): got %v, want ok=%v", tt.addr, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("Permits(%s): error %v does not wrap ErrBlockedAddress", tt.addr, err)
		}
	}
	if err := (Guard{}).Permits("10.0.0.1:80"); err != nil {
		t.Errorf("a guard that is off blocked %v", err)
	}
}

func TestGuardClientRefusesLoopbackByNameAndRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	blocked := Guard{BlockPrivate: true}.Client(2 * time.Second)
	// "localhost" resolves to loopback: the dial-time check must catch it.
	_, port, _ := strings.Cut(host, ":")
	if _, err := blocked.Get("http://localhost:" + port + "/"); err == nil || !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("GET via localhost: got %v, want ErrBlockedAddress", err)
	}
	allowed := Guard{BlockPrivate: true, Allow: []string{host}}.Client(2 * time.Second)
	resp, err := allowed.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET allowed host: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("got status %d, want 204", resp.StatusCode)
	}
	// A first hop that redirects to a private address gets its 3xx answer
	// back: the redirect leaves the host, so it is not followed at all.
	redir := httptest.NewServer(http.RedirectHandler("http://10.255.255.1:9/", http.StatusFound))
	defer redir.Close()
	viaRedirect := Guard{BlockPrivate: true, Allow: []string{strings.TrimPrefix(redir.URL, "http://")}}.Client(2 * time.Second)
	resp, err = viaRedirect.Get(redir.URL)
	if err != nil {
		t.Fatalf("redirect to a private address: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("redirect to a private address: got %d, want the 302 itself", resp.StatusCode)
	}
}

// TestRedirectsStayOnTheSameHost reproduces a learner API answering 302 to
// another loopback port that serves a secret: even with both ports allowed
// by the dial-time check, the grader does not fetch it.
func TestRedirectsStayOnTheSameHost(t *testing.T) {
	var secretHits atomic.Int32
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		io.WriteString(w, "TOP-SECRET-internal-admin-token")
	}))
	defer secret.Close()
	learner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders":
			http.Redirect(w, r, secret.URL+"/admin", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/orders-v2", http.StatusTemporaryRedirect)
		case "/orders-v2":
			io.WriteString(w, "v2 here")
		}
	}))
	defer learner.Close()
	hostOf := func(u string) string { return strings.TrimPrefix(u, "http://") }
	tests := []struct {
		name  string
		guard Guard
	}{
		{"guard off", Guard{}},
		{"both ports allowed", Guard{BlockPrivate: true, Allow: []string{hostOf(learner.URL), hostOf(secret.URL)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.guard.Client(5 * time.Second)
			resp, err := c.Post(learner.URL+"/orders", "application/json", strings.NewReader(`{}`))
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusFound, resp.StatusCode, "the redirect to another host must come back as is")
			assert.NotContains(t, string(body), "TOP-SECRET")
			assert.Zero(t, secretHits.Load(), "the grader fetched the other host")

			resp, err = c.Post(learner.URL+"/moved", "application/json", strings.NewReader(`{}`))
			require.NoError(t, err)
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, "v2 here", string(body), "a redirect within the same host is followed")
		})
	}
}

func TestForTarget(t *testing.T) {
	ctx := context.Background()
	g, err := ForTarget(ctx, "http://localhost:4566", false)
	require.NoError(t, err)
	assert.Contains(t, g.Allow, "127.0.0.1:4566", "localhost is resolved to its addresses")
	for addr, ok := range map[string]bool{
		"127.0.0.1:4566": true, "127.0.0.1:8080": false, "10.0.0.1:4566": false, "169.254.169.254:80": false, "93.184.216.34:443": true,
	} {
		assert.Equal(t, ok, g.Permits(addr) == nil, "local target, %s", addr)
	}
	g, err = ForTarget(ctx, "", false)
	require.NoError(t, err)
	assert.Error(t, g.Permits("127.0.0.1:4566"), "real AWS: no private address is the target's")
	assert.NoError(t, g.Permits("93.184.216.34:443"))
	g, err = ForTarget(ctx, "http://127.0.0.1:4566", true)
	require.NoError(t, err)
	assert.NoError(t, g.Permits("10.0.0.1:80"), "--allow-private")
	_, err = ForTarget(ctx, "not a url", false)
	assert.Error(t, err)
}
