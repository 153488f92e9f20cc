package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestBareQueueNameIsResolved: SQS takes a queue's name where a QueueUrl is
// expected and acts on the caller's queue of that name (SDK over JSON, CLI
// over the query protocol).
func TestBareQueueNameIsResolved(t *testing.T) {
	t.Parallel()
	c, endpoint := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "orders", nil)
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("orders"), MessageBody: aws.String("by name")})
	require.NoError(t, err)
	got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	require.Len(t, got, 1)
	assert.Equal(t, "by name", aws.ToString(got[0].Body))

	var attrs struct{ Attributes map[string]string }
	newCLI(t, endpoint).json(&attrs, "get-queue-attributes", "--queue-url", "orders", "--attribute-names", "QueueArn")
	assert.Equal(t, "arn:aws:sqs:us-east-1:"+cloudtest.Account+":orders", attrs.Attributes["QueueArn"])

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("absent"), MessageBody: aws.String("x")})
	var ne *types.QueueDoesNotExist
	assert.True(t, errors.As(err, &ne), "%v", err)
}

// TestMessageAttributeNameWildcards: ReceiveMessage's MessageAttributeNames
// takes "All", ".*" and "prefix.*" (SQS API reference).
func TestMessageAttributeNameWildcards(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "attrs", nil)
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	cases := []struct {
		names []string
		want  []string
	}{
		{[]string{"All"}, []string{"Order.id", "Order.total", "Trace"}},
		{[]string{".*"}, []string{"Order.id", "Order.total", "Trace"}},
		{[]string{"Order.*"}, []string{"Order.id", "Order.total"}},
		{[]string{"Trace"}, []string{"Trace"}},
		{[]string{"Order.id", "Trace"}, []string{"Order.id", "Trace"}},
		{[]string{"Other.*"}, nil},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"Order.id": str("o-1"), "Order.total": str("9"), "Trace": str("t")}})
			require.NoError(t, err)
			got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: tc.names})
			require.Len(t, got, 1)
			var names []string
			for k := range got[0].MessageAttributes {
				names = append(names, k)
			}
			sort.Strings(names)
			assert.Equal(t, tc.want, names)
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle})
			require.NoError(t, err)
		})
	}
}

// TestEmptyBatchNamesItsEntryType: SQS's EmptyBatchRequest message names
// the request's entry type ("There should be at least one
// DeleteMessageBatchRequestEntry in the request.").
func TestEmptyBatchNamesItsEntryType(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "batches", nil)
	cases := []struct {
		entry string
		call  func() error
	}{
		{"SendMessageBatchRequestEntry", func() error {
			_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{}})
			return err
		}},
		{"DeleteMessageBatchRequestEntry", func() error {
			_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{}})
			return err
		}},
		{"ChangeMessageVisibilityBatchRequestEntry", func() error {
			_, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.entry, func(t *testing.T) {
			var e *types.EmptyBatchRequest
			require.True(t, errors.As(tc.call(), &e))
			assert.Equal(t, "There should be at least one "+tc.entry+" in the request.", e.ErrorMessage())
		})
	}
}

// TestJSONErrorWire: SQS's JSON protocol names the error in __type with
// the com.amazonaws.sqs# namespace and keeps the query protocol's code in
// x-amzn-query-error (code;Sender), which botocore reads first.
func TestJSONErrorWire(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	_, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("absent")})
	var re *smithyhttp.ResponseError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, http.StatusBadRequest, re.HTTPStatusCode())
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue;Sender", re.Response.Header.Get("X-Amzn-Query-Error"))
	var ne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &ne))
	assert.Equal(t, "The specified queue does not exist.", ne.ErrorMessage())

	// The body's __type is the JSON protocol's shape name in SQS's namespace.
	_, url := newClient(t, newService(t, ""), cloudtest.Account)
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"QueueName":"absent"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
	sum := sha256.Sum256([]byte(`{"QueueName":"absent"}`))
	creds := aws.Credentials{AccessKeyID: cloudtest.Account, SecretAccessKey: "secret"}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sqs", "us-east-1", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "com.amazonaws.sqs#QueueDoesNotExist", body.Type)
	assert.Equal(t, "The specified queue does not exist.", body.Message)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue;Sender", resp.Header.Get("X-Amzn-Query-Error"))
}

// TestQueueURLNamingNoQueue: a QueueUrl that names no queue (a host with no
// account/name path) is answered as a queue that does not exist: HTTP 400,
// QueueDoesNotExist ("The specified queue does not exist.", SQS API reference).
func TestQueueURLNamingNoQueue(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	_, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String("http://whatever-incorrect-queue-address"), AttributeNames: []types.QueueAttributeName{"All"}})
	var ne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &ne), "%v", err)
	assert.Equal(t, "The specified queue does not exist.", ne.ErrorMessage())
	var re *smithyhttp.ResponseError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, http.StatusBadRequest, re.HTTPStatusCode())
}
