// Package cloudtest helps tests drive local cloud services through the real
// aws-sdk-go-v2 clients over a real loopback listener.
package cloudtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// awsBin is Debian's AWS CLI v2. A pyenv shim named aws may come first on
// PATH, so the CLI is always run by this path.
const awsBin = "/usr/bin/aws"

// cliVersion runs `aws --version` once per test binary: each start of the
// Python CLI costs about a second.
var cliVersion = sync.OnceValues(func() (string, error) {
	out, err := exec.Command(awsBin, "--version").CombinedOutput()
	return string(out), err
})

// CLI runs Debian's AWS CLI v2 against endpoint as account in us-east-1
// with --output json and returns its standard output. It fails the test
// when the command fails. When the CLI is missing or not v2 it skips the
// test, or fails it when the environment variable CI is set.
func CLI(t testing.TB, endpoint, account string, args ...string) []byte {
	t.Helper()
	stdout, stderr, err := CLIResult(t, endpoint, account, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return stdout
}

// CLIJSON runs CLI and decodes its output into out; a nil out ignores the
// output.
func CLIJSON(t testing.TB, endpoint, account string, out any, args ...string) {
	t.Helper()
	stdout := CLI(t, endpoint, account, args...)
	if out == nil {
		return
	}
	if b := bytes.TrimSpace(stdout); len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("aws %s: output %q is not JSON: %v", strings.Join(args, " "), b, err)
		}
	}
}

// CLIResult runs the CLI as CLI does but leaves failures to the caller: it
// returns standard output, standard error and the error of the run (an
// *exec.ExitError when the CLI exits non-zero), for expected failures.
func CLIResult(t testing.TB, endpoint, account string, args ...string) (stdout []byte, stderr string, err error) {
	t.Helper()
	v, verr := cliVersion()
	if verr != nil || !strings.HasPrefix(v, "aws-cli/2") {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s --version: %q %v: want aws-cli/2", awsBin, v, verr)
		}
		t.Skipf("no AWS CLI v2 at %s (%q, %v)", awsBin, v, verr)
	}
	cmd := exec.Command(awsBin, append(args, "--endpoint-url", endpoint, "--output", "json")...)
	cmd.Env = []string{
		"HOME=" + t.TempDir(),
		"PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=" + account,
		"AWS_SECRET_ACCESS_KEY=x",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.String(), err
}

// PostJSON sends body as an awsJson request for target ("AmazonSQS.
// SendMessageBatch") to url, signed for service as Account (the signature
// is not checked), and returns the status and body.
func PostJSON(t testing.TB, url, target, service string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+Account+"/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
