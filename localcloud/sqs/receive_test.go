package sqs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// TestReceiveMovesAndExpiresManyInOnePass reproduces issue 11 item 0: one
// receive that moves more than half of a queue's messages to its dead-letter
// queue and expires others used to compact the message slice while ranging
// over it (a nil pointer panic), and left the queue's lock held, so every
// later call on the queue hung.
func TestReceiveMovesAndExpiresManyInOnePass(t *testing.T) {
	t.Parallel()
	svc := newService(t, "")
	c, _ := newClient(t, svc, cloudtest.Account)
	dlqURL := createQueue(t, c, "pass-dlq", nil)
	srcURL := createQueue(t, c, "pass-src", map[string]string{
		"MessageRetentionPeriod": "60",
		"RedrivePolicy":          fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, queueArn(t, c, dlqURL)),
	})
	const poisoned, expired, fresh = 80, 40, 80
	for i := 0; i < poisoned+expired+fresh; i++ {
		send(t, c, srcURL, fmt.Sprintf("m%03d", i))
	}
	q := svc.lookup(queueKey{cloudtest.Account, "us-east-1", "pass-src"})
	q.mu.Lock()
	for i, m := range q.msgs {
		switch {
		case i < poisoned:
			m.receiveCount = 1 // received once already: the next receive moves it
		case i < poisoned+expired:
			m.sent -= 61 * 1000 // past the 60 s retention
		}
	}
	q.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srcURL), MaxNumberOfMessages: 10})
	require.NoError(t, err, "the receive that moves and expires in one pass")
	require.Len(t, out.Messages, 10)
	require.Equal(t, fmt.Sprintf("m%03d", poisoned+expired), aws.ToString(out.Messages[0].Body), "the first fresh message comes first")

	// The queue still answers (its lock was released) and its counts add up.
	src := queueAttrs(t, c, srcURL)
	require.Equal(t, fmt.Sprint(fresh-10), src["ApproximateNumberOfMessages"])
	require.Equal(t, "10", src["ApproximateNumberOfMessagesNotVisible"])
	require.Equal(t, fmt.Sprint(poisoned), queueAttrs(t, c, dlqURL)["ApproximateNumberOfMessages"])
}

// sequenceTarget is a service behind a real HTTP listener with an SDK
// client, shared by the inputs of FuzzReceiveSequences; each input works
// on its own pair of queues.
type sequenceTarget struct {
	svc *Service
	c   *sqs.Client
	n   atomic.Int64
}

func newSequenceTarget(f *testing.F) *sequenceTarget {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(Config{DataDir: f.TempDir(), Logger: quiet})
	require.NoError(f, err)
	f.Cleanup(func() { svc.Close() })
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: quiet})
	rt.Handle(svc.Route())
	srv := httptest.NewServer(rt)
	f.Cleanup(srv.Close)
	return &sequenceTarget{svc: svc, c: sqs.NewFromConfig(cloudtest.Config(srv.URL, cloudtest.Account, "us-east-1"))}
}

// queueState is what a queue holds in memory: live message ids and their
// receive counts, after checking the queue's bookkeeping agrees with itself.
func queueState(t *testing.T, q *queue) map[string]int {
	t.Helper()
	live := map[string]int{}
	q.locked(func() {
		dead := 0
		for _, m := range q.msgs {
			require.NotNil(t, m, "a nil entry in the message slice")
			if m.deleted {
				dead++
				continue
			}
			require.Same(t, m, q.bySeq[m.seq], "bySeq disagrees with msgs")
			live[m.id] = m.receiveCount
		}
		require.Equal(t, dead, q.dead, "deleted entries counted")
		require.Len(t, q.bySeq, len(live), "bySeq holds exactly the live messages")
	})
	return live
}

// FuzzReceiveSequences runs sequences of send, receive, delete, ageing past
// the retention period, the expiry sweep and redrive to a dead-letter queue,
// and checks after every step that each message sent is in exactly one place
// (the queue, its DLQ, deleted or expired), that the DLQ holds only messages
// received maxReceiveCount times, that nothing aged is ever received, and
// that every call answers (no queue lock is left held).
func FuzzReceiveSequences(f *testing.F) {
	target := newSequenceTarget(f)
	f.Add([]byte{0, 0, 0, 1, 1, 1, 4, 1, 2, 5})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 3, 3, 3, 1, 1, 1})
	f.Add([]byte{0, 3, 0, 3, 1, 3, 1, 2, 2, 4, 0, 1, 1, 1, 1, 3, 5, 1})
	f.Add(append(bytes.Repeat([]byte{0}, 30), 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		target.sequence(t, ops)
	})
}

