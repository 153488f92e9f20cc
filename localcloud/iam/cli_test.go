package iam_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

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
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route(), svc.STSRoute())

	var created struct {
		Role struct {
			RoleName, Arn, RoleId    string
			AssumeRolePolicyDocument map[string]any
		}
	}
	awsCLI(t, url, cloudtest.Account, &created, "iam", "create-role", "--role-name", "orders-fn",
		"--assume-role-policy-document", trustLambda)
	if got, want := created.Role.Arn, "arn:aws:iam::123456789012:role/orders-fn"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if got := created.Role.AssumeRolePolicyDocument["Version"]; got != "2012-10-17" {
		t.Errorf("CLI decoded trust policy Version %v, want 2012-10-17", got)
	}

	awsCLI(t, url, cloudtest.Account, nil, "iam", "put-role-policy", "--role-name", "orders-fn",
		"--policy-name", "logs", "--policy-document", logsPolicy)
	var got struct {
		RoleName, PolicyName string
		PolicyDocument       struct {
			Version   string
			Statement []struct{ Effect, Resource string }
		}
	}
	awsCLI(t, url, cloudtest.Account, &got, "iam", "get-role-policy", "--role-name", "orders-fn", "--policy-name", "logs")
	if got.PolicyName != "logs" || got.PolicyDocument.Version != "2012-10-17" || len(got.PolicyDocument.Statement) != 1 ||
		got.PolicyDocument.Statement[0].Resource != "arn:aws:logs:*:*:*" {
		t.Errorf("got %+v, want the logs policy back", got)
	}

	var who struct{ Account, Arn, UserId string }
	awsCLI(t, url, "210987654321", &who, "sts", "get-caller-identity")
	if who.Account != "210987654321" || who.Arn != "arn:aws:iam::210987654321:root" {
		t.Errorf("got %+v, want account 210987654321 root", who)
	}
}
