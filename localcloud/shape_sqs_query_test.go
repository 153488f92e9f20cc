package localcloud_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// queryCall sends a signed query-protocol request, as the AWS CLI v2 of
// Debian (botocore 1.29) sends SQS's, and returns the call for checking;
// it fails the test unless the answer is 200.
func queryCall(t *testing.T, endpoint, service, version, action string, params url.Values) conformance.Call {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {version}}
	for k, v := range params {
		form[k] = v
	}
	body := []byte(form.Encode())
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	signRequest(t, req, body, "123456789012", service)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %v: %d %s", action, params, resp.StatusCode, b)
	}
	return conformance.Call{Operation: action, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestSQSQueryResponsesMatchBotocoreShapes drives SQS's operations in the
// query protocol, which Debian's AWS CLI v2 (botocore 1.29) speaks to SQS,
// and holds every XML answer to botocore's output shape: flattened
// <Attribute><Name/><Value/></Attribute> maps, <Message> and <QueueUrl>
// lists.
func TestSQSQueryResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "sqs")
	endpoint := startCloud(t)
	var calls []conformance.Call
	call := func(action string, params url.Values) conformance.Call {
		c := queryCall(t, endpoint, "sqs", "2012-11-05", action, params)
		calls = append(calls, c)
		return c
	}
	call("CreateQueue", url.Values{"QueueName": {"dlq"}})
	call("CreateQueue", url.Values{"QueueName": {"shapes"}, "Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"30"},
		"Tag.1.Key": {"k"}, "Tag.1.Value": {"v"}})
	q := endpoint + "/123456789012/shapes"
	call("GetQueueUrl", url.Values{"QueueName": {"shapes"}})
	call("ListQueues", url.Values{})
	call("GetQueueAttributes", url.Values{"QueueUrl": {q}, "AttributeName.1": {"All"}})
	call("SetQueueAttributes", url.Values{"QueueUrl": {q}, "Attribute.1.Name": {"RedrivePolicy"},
		"Attribute.1.Value": {`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":"3"}`}})
	call("ListDeadLetterSourceQueues", url.Values{"QueueUrl": {endpoint + "/123456789012/dlq"}})
	call("SendMessage", url.Values{"QueueUrl": {q}, "MessageBody": {"one"},
		"MessageAttribute.1.Name": {"s"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"x"},
		"MessageAttribute.2.Name": {"b"}, "MessageAttribute.2.Value.DataType": {"Binary"}, "MessageAttribute.2.Value.BinaryValue": {"AQI="}})
	call("SendMessageBatch", url.Values{"QueueUrl": {q},
		"SendMessageBatchRequestEntry.1.Id": {"a"}, "SendMessageBatchRequestEntry.1.MessageBody": {"two"},
		"SendMessageBatchRequestEntry.2.Id": {"b"}, "SendMessageBatchRequestEntry.2.MessageBody": {"three"}})
	rcv := call("ReceiveMessage", url.Values{"QueueUrl": {q}, "MaxNumberOfMessages": {"10"}, "AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}})
	var got struct {
		Messages []struct{ ReceiptHandle string } `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal(rcv.Body, &got); err != nil || len(got.Messages) < 3 {
		t.Fatalf("ReceiveMessage: %v, %d messages: %s", err, len(got.Messages), rcv.Body)
	}
	h := func(i int) []string { return []string{got.Messages[i].ReceiptHandle} }
	call("ChangeMessageVisibility", url.Values{"QueueUrl": {q}, "ReceiptHandle": h(0), "VisibilityTimeout": {"60"}})
	call("ChangeMessageVisibilityBatch", url.Values{"QueueUrl": {q},
		"ChangeMessageVisibilityBatchRequestEntry.1.Id": {"a"}, "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": h(1),
		"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": {"60"},
		"ChangeMessageVisibilityBatchRequestEntry.2.Id":                {"bad"}, "ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle": {"nope"},
		"ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout": {"60"}})
	call("DeleteMessage", url.Values{"QueueUrl": {q}, "ReceiptHandle": h(0)})
	call("DeleteMessageBatch", url.Values{"QueueUrl": {q},
		"DeleteMessageBatchRequestEntry.1.Id": {"a"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": h(1),
		"DeleteMessageBatchRequestEntry.2.Id": {"c"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": h(2)})
	call("AddPermission", url.Values{"QueueUrl": {q}, "Label": {"p"}, "AWSAccountId.1": {"111122223333"}, "ActionName.1": {"SendMessage"}})
	call("RemovePermission", url.Values{"QueueUrl": {q}, "Label": {"p"}})
	call("TagQueue", url.Values{"QueueUrl": {q}, "Tag.1.Key": {"k2"}, "Tag.1.Value": {"v2"}})
	call("ListQueueTags", url.Values{"QueueUrl": {q}})
	call("UntagQueue", url.Values{"QueueUrl": {q}, "TagKey.1": {"k2"}})
	call("PurgeQueue", url.Values{"QueueUrl": {q}})
	call("DeleteQueue", url.Values{"QueueUrl": {q}})

	verifyShapes(t, m, calls, served(m, "sqs"))
}
