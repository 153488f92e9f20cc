package sqs

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const crashDirEnv = "SQS_CRASH_CHILD_DIR"

// TestCrashChild is the process TestKill9 kills: it serves SQS on DataDir
// until killed. It does nothing as a normal test.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only runs as TestKill9's child process")
	}
	svc, err := New(Config{DataDir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(svc.Route())
	fmt.Println("url http://" + ln.Addr().String())
	http.Serve(ln, rt)
}

// TestKill9 kills a serving process with SIGKILL and reopens its data: what
// was acknowledged (sends, receives, deletes) is all there.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "url ")
	if err != nil || !ok {
		t.Fatalf("child said %q, %v", line, err)
	}
	c := sqs.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
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
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

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
