package sqs

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVisibilityTotalLimit: ChangeMessageVisibility cannot keep a message
// hidden past 12 hours from the ReceiveMessage call, however often it is
// extended (SQS developer guide, "Visibility timeout": "The maximum
// visibility timeout is 12 hours from the time that Amazon SQS receives the
// ReceiveMessage request. Extending the visibility timeout does not reset
// the 12-hour maximum"). AWS answers InvalidParameterValue with this text
// (quoted from AWS in localstack/localstack#3956 and
// aws/aws-sdk-net#794); a batch entry fails with the same code and text.
func TestVisibilityTotalLimit(t *testing.T) {
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("twelve-hours")})
	require.NoError(t, err)
	for range 2 {
		_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("m")})
		require.NoError(t, err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 2})
	require.NoError(t, err)
	require.Len(t, got.Messages, 2)
	// The handles hold the receive's time in milliseconds, at most this
	// one: once the clock is past it, 43200 s from now ends after the 12
	// hours from the receive.
	for received := time.Now().UnixMilli(); time.Now().UnixMilli() <= received; {
		runtime.Gosched()
	}

	const msg = "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
	rh := got.Messages[0].ReceiptHandle
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: rh, VisibilityTimeout: 43200})
	cloudtest.APIError(t, err, "InvalidParameterValue", msg)
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: rh, VisibilityTimeout: 43000})
	require.NoError(t, err, "within 12 hours of the receive")

	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q.QueueUrl, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("over"), ReceiptHandle: got.Messages[1].ReceiptHandle, VisibilityTimeout: 43200},
		{Id: aws.String("ok"), ReceiptHandle: rh, VisibilityTimeout: 60},
	}})
	require.NoError(t, err)
	require.Len(t, out.Failed, 1)
	assert.Equal(t, "over", aws.ToString(out.Failed[0].Id))
	assert.Equal(t, "InvalidParameterValue", aws.ToString(out.Failed[0].Code))
	assert.Equal(t, msg, aws.ToString(out.Failed[0].Message))
	assert.True(t, out.Failed[0].SenderFault)
	require.Len(t, out.Successful, 1)
	assert.Equal(t, "ok", aws.ToString(out.Successful[0].Id))
}
