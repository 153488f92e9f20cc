package grader

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
	// A public-looking first hop that redirects to a private address is
	// caught on the redirect's dial.
	redir := httptest.NewServer(http.RedirectHandler("http://10.255.255.1:9/", http.StatusFound))
	defer redir.Close()
	viaRedirect := Guard{BlockPrivate: true, Allow: []string{strings.TrimPrefix(redir.URL, "http://")}}.Client(2 * time.Second)
	if _, err := viaRedirect.Get(redir.URL); err == nil || !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("redirect to private address: got %v, want ErrBlockedAddress", err)
	}
}
