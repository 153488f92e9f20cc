package sns

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPublishBatchFIFORequiresGroupAndDedup: a PublishBatch to a FIFO topic
// fails as a whole ("If you don't provide a MessageGroupId, the action
// fails") when an entry lacks its MessageGroupId, or its
// MessageDeduplicationId on a topic without content-based deduplication, and
// publishes nothing.
func TestPublishBatchFIFORequiresGroupAndDedup(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	cbd := createTopic(t, c, "cbd.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	plain := createTopic(t, c, "plain.fifo", map[string]string{"FifoTopic": "true"})
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":q.fifo"
	subscribe(t, c, cbd, "sqs", queue, nil)
	subscribe(t, c, plain, "sqs", queue, nil)
	entry := func(id, group, dedup string) types.PublishBatchRequestEntry {
		e := types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String("m " + id)}
		if group != "" {
			e.MessageGroupId = aws.String(group)
		}
		if dedup != "" {
			e.MessageDeduplicationId = aws.String(dedup)
		}
		return e
	}
	tests := []struct {
		topic   string
		entries []types.PublishBatchRequestEntry
		want    string
	}{
		{cbd, []types.PublishBatchRequestEntry{entry("a", "g", ""), entry("b", "", "")},
			"Invalid parameter: The MessageGroupId parameter is required for FIFO topics"},
		{plain, []types.PublishBatchRequestEntry{entry("a", "g", "d"), entry("b", "g", "")},
			"Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
	}
	for _, tt := range tests {
		_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(tt.topic), PublishBatchRequestEntries: tt.entries})
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) || ipe.ErrorMessage() != tt.want {
			t.Errorf("PublishBatch(%s): got %v, want InvalidParameter %q", tt.topic, err, tt.want)
		}
	}
	if got := q.deliveries(queue); len(got) != 0 {
		t.Errorf("refused batches delivered %d messages", len(got))
	}
	out, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(plain),
		PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a", "g", "d1"), entry("b", "g", "d2")}})
	if err != nil || len(out.Successful) != 2 {
		t.Fatalf("PublishBatch with groups and dedup ids = %+v, %v; want 2 successful", out, err)
	}
}
