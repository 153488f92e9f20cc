package sqs

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// postForm sends a signed awsQuery request to base+path.
func postForm(t testing.TB, base, path string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cloudtest.Account+"/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestQueryProtocolShapes(t *testing.T) {
	t.Parallel()
	base := cloudtest.Serve(t, newService(t, "").Route())
	v := func(kv ...string) url.Values {
		f := url.Values{"Version": {"2012-11-05"}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	if code, body := postForm(t, base, "/", v("Action", "CreateQueue", "QueueName", "shape", "Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "7")); code != 200 {
		t.Fatalf("CreateQueue: %d %s", code, body)
	}
	// The CLI may post to the queue URL's path instead of naming QueueUrl.
	path := "/" + cloudtest.Account + "/shape"
	code, body := postForm(t, base, path, v("Action", "SendMessage", "MessageBody", "hi",
		"MessageAttribute.1.Name", "k", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "v"))
	if code != 200 || !strings.Contains(body, "<MD5OfMessageBody>49f68a5c8493ec2c0bf489821c21fc3b</MD5OfMessageBody>") {
		t.Fatalf("SendMessage: %d %s", code, body)
	}
	code, body = postForm(t, base, path, v("Action", "ReceiveMessage", "AttributeName.1", "All", "MessageAttributeName.1", "All"))
	var recv struct {
		XMLName xml.Name `xml:"ReceiveMessageResponse"`
		Result  struct {
			Messages []struct {
				Body              string
				Attributes        []struct{ Name, Value string } `xml:"Attribute"`
				MessageAttributes []struct {
					Name  string
					Value struct{ StringValue, DataType string }
				} `xml:"MessageAttribute"`
			} `xml:"Message"`
		} `xml:"ReceiveMessageResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &recv); err != nil || code != 200 {
		t.Fatalf("ReceiveMessage: %d %v %s", code, err, body)
	}
	if len(recv.Result.Messages) != 1 {
		t.Fatalf("ReceiveMessage: got %s", body)
	}
	m := recv.Result.Messages[0]
	if m.Body != "hi" || len(m.Attributes) < 4 || len(m.MessageAttributes) != 1 || m.MessageAttributes[0].Value.StringValue != "v" || recv.RequestID == "" {
		t.Errorf("ReceiveMessage shape: %s", body)
	}
	code, body = postForm(t, base, "/", v("Action", "GetQueueAttributes", "QueueUrl", base+"/"+cloudtest.Account+"/nope", "AttributeName.1", "All"))
	if code != 400 || !strings.Contains(body, "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
		t.Errorf("missing queue: %d %s", code, body)
	}
	code, body = postForm(t, base, "/", v("Action", "ListQueues"))
	if code != 200 || !strings.Contains(body, "<QueueUrl>"+base+path+"</QueueUrl>") {
		t.Errorf("ListQueues: %d %s", code, body)
	}
	if code, body := postForm(t, base, "/", v("Action", "CreateQueue", "QueueName", "tagged", "Tag.1.Key", "team", "Tag.1.Value", "blue")); code != 200 {
		t.Fatalf("CreateQueue with tags: %d %s", code, body)
	}
	code, body = postForm(t, base, "/"+cloudtest.Account+"/tagged", v("Action", "ListQueueTags"))
	if code != 200 || !strings.Contains(body, "<Tag><Key>team</Key><Value>blue</Value></Tag>") {
		t.Errorf("ListQueueTags: %d %s", code, body)
	}
	code, body = postForm(t, base, "/", v("Action", "TagQueue", "QueueUrl", base+"/"+cloudtest.Account+"/tagged", "Tag.1.Key", "env", "Tag.1.Value", "dev"))
	if code != 200 {
		t.Errorf("TagQueue: %d %s", code, body)
	}
	code, body = postForm(t, base, path, v("Action", "SendMessageBatch",
		"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "one",
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name", "k", "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType", "Number",
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue", "1",
		"SendMessageBatchRequestEntry.2.Id", "b", "SendMessageBatchRequestEntry.2.MessageBody", "two", "SendMessageBatchRequestEntry.2.DelaySeconds", "901"))
	if code != 200 || !strings.Contains(body, "<SendMessageBatchResultEntry><Id>a</Id><MD5OfMessageBody>") || !strings.Contains(body, "<MD5OfMessageAttributes>") ||
		!strings.Contains(body, "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>") {
		t.Errorf("SendMessageBatch: %d %s", code, body)
	}
	code, body = postForm(t, base, "/", v("Action", "Frobnicate"))
	if code != 400 || !strings.Contains(body, "InvalidAction") {
		t.Errorf("unknown action: %d %s", code, body)
	}
}

func TestQueueDepthEvents(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	events, stop := bus.Subscribe(64)
	defer stop()
	svc, err := New(Config{DataDir: t.TempDir(), Bus: bus, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	c, _ := newClient(t, svc, cloudtest.Account)
	url := createQueue(t, c, "depth", nil)
	send(t, c, url, "x")
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == activity.KindQueueDepth && e.Name == "depth" && e.Visible == 1 {
				return
			}
		case <-timeout:
			t.Fatal("no queue depth event with one visible message")
		}
	}
}
