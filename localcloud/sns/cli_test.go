package sns

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

const awsCLI = "/usr/bin/aws"

// requireCLI skips (or, in CI, fails) when Debian's AWS CLI v2 is missing.
func requireCLI(t *testing.T) {
	t.Helper()
	out, err := exec.Command(awsCLI, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "aws-cli/2") {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s --version: %q, %v; want aws-cli/2", awsCLI, out, err)
		}
		t.Skipf("%s not usable (%q, %v)", awsCLI, out, err)
	}
}

// runCLI runs the AWS CLI against url as account and decodes its JSON output
// into out (when not nil).
func runCLI(t *testing.T, url, account string, out any, args ...string) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = []string{
		"HOME=" + home,
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
			t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
}

func TestCLI(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	c := newCloud(t)
	acct := cloudtest.Account

	var created struct{ TopicArn string }
	runCLI(t, c.url, acct, &created, "sns", "create-topic", "--name", "cli-topic", "--attributes", "DisplayName=CLI", "--tags", "Key=team,Value=labs")
	if created.TopicArn != "arn:aws:sns:us-east-1:"+acct+":cli-topic" {
		t.Fatalf("create-topic TopicArn = %q", created.TopicArn)
	}
	qURL, qARN := c.queue(t, "cli-queue", created.TopicArn)

	var sub struct{ SubscriptionArn string }
	runCLI(t, c.url, acct, &sub, "sns", "subscribe", "--topic-arn", created.TopicArn, "--protocol", "sqs", "--notification-endpoint", qARN,
		"--attributes", `{"RawMessageDelivery":"true"}`, "--return-subscription-arn")
	if !strings.HasPrefix(sub.SubscriptionArn, created.TopicArn+":") {
		t.Fatalf("subscribe SubscriptionArn = %q", sub.SubscriptionArn)
	}

	runCLI(t, c.url, acct, nil, "sns", "set-subscription-attributes", "--subscription-arn", sub.SubscriptionArn,
		"--attribute-name", "FilterPolicy", "--attribute-value", `{"color":["red"]}`)
	var attrs struct{ Attributes map[string]string }
	runCLI(t, c.url, acct, &attrs, "sns", "get-subscription-attributes", "--subscription-arn", sub.SubscriptionArn)
	if attrs.Attributes["FilterPolicy"] != `{"color":["red"]}` || attrs.Attributes["RawMessageDelivery"] != "true" || attrs.Attributes["Protocol"] != "sqs" {
		t.Errorf("get-subscription-attributes = %v", attrs.Attributes)
	}

	var list struct {
		Subscriptions []struct{ SubscriptionArn, Protocol, Endpoint, TopicArn, Owner string }
	}
	runCLI(t, c.url, acct, &list, "sns", "list-subscriptions-by-topic", "--topic-arn", created.TopicArn)
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].Endpoint != qARN || list.Subscriptions[0].Owner != acct {
		t.Errorf("list-subscriptions-by-topic = %+v", list.Subscriptions)
	}

	var pub struct{ MessageId string }
	runCLI(t, c.url, acct, &pub, "sns", "publish", "--topic-arn", created.TopicArn, "--message", "blue one",
		"--message-attributes", `{"color":{"DataType":"String","StringValue":"blue"}}`)
	runCLI(t, c.url, acct, &pub, "sns", "publish", "--topic-arn", created.TopicArn, "--message", "red one",
		"--message-attributes", `{"color":{"DataType":"String","StringValue":"red"},"size":{"DataType":"Number","StringValue":"3"}}`)
	if pub.MessageId == "" {
		t.Errorf("publish MessageId is empty")
	}
	msgs := c.receive(t, qURL)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "red one" || aws.ToString(msgs[0].MessageAttributes["size"].StringValue) != "3" {
		t.Errorf("queue after CLI publishes = %+v, want only the red one with its attributes", msgs)
	}

	var topics struct{ Topics []struct{ TopicArn string } }
	runCLI(t, c.url, acct, &topics, "sns", "list-topics")
	if len(topics.Topics) != 1 {
		t.Errorf("list-topics = %+v", topics.Topics)
	}
}
