package sqs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// entriesBody is a JSON batch call with n tiny entries.
func entriesBody(queueURL string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"QueueUrl":"` + queueURL + `","Entries":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Id":"%d","MessageBody":"x","ReceiptHandle":"r"}`, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func TestBatchLimitsBeforeDecoding(t *testing.T) {
	t.Parallel()
	base := cloudtest.Serve(t, newService(t, "").Route())
	q := base + "/" + cloudtest.Account + "/q"
	status, body := postForm(t, base, "/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"q"}, "Version": {"2012-11-05"}})
	require.Equal(t, 200, status, body)
	post := func(op string, b []byte) (int, string) {
		return cloudtest.PostJSON(t, base, "AmazonSQS."+op, "sqs", b)
	}
	tests := []struct {
		op       string
		n        int
		wantCode string
	}{
		{"SendMessageBatch", 11, "You have sent 11."},
		{"SendMessageBatch", 120_000, "You have sent 120000."},
		{"DeleteMessageBatch", 120_000, "TooManyEntriesInBatchRequest"},
		{"ChangeMessageVisibilityBatch", 120_000, "TooManyEntriesInBatchRequest"},
		{"SendMessageBatch", 200_000, "RequestEntityTooLarge"}, // over 7 MiB
	}
	for _, tt := range tests {
		status, body := post(tt.op, entriesBody(q, tt.n))
		assert.Contains(t, body, tt.wantCode, "%s of %d entries: %d", tt.op, tt.n, status)
	}
	// A form body over 4 MiB is refused unread.
	status, body = postForm(t, base, "/", url.Values{"Action": {"SendMessage"}, "QueueUrl": {q}, "Version": {"2012-11-05"}, "MessageBody": {strings.Repeat("\x01", 2<<20)}})
	assert.Equal(t, 413, status, body)
}

// TestTooManyEntriesNamesTheCount: a batch of more than 10 entries is
// TooManyEntriesInBatchRequest naming how many were sent, "Maximum number
// of entries per request are 10. You have sent 11." (moto's
// test_send_message_batch_errors, marked aws_verified: run against SQS).
func TestTooManyEntriesNamesTheCount(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "many", nil)
	for _, n := range []int{11, 12, 25} {
		send := make([]types.SendMessageBatchRequestEntry, n)
		del := make([]types.DeleteMessageBatchRequestEntry, n)
		vis := make([]types.ChangeMessageVisibilityBatchRequestEntry, n)
		for i := range n {
			id := aws.String(fmt.Sprint("id_", i))
			send[i] = types.SendMessageBatchRequestEntry{Id: id, MessageBody: aws.String("b")}
			del[i] = types.DeleteMessageBatchRequestEntry{Id: id, ReceiptHandle: aws.String("r")}
			vis[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: id, ReceiptHandle: aws.String("r")}
		}
		_, errSend := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: send})
		_, errDel := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
		_, errVis := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: vis})
		for _, err := range []error{errSend, errDel, errVis} {
			var e *types.TooManyEntriesInBatchRequest
			require.True(t, errors.As(err, &e), "%d entries: %v", n, err)
			assert.Equal(t, fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", n), e.ErrorMessage())
		}
	}
}