func (st *sequenceTarget) sequence(t *testing.T, ops []byte) {
	c := st.c
	n := st.n.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const maxReceives = 2
	dlqName, srcName := fmt.Sprintf("seq%d-dlq", n), fmt.Sprintf("seq%d", n)
	dlqOut, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlqName)})
	require.NoError(t, err)
	srcOut, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(srcName), Attributes: map[string]string{
		"MessageRetentionPeriod": "60",
		"VisibilityTimeout":      "0", // received messages come straight back: receives pile up counts
		"RedrivePolicy":          fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:%s:%s","maxReceiveCount":%d}`, cloudtest.Account, dlqName, maxReceives),
	}})
	require.NoError(t, err)
	srcURL, dlqURL := srcOut.QueueUrl, dlqOut.QueueUrl
	src := st.svc.lookup(queueKey{cloudtest.Account, "us-east-1", srcName})
	dlq := st.svc.lookup(queueKey{cloudtest.Account, "us-east-1", dlqName})

	sent := map[string]bool{}
	gone := map[string]bool{} // deleted by us, or aged past retention
	aged := map[string]bool{}
	var handles []string
	for i, op := range ops {
		switch op % 6 {
		case 0: // send three
			for j := 0; j < 3; j++ {
				out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: srcURL, MessageBody: aws.String(fmt.Sprintf("b%d.%d", i, j))})
				require.NoError(t, err, "step %d: send", i)
				sent[aws.ToString(out.MessageId)] = true
			}
		case 1: // receive up to ten
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: srcURL, MaxNumberOfMessages: 10})
			require.NoError(t, err, "step %d: receive", i)
			for _, m := range out.Messages {
				require.False(t, aged[aws.ToString(m.MessageId)], "step %d: received a message past its retention", i)
				handles = append(handles, aws.ToString(m.ReceiptHandle))
			}
		case 2: // delete the oldest handle held
			if len(handles) == 0 {
				continue
			}
			h := handles[0]
			handles = handles[1:]
			hd, _ := parseHandle(h)
			live := queueState(t, src)
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: srcURL, ReceiptHandle: aws.String(h)})
			require.NoError(t, err, "step %d: delete", i)
			if _, ok := live[hd.messageID]; ok {
				gone[hd.messageID] = true
			}
		case 3: // age every other live message past the retention period
			k := 0
			src.locked(func() {
				for _, m := range src.msgs {
					if !m.deleted && k%2 == 0 {
						m.sent -= 61 * 1000
						aged[m.id], gone[m.id] = true, true
					}
					k++
				}
			})
		case 4: // the expiry sweep
			st.svc.expire()
		case 5: // the queues' attributes answer
			for _, u := range []*string{srcURL, dlqURL} {
				_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
				require.NoError(t, err, "step %d: attributes", i)
			}
		}
		inSrc, inDLQ := queueState(t, src), queueState(t, dlq)
		for id := range sent {
			_, s := inSrc[id]
			_, d := inDLQ[id]
			switch {
			case s && d:
				t.Fatalf("step %d: message %s is in both the queue and its DLQ", i, id)
			case d && gone[id]:
				t.Fatalf("step %d: message %s deleted or expired, yet in the DLQ", i, id)
			case !s && !d && !gone[id]:
				t.Fatalf("step %d: message %s was lost", i, id)
			case s && gone[id] && !aged[id]:
				t.Fatalf("step %d: message %s deleted, yet in the queue", i, id)
			}
			if d {
				require.GreaterOrEqual(t, inDLQ[id], maxReceives, "step %d: %s moved before maxReceiveCount receives", i, id)
			}
			if s {
				require.LessOrEqual(t, inSrc[id], maxReceives, "step %d: %s received more than maxReceiveCount times", i, id)
			}
		}
	}
}
