package lambda

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI returns a function running Debian's AWS CLI v2 against url as the
// test account, decoding its JSON output into out (when not nil). Each run of
// the CLI takes seconds to start here: tests keep to the calls that matter
// (the rest of the API is covered through the SDK).
func awsCLI(t *testing.T, url string) func(out any, args ...string) {
	t.Helper()
	return func(out any, args ...string) {
		t.Helper()
		cloudtest.CLIJSON(t, url, cloudtest.Account, out, args...)
	}
}

func TestCLI(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	aws := awsCLI(t, url)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "function.zip")
	if err := os.WriteFile(zipPath, zipOf(t, "echo"), 0o644); err != nil {
		t.Fatal(err)
	}

	var created struct {
		FunctionName, FunctionArn, State, Runtime string
	}
	aws(&created, "lambda", "create-function", "--function-name", "cli-echo", "--runtime", "provided.al2023",
		"--handler", "bootstrap", "--role", testRole, "--zip-file", "fileb://"+zipPath, "--architectures", hostArch())
	if created.FunctionName != "cli-echo" || created.Runtime != "provided.al2023" || !strings.HasSuffix(created.FunctionArn, ":function:cli-echo") {
		t.Errorf("create-function: got %+v", created)
	}
	aws(nil, "lambda", "wait", "function-active-v2", "--function-name", "cli-echo")

	outFile := filepath.Join(dir, "out.json")
	var inv struct {
		StatusCode      int
		ExecutedVersion string
		LogResult       string
	}
	aws(&inv, "lambda", "invoke", "--function-name", "cli-echo", "--cli-binary-format", "raw-in-base64-out",
		"--payload", `{"from":"cli"}`, "--log-type", "Tail", outFile)
	if inv.StatusCode != 200 || inv.ExecutedVersion != "$LATEST" {
		t.Errorf("invoke: got %+v", inv)
	}
	if b, _ := os.ReadFile(outFile); string(b) != `{"from":"cli"}` {
		t.Errorf("invoke wrote %q, want the echo", b)
	}
	if logs, _ := base64.StdEncoding.DecodeString(inv.LogResult); !strings.Contains(string(logs), "REPORT RequestId:") {
		t.Errorf("invoke --log-type Tail: got log %q", logs)
	}

	var cfg struct {
		FunctionName, CodeSha256, LastUpdateStatus string
		Timeout, MemorySize                        int
	}
	aws(&cfg, "lambda", "get-function-configuration", "--function-name", "cli-echo")
	if cfg.FunctionName != "cli-echo" || cfg.Timeout != 3 || cfg.MemorySize != 128 || cfg.CodeSha256 == "" || cfg.LastUpdateStatus != "Successful" {
		t.Errorf("get-function-configuration: got %+v", cfg)
	}

	// The CLI asks for the collection with a trailing slash.
	var list struct {
		Functions []struct{ FunctionName string }
	}
	aws(&list, "lambda", "list-functions")
	if len(list.Functions) != 1 || list.Functions[0].FunctionName != "cli-echo" {
		t.Errorf("list-functions: got %+v", list)
	}
}
