package sqs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI runs `aws sqs` (Debian's AWS CLI v2, which speaks the query
// protocol to SQS) against endpoint through cloudtest.CLI.
type awsCLI struct {
	t        testing.TB
	endpoint string
}

func newCLI(t testing.TB, endpoint string) *awsCLI {
	return &awsCLI{t: t, endpoint: endpoint}
}

// run runs `aws sqs args...` and returns stdout, stderr and whether it succeeded.
func (c *awsCLI) run(args ...string) (string, string, bool) {
	c.t.Helper()
	stdout, stderr, err := cloudtest.CLIResult(c.t, c.endpoint, cloudtest.Account, append([]string{"sqs"}, args...)...)
	return string(stdout), stderr, err == nil
}

// json runs a command that must succeed and decodes its output.
func (c *awsCLI) json(v any, args ...string) {
	c.t.Helper()
	cloudtest.CLIJSON(c.t, c.endpoint, cloudtest.Account, v, append([]string{"sqs"}, args...)...)
}

func TestCLIQueueLifecycle(t *testing.T) {
	t.Parallel()
	url := cloudtest.Serve(t, newService(t, "").Route())
	cli := newCLI(t, url)

	var created struct{ QueueUrl string }
	cli.json(&created, "create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=5", "--tags", "team=blue")
	if want := url + "/" + cloudtest.Account + "/cli-q"; created.QueueUrl != want {
		t.Fatalf("QueueUrl: got %s, want %s", created.QueueUrl, want)
	}
	var dlq struct{ QueueUrl string }
	cli.json(&dlq, "create-queue", "--queue-name", "cli-dlq")

	var sent struct{ MessageId, MD5OfMessageBody, MD5OfMessageAttributes string }
	// The CLI verifies MD5OfMessageBody and MD5OfMessageAttributes itself.
	cli.json(&sent, "send-message", "--queue-url", created.QueueUrl, "--message-body", "hello from the CLI ✓",
		"--message-attributes", `{"kind":{"DataType":"String","StringValue":"order"},"n":{"DataType":"Number","StringValue":"42"},"b":{"DataType":"Binary","BinaryValue":"AAEC"}}`)
	if sent.MessageId == "" || sent.MD5OfMessageAttributes == "" {
		t.Fatalf("send-message: got %+v", sent)
	}
	var got struct {
		Messages []struct {
			MessageId, ReceiptHandle, Body string
			Attributes                     map[string]string
			MessageAttributes              map[string]struct{ StringValue, BinaryValue, DataType string }
		}
	}
	cli.json(&got, "receive-message", "--queue-url", created.QueueUrl, "--attribute-names", "All", "--message-attribute-names", "All", "--max-number-of-messages", "10")
	if len(got.Messages) != 1 {
		t.Fatalf("receive-message: got %d messages, want 1", len(got.Messages))
	}
	var first *struct {
		MessageId, ReceiptHandle, Body string
		Attributes                     map[string]string
		MessageAttributes              map[string]struct{ StringValue, BinaryValue, DataType string }
	}
	for i := range got.Messages {
		if got.Messages[i].MessageId == sent.MessageId {
			first = &got.Messages[i]
		}
	}
	if first == nil {
		t.Fatalf("sent message not received: %+v", got.Messages)
	}
	if first.Body != "hello from the CLI ✓" || first.MessageAttributes["kind"].StringValue != "order" || first.MessageAttributes["b"].BinaryValue != "AAEC" {
		t.Errorf("received %+v", first)
	}
	if first.Attributes["ApproximateReceiveCount"] != "1" || first.Attributes["SentTimestamp"] == "" {
		t.Errorf("system attributes: %v", first.Attributes)
	}
	for _, m := range got.Messages {
		cli.json(nil, "delete-message", "--queue-url", created.QueueUrl, "--receipt-handle", m.ReceiptHandle)
	}

	var dlqAttrs struct{ Attributes map[string]string }
	cli.json(&dlqAttrs, "get-queue-attributes", "--queue-url", dlq.QueueUrl, "--attribute-names", "QueueArn")
	policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"3"}`, dlqAttrs.Attributes["QueueArn"])
	attrsJSON, _ := json.Marshal(map[string]string{"RedrivePolicy": policy, "DelaySeconds": "0"})
	cli.json(nil, "set-queue-attributes", "--queue-url", created.QueueUrl, "--attributes", string(attrsJSON))

	var attrs struct{ Attributes map[string]string }
	cli.json(&attrs, "get-queue-attributes", "--queue-url", created.QueueUrl, "--attribute-names", "All")
	if attrs.Attributes["VisibilityTimeout"] != "5" || !strings.Contains(attrs.Attributes["RedrivePolicy"], "cli-dlq") || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Errorf("get-queue-attributes: %v", attrs.Attributes)
	}
	var list struct{ QueueUrls []string }
	cli.json(&list, "list-queues", "--queue-name-prefix", "cli-")
	if len(list.QueueUrls) != 2 {
		t.Errorf("list-queues: got %v, want 2 queues", list.QueueUrls)
	}

	cli.json(nil, "send-message", "--queue-url", created.QueueUrl, "--message-body", "to purge")
	cli.json(nil, "purge-queue", "--queue-url", created.QueueUrl)
	got.Messages = nil
	cli.json(&got, "receive-message", "--queue-url", created.QueueUrl)
	if len(got.Messages) != 0 {
		t.Errorf("after purge got %d messages", len(got.Messages))
	}
	cli.json(nil, "delete-queue", "--queue-url", created.QueueUrl)
	_, errOut, ok := cli.run("get-queue-url", "--queue-name", "cli-q")
	if ok || !strings.Contains(errOut, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Errorf("get-queue-url after delete: ok=%v stderr=%s", ok, errOut)
	}
	_, errOut, ok = cli.run("set-queue-attributes", "--queue-url", dlq.QueueUrl, "--attributes", "VisibilityTimeout=99999")
	if ok || !strings.Contains(errOut, "InvalidAttributeValue") {
		t.Errorf("invalid attribute value: ok=%v stderr=%s", ok, errOut)
	}
}
