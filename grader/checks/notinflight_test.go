package checks_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/checks"
)

// TestPutBackOfAMessageNoLongerInFlight: SQS answers MessageNotInflight to
// ChangeMessageVisibility on a message whose visibility timeout already
// ran out (AWS API reference, ChangeMessageVisibility errors). The clean-up
// sweep's put-back of such a message wanted it visible, and it is:
// notInflight recognises the SDK's typed error, so the sweep does not report
// it as a failure (the old peek did, for lab 3's fan-out check under load).
func TestPutBackOfAMessageNoLongerInFlight(t *testing.T) {
	cfg := startCloud(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(cfg)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("peeked")})
	require.NoError(t, err)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x")})
	require.NoError(t, err)
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	h := out.Messages[0].ReceiptHandle
	// The first put-back ends the message's flight; the second is the one a
	// late put-back meets.
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: h, VisibilityTimeout: 0})
	require.NoError(t, err)
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: h, VisibilityTimeout: 0})
	require.Error(t, err)
	require.True(t, checks.NotInflight(err), "got %v, want MessageNotInflight", err)
	require.False(t, checks.NotInflight(context.DeadlineExceeded))
}
