package logs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI runs Debian's AWS CLI v2 against endpoint as account and decodes
// its JSON output into out (when not nil).
func awsCLI(t testing.TB, endpoint, account string, out any, args ...string) {
	t.Helper()
	const bin = "/usr/bin/aws"
	v, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "aws-cli/2") {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s --version: %q %v: want aws-cli/2", bin, v, err)
		}
		t.Skipf("no AWS CLI v2 at %s", bin)
	}
	cmd := exec.Command(bin, append(args, "--endpoint-url", endpoint, "--output", "json")...)
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
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("aws %s: output %q is not JSON: %v", strings.Join(args, " "), stdout.String(), err)
		}
	}
}

func TestCLI(t *testing.T) {
	t.Parallel()
	_, _, url := newClient(t)
	acct := cloudtest.Account
	awsCLI(t, url, acct, nil, "logs", "create-log-group", "--log-group-name", "/aws/lambda/orders")
	awsCLI(t, url, acct, nil, "logs", "put-retention-policy", "--log-group-name", "/aws/lambda/orders", "--retention-in-days", "14")
	awsCLI(t, url, acct, nil, "logs", "create-log-stream", "--log-group-name", "/aws/lambda/orders", "--log-stream-name", "s1")
	now := time.Now().UnixMilli()
	events := fmt.Sprintf(`[{"timestamp":%d,"message":"{\"orderId\":\"o-1\",\"level\":\"INFO\"}"},{"timestamp":%d,"message":"{\"orderId\":\"o-2\"}"}]`, now, now+1)
	var put struct{ NextSequenceToken string }
	awsCLI(t, url, acct, &put, "logs", "put-log-events", "--log-group-name", "/aws/lambda/orders", "--log-stream-name", "s1", "--log-events", events)
	if put.NextSequenceToken == "" {
		t.Errorf("got no nextSequenceToken")
	}

	var groups struct {
		LogGroups []struct {
			LogGroupName    string
			RetentionInDays int
		} `json:"logGroups"`
	}
	awsCLI(t, url, acct, &groups, "logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/")
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].RetentionInDays != 14 {
		t.Errorf("got %+v, want /aws/lambda/orders with retention 14", groups)
	}

	var filtered struct {
		Events []struct {
			LogStreamName string `json:"logStreamName"`
			Message       string `json:"message"`
		} `json:"events"`
	}
	awsCLI(t, url, acct, &filtered, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/orders",
		"--filter-pattern", `{ $.orderId = "o-1" }`)
	if len(filtered.Events) != 1 || filtered.Events[0].LogStreamName != "s1" || !strings.Contains(filtered.Events[0].Message, "o-1") {
		t.Errorf("got %+v, want the o-1 event", filtered)
	}

	var got struct {
		Events []struct {
			Message string `json:"message"`
		} `json:"events"`
	}
	awsCLI(t, url, acct, &got, "logs", "get-log-events", "--log-group-name", "/aws/lambda/orders", "--log-stream-name", "s1", "--start-from-head")
	if len(got.Events) != 2 {
		t.Errorf("got %d events, want 2", len(got.Events))
	}
}
