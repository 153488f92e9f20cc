package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// apiCode is the error code a real client reports for err ("" for none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// AddPermission shares only the actions another account may call (the
// developer guide's "grant permissions" list, "*" for all of them), within the
// policy quotas (7 actions per statement, 20 statements), and writes a lone principal or action as a string, the
// way the policy it generates reads on AWS.
func TestAddPermissionGrantsSharedActionsOnly(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "shared", nil)
	arn := queueArn(t, c, url)
	add := func(label string, accounts, actions []string) error {
		_, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String(label), AWSAccountIds: accounts, Actions: actions})
		return err
	}
	require.NoError(t, add("one", []string{"111122223333"}, []string{"SendMessage"}))
	require.NoError(t, add("all", []string{"111122223333", "444455556666"}, []string{"*"}))
	require.NoError(t, add("two", []string{"111122223333"}, []string{"ReceiveMessage", "DeleteMessage"}))

	for _, owner := range []string{"RemovePermission", "AddPermission", "SetQueueAttributes", "DeleteQueue"} {
		err := add("owner-"+owner, []string{"111122223333"}, []string{"SendMessage", owner})
		assert.Equal(t, "InvalidParameterValue", apiCode(err), owner)
		assert.ErrorContains(t, err, "Value SQS:"+owner+" for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.")
	}
	err := add("batch", []string{"111122223333"}, []string{"SendMessageBatch"})
	assert.ErrorContains(t, err, "Value SQS:SendMessageBatch for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. ")
	eight := []string{"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl", "PurgeQueue", "ListDeadLetterSourceQueues"}
	var over *types.OverLimit
	assert.ErrorAs(t, add("eight", []string{"111122223333"}, eight), &over)

	var policy struct {
		Version   string
		Id        string
		Statement []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(queueAttrs(t, c, url)["Policy"]), &policy))
	assert.Equal(t, "2012-10-17", policy.Version)
	assert.Equal(t, arn+"/SQSDefaultPolicy", policy.Id)
	want := []map[string]any{
		{"Sid": "one", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, "Action": "SQS:SendMessage", "Resource": arn},
		{"Sid": "all", "Effect": "Allow", "Principal": map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}}, "Action": "SQS:*", "Resource": arn},
		{"Sid": "two", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, "Action": []any{"SQS:ReceiveMessage", "SQS:DeleteMessage"}, "Resource": arn},
	}
	assert.Equal(t, want, policy.Statement, "refused grants leave the policy as it was")

	for i := len(want); i < 20; i++ {
		require.NoError(t, add(fmt.Sprint("more", i), []string{"111122223333"}, []string{"GetQueueUrl"}))
	}
	assert.ErrorAs(t, add("twenty-first", []string{"111122223333"}, []string{"GetQueueUrl"}), &over, "a policy holds at most 20 statements")
}

// A SendMessageBatch to a FIFO queue with an entry missing its
// MessageGroupId, or its MessageDeduplicationId on a queue without
// content-based deduplication, fails as a whole with SendMessage's error and
// sends nothing; entries are otherwise judged one by one.
func TestSendMessageBatchFIFORequiresGroupAndDedup(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	cbd := createQueue(t, c, "cbd.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	plain := createQueue(t, c, "plain.fifo", map[string]string{"FifoQueue": "true"})
	batch := func(url string, entries ...types.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		return c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	}
	entry := func(id, group, dedup string) types.SendMessageBatchRequestEntry {
		e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String("body " + id)}
		if group != "" {
			e.MessageGroupId = aws.String(group)
		}
		if dedup != "" {
			e.MessageDeduplicationId = aws.String(dedup)
		}
		return e
	}

	_, err := batch(cbd, entry("a", "g", ""), entry("b", "", ""))
	assert.Equal(t, "MissingParameter", apiCode(err))
	assert.ErrorContains(t, err, "The request must contain the parameter MessageGroupId.")

	_, err = batch(plain, entry("a", "g", "d1"), entry("b", "g", ""))
	assert.Equal(t, "InvalidParameterValue", apiCode(err))
	assert.ErrorContains(t, err, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")

	for _, url := range []string{cbd, plain} {
		assert.Equal(t, "0", queueAttrs(t, c, url)["ApproximateNumberOfMessages"], "a refused batch sends nothing")
	}

	out, err := batch(plain, entry("a", "g", "d1"), entry("b", "g", "d2"))
	require.NoError(t, err)
	assert.Len(t, out.Successful, 2)
}

// UntagQueue without keys, or with a key outside 1 to 128 characters, is
// refused in SQS's words and leaves the tags alone.
func TestUntagQueueKeyLengths(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "tagged", nil)
	_, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "a"}})
	require.NoError(t, err)
	for _, keys := range [][]string{{}, {""}, {strings.Repeat("k", 129)}, {"team", ""}} {
		_, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: keys})
		cloudtest.APIError(t, err, "InvalidParameterValue", "Tag keys must be between 1 and 128 characters in length.")
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "a"}, tags.Tags)
}
