package sqs

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// fuzzTarget is a router with the SQS service and a queue "q" (and a
// dead-letter queue "dlq") in the test account.
func fuzzTarget(f *testing.F) http.Handler {
	f.Helper()
	// Logs go nowhere: a fuzz target may not log through f.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(Config{DataDir: f.TempDir(), Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: quiet})
	rt.Handle(svc.Route())
	for _, body := range []string{"Action=CreateQueue&QueueName=q&Version=2012-11-05", "Action=CreateQueue&QueueName=dlq&Version=2012-11-05", "Action=CreateQueue&QueueName=f.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true&Version=2012-11-05"} {
		if code := serveFuzz(rt, "", body); code != http.StatusOK {
			f.Fatalf("setup %s: status %d", body, code)
		}
	}
	return rt
}

// serveFuzz sends one request signed for the test account; target selects
// the JSON protocol. Long polls end after a short while.
func serveFuzz(h http.Handler, target, body string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(body))
	r.Host = "localhost:4566" // the router serves loopback names only
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cloudtest.Account+"/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x")
	if target != "" {
		r.Header.Set("X-Amz-Target", "AmazonSQS."+target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	} else {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

const fuzzQueue = "http://localhost/" + cloudtest.Account + "/q"

func FuzzQueryRequest(f *testing.F) {
	h := fuzzTarget(f)
	for _, s := range []string{
		"Action=SendMessage&QueueUrl=" + fuzzQueue + "&MessageBody=hi&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v",
		"Action=SendMessage&QueueUrl=" + fuzzQueue + "&MessageBody=hi&MessageAttribute.1.Name=b&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=%%%",
		"Action=SendMessage&QueueUrl=" + fuzzQueue + "&MessageBody=x&DelaySeconds=99999999999",
		"Action=ReceiveMessage&QueueUrl=" + fuzzQueue + "&MaxNumberOfMessages=10&AttributeName.1=All&MessageAttributeName.1=All&WaitTimeSeconds=20",
		"Action=ReceiveMessage&QueueUrl=" + fuzzQueue + "&MaxNumberOfMessages=0&VisibilityTimeout=-1",
		"Action=SendMessageBatch&QueueUrl=" + fuzzQueue + "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b&SendMessageBatchRequestEntry.2.Id=a",
		"Action=DeleteMessage&QueueUrl=" + fuzzQueue + "&ReceiptHandle=MTox",
		"Action=DeleteMessageBatch&QueueUrl=" + fuzzQueue + "&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=x",
		"Action=ChangeMessageVisibility&QueueUrl=" + fuzzQueue + "&ReceiptHandle=x&VisibilityTimeout=5",
		"Action=SetQueueAttributes&QueueUrl=" + fuzzQueue + "&Attribute.1.Name=RedrivePolicy&Attribute.1.Value={\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:dlq\",\"maxReceiveCount\":1e9}",
		"Action=SetQueueAttributes&QueueUrl=" + fuzzQueue + "&Attribute.1.Name=Policy&Attribute.1.Value={",
		"Action=GetQueueAttributes&QueueUrl=" + fuzzQueue + "&AttributeName.1=All",
		"Action=ListQueues&MaxResults=1&NextToken=%%",
		"Action=CreateQueue&QueueName=bad name",
		"Action=CreateQueue&QueueName=x.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true&Tag.1.Key=a&Tag.1.Value=b",
		"Action=TagQueue&QueueUrl=" + fuzzQueue + "&Tag.1.Key=&Tag.1.Value=b",
		"Action=StartMessageMoveTask&SourceArn=arn:aws:sqs:us-east-1:123456789012:dlq&MaxNumberOfMessagesPerSecond=0",
		"Action=CancelMessageMoveTask&TaskHandle=e30=",
		"Action=AddPermission&QueueUrl=" + fuzzQueue + "&Label=l&AWSAccountId.1=1&ActionName.1=*",
		"Action=PurgeQueue&QueueUrl=arn:aws:sqs",
		"Action=Nope",
		"%zz",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if code := serveFuzz(h, "", body); code >= 500 {
			t.Fatalf("status %d for %q", code, body)
		}
	})
}

var jsonOpsForFuzz = []string{"CreateQueue", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
	"ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueAttributes", "SetQueueAttributes", "ListQueues", "GetQueueUrl",
	"ListDeadLetterSourceQueues", "TagQueue", "UntagQueue", "ListQueueTags", "PurgeQueue", "StartMessageMoveTask", "ListMessageMoveTasks",
	"CancelMessageMoveTask", "AddPermission", "RemovePermission", "DeleteQueue", "Unknown"}

func FuzzJSONRequest(f *testing.F) {
	h := fuzzTarget(f)
	q := `"QueueUrl":"` + fuzzQueue + `"`
	seeds := []struct {
		op   uint8
		body string
	}{
		{0, `{"QueueName":"j","Attributes":{"VisibilityTimeout":"10"},"tags":{"a":"b"}}`},
		{1, `{` + q + `,"MessageBody":"x","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1e3"}}}`},
		{1, `{` + q + `,"MessageBody":"x","MessageAttributes":{"n":{"DataType":"Binary","BinaryValue":"AAE="}},"DelaySeconds":2}`},
		{2, `{` + q + `,"Entries":[{"Id":"a","MessageBody":"1"},{"Id":"b","MessageBody":""}]}`},
		{3, `{` + q + `,"MaxNumberOfMessages":10,"WaitTimeSeconds":1,"MessageSystemAttributeNames":["All"],"MessageAttributeNames":[".*"]}`},
		{4, `{` + q + `,"ReceiptHandle":"bad"}`},
		{5, `{` + q + `,"Entries":[]}`},
		{6, `{` + q + `,"ReceiptHandle":"MTox","VisibilityTimeout":99999}`},
		{7, `{` + q + `,"Entries":[{"Id":"a","ReceiptHandle":"x","VisibilityTimeout":1}]}`},
		{8, `{` + q + `,"AttributeNames":["All","Nope"]}`},
		{9, `{` + q + `,"Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:dlq\",\"maxReceiveCount\":\"5\"}"}}`},
		{10, `{"MaxResults":0}`},
		{11, `{"QueueName":"q","QueueOwnerAWSAccountId":"1"}`},
		{12, `{` + q + `,"MaxResults":5,"NextToken":"!"}`},
		{17, `{"SourceArn":"arn:aws:sqs:us-east-1:123456789012:dlq","DestinationArn":"arn:x"}`},
		{19, `{"TaskHandle":"!!!"}`},
		{3, `{"QueueUrl":5}`},
		{3, `not json`},
		{23, `{}`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.body)
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := jsonOpsForFuzz[int(op)%len(jsonOpsForFuzz)]
		if name == "DeleteQueue" || name == "PurgeQueue" {
			// Keep the shared queues: other inputs rely on them.
			body = strings.ReplaceAll(body, "/q\"", "/other\"")
		}
		if code := serveFuzz(h, name, body); code >= 500 {
			t.Fatalf("status %d for %s %q", code, name, body)
		}
	})
}
