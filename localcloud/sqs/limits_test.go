package sqs

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"

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
		{"SendMessageBatch", 11, "TooManyEntriesInBatchRequest"},
		{"SendMessageBatch", 120_000, "TooManyEntriesInBatchRequest"},
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
