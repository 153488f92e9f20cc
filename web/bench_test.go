package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud/bench"
	"github.com/labkit-dev/labkit/web/progress"
)

// BenchmarkLabPage serves the real lab 1 page (rendering cached at start-up,
// progress read per request) to 8 concurrent clients.
//
//	go test -run '^$' -bench LabPage -benchtime 20000x ./web/
func BenchmarkLabPage(b *testing.B) {
	store, err := progress.Open(context.Background(), filepath.Join(b.TempDir(), "p.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	srv, err := New(Config{Content: labs.Content, Store: store, Library: checks.Library(), ConfigPath: filepath.Join(b.TempDir(), "c.json")})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bench.Clients}}
	bench.RunClients(b, func(int) *http.Client { return client }, func(c *http.Client, _ int) error {
		resp, err := c.Get(ts.URL + "/labs/lab1")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	})
}
