package sqs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// TestCrashChild is the process TestKill9 kills: it serves SQS on its data
// directory until killed. It does nothing as a normal test.
func TestCrashChild(t *testing.T) {
	cloudtest.CrashChild(t, func(dir string) (protocol.Route, error) {
		svc, err := New(Config{DataDir: dir})
		if err != nil {
			return protocol.Route{}, err
		}
		return svc.Route(), nil
	})
}

// TestKill9 kills a serving process with SIGKILL and reopens its data: what
// was acknowledged (sends, receives, deletes) is all there.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	child := cloudtest.StartCrashChild(t, dir)
	c := sqs.NewFromConfig(cloudtest.Config(child.URL, cloudtest.Account, "us-east-1"))
	ctx := context.Background()
	q := createQueue(t, c, "crash", map[string]string{"VisibilityTimeout": "4"})
	for i := 0; i < 30; i++ {
		send(t, c, q, fmt.Sprintf("m%02d", i))
	}
	got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10})
	if len(got) != 10 {
		t.Fatalf("received %d, want 10", len(got))
	}
	deleted := map[string]bool{}
	for _, m := range got[:5] {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		deleted[aws.ToString(m.Body)] = true
	}
	received := time.Now()
	child.Kill(t)

	svc := newService(t, dir)
	c2, _ := newClient(t, svc, cloudtest.Account)
	a := queueAttrs(t, c2, q)
	// In-flight messages stay hidden until their timeout (unless this
	// machine was too slow to look in time).
	if time.Since(received) < 3*time.Second && (a["ApproximateNumberOfMessages"] != "20" || a["ApproximateNumberOfMessagesNotVisible"] != "5") {
		t.Fatalf("after kill -9: %s visible, %s in flight; want 20 and 5", a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"])
	}
	counts := map[string]string{}
	for time.Since(received) < 15*time.Second && len(counts) < 25 {
		for _, m := range receive(t, c2, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}}) {
			body := aws.ToString(m.Body)
			if deleted[body] {
				t.Fatalf("deleted message %s came back", body)
			}
			if _, seen := counts[body]; !seen {
				counts[body] = m.Attributes["ApproximateReceiveCount"]
			}
		}
	}
	if len(counts) != 25 {
		t.Fatalf("after kill -9 received %d distinct messages, want 25", len(counts))
	}
	for _, m := range got[5:] {
		if n := counts[aws.ToString(m.Body)]; n != "2" {
			t.Errorf("in-flight message %s: receive count %s, want 2", aws.ToString(m.Body), n)
		}
	}
}
