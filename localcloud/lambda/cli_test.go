package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI returns a function running Debian's AWS CLI v2 against url as
// account, decoding its JSON output into out (when not nil).
func awsCLI(t *testing.T, url string) func(out any, args ...string) {
	t.Helper()
	const bin = "/usr/bin/aws"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: install the awscli package", bin)
		}
		t.Skipf("%s is missing", bin)
	}
	v, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "aws-cli/2") {
		t.Skipf("%s is not AWS CLI v2: %s", bin, v)
	}
	home := t.TempDir()
	// Each run of the CLI takes seconds to start here: tests keep to the
	// calls that matter (the rest of the API is covered through the SDK).
	return func(out any, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--endpoint-url", url, "--output", "json")...)
		cmd.Env = []string{
			"HOME=" + home, "PATH=/usr/bin:/bin",
			"AWS_ACCESS_KEY_ID=" + cloudtest.Account, "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		t.Logf("aws %s: %v", args[1], time.Since(start))
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if out != nil {
			if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
				t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), stdout.String(), err)
			}
		}
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
