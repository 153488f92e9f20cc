package sns

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// FuzzQueryRequest sends arbitrary form bodies to the SNS handler: every
// answer must be a success or an error in the query protocol's shape, never
// a 500 or a panic.
func FuzzQueryRequest(f *testing.F) {
	q := &fakeQueues{}
	// HTTP subscriptions the fuzzer invents must not reach any network.
	noNetwork := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no network in fuzz tests")
	})}
	svc, err := New(Config{DataDir: f.TempDir(), Queues: q, Functions: &fakeFunctions{}, HTTPClient: noNetwork})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	h := svc.Route().Handler
	const topic = "arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Afz"
	seeds := []string{
		"Action=CreateTopic&Name=fz",
		"Action=CreateTopic&Name=fz.fifo&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true",
		"Action=Subscribe&TopicArn=" + topic + "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A123456789012%3Aq&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22a%22%3A%5B%22b%22%5D%7D",
		"Action=Subscribe&TopicArn=" + topic + "&Protocol=lambda&Endpoint=arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af",
		"Action=Publish&TopicArn=" + topic + "&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=b",
		"Action=Publish&TopicArn=" + topic + "&Message=%7B%22default%22%3A%22x%22%7D&MessageStructure=json",
		"Action=PublishBatch&TopicArn=" + topic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m",
		"Action=PublishBatch&TopicArn=" + topic + "&PublishBatchRequestEntries.member.0.Id=a&PublishBatchRequestEntries.member.99999999999999999999.Id=b",
		"Action=SetSubscriptionAttributes&SubscriptionArn=" + topic + "%3Ax&AttributeName=FilterPolicy&AttributeValue=%7B",
		"Action=ListTopics&NextToken=%00",
		"Action=TagResource&ResourceArn=" + topic + "&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=UntagResource&ResourceArn=" + topic + "&TagKeys.member.1=k",
		"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc",
		"Action=GetTopicAttributes&TopicArn=arn%3Aaws%3Asns%3A%3A%3A",
		"Action=DeleteTopic&TopicArn=" + topic,
		"Action=Publish&MessageAttributes.entry.1.Name=x&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=%%%",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ctx := protocol.WithIdentity(req.Context(), protocol.Identity{AccountID: "123456789012", Region: "us-east-1", AccessKeyID: "123456789012", Service: "sns"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d: %s", body, rec.Code, rec.Body.String())
		}
		if rec.Code != 200 && !strings.Contains(rec.Body.String(), "<ErrorResponse") {
			t.Fatalf("body %q: status %d without an ErrorResponse: %s", body, rec.Code, rec.Body.String())
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
