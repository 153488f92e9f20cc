package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/labkit-dev/labkit/localcloud/localtest"
)

// startCloud runs a local cloud in this process on a loopback port and
// returns its URL.
func startCloud(t testing.TB) string {
	t.Helper()
	url, _ := localtest.Serve(t)
	return url
}

// sharedZips is one zip cache for every test of the package: the builds
// are the slow part, and the cache is keyed by source hash.
var (
	zipsOnce sync.Once
	zipsDir  string
)

func testCacheDir(t testing.TB) string {
	zipsOnce.Do(func() {
		if d := os.Getenv("LABKIT_TEST_ZIPS"); d != "" {
			zipsDir = d
			return
		}
		uc, err := os.UserCacheDir()
		if err != nil {
			uc = os.TempDir()
		}
		zipsDir = filepath.Join(uc, "labkit", "zips")
	})
	return zipsDir
}

// logWriter sends progress lines to t.Log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func awsConfig(endpoint, account string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(account, "x", "")}
}

// newKit returns a kit on a fresh local cloud (account 123456789012).
func newKit(t testing.TB) (*Kit, string) {
	t.Helper()
	url := startCloud(t)
	return &Kit{AWS: awsConfig(url, "123456789012"), Out: logWriter{t}, CacheDir: testCacheDir(t)}, url
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// call sends one request to the API and returns the status and body.
func call(t testing.TB, method, url, tok, idem, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(bytes.TrimSpace(b), &m)
	if m == nil {
		m = map[string]any{"_raw": string(b)}
	}
	return resp.StatusCode, m
}
