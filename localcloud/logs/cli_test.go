package logs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

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
	// The events go in through the SDK: each CLI start costs about a second.
	c := cwl.NewFromConfig(cloudtest.Config(url, acct, "us-east-1"))
	now := time.Now().UnixMilli()
	mustStream(t, c, "/aws/lambda/orders", "s1")
	if _, err := c.PutLogEvents(cloudtest.Context(t), &cwl.PutLogEventsInput{LogGroupName: aws.String("/aws/lambda/orders"), LogStreamName: aws.String("s1"), LogEvents: []types.InputLogEvent{
		{Timestamp: aws.Int64(now), Message: aws.String(`{"orderId":"o-1","level":"INFO"}`)},
		{Timestamp: aws.Int64(now + 1), Message: aws.String(`{"orderId":"o-2"}`)},
	}}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
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

}
