package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestSNSResponsesMatchBotocoreShapes drives SNS's operations through the
// SDK (topics, subscriptions to SQS, publishing, permissions, tags, data
// protection, platform applications and endpoints, SMS settings, an HTTP
// subscription confirmed with its token) and
// holds every XML answer to botocore's output shape for its operation.
func TestSNSResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "sns")
	cfg := sdkConfig(startCloud(t))
	rcfg, rec := recording(cfg)
	ctx := context.Background()
	c := sns.NewFromConfig(rcfg)
	queues := sqs.NewFromConfig(cfg)

	topic := do(c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("shapes"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})).ok(t).TopicArn
	do(c.ListTopics(ctx, &sns.ListTopicsInput{})).ok(t)
	do(c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: topic})).ok(t)
	do(c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Shapes")})).ok(t)
	q := do(queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shapes-sub")})).ok(t).QueueUrl
	qarn := do(queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})).ok(t).Attributes["QueueArn"]
	do(queues.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + qarn + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + aws.ToString(topic) + `"}}}]}`}})).ok(t)
	sub := do(c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn), ReturnSubscriptionArn: true,
		Attributes: map[string]string{"RawMessageDelivery": "true"}})).ok(t).SubscriptionArn
	do(c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub})).ok(t)
	do(c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: sub, AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"kind":["order"]}`)})).ok(t)
	do(c.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})).ok(t)
	do(c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic})).ok(t)
	do(c.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("hello"), Subject: aws.String("s"),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("order")}}})).ok(t)
	do(c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one")}, {Id: aws.String("b"), Message: aws.String("two")}}})).ok(t)
	do(c.AddPermission(ctx, &sns.AddPermissionInput{TopicArn: topic, Label: aws.String("p"), AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})).ok(t)
	do(c.RemovePermission(ctx, &sns.RemovePermissionInput{TopicArn: topic, Label: aws.String("p")})).ok(t)
	do(c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: topic, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: topic})).ok(t)
	do(c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: topic, TagKeys: []string{"k2"}})).ok(t)
	do(c.PutDataProtectionPolicy(ctx, &sns.PutDataProtectionPolicyInput{ResourceArn: topic, DataProtectionPolicy: aws.String(`{"Name":"p","Description":"","Version":"2021-06-01",` +
		`"Statement":[{"Sid":"a","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"SampleRate":"99","FindingsDestination":{}}}}]}`)})).ok(t)
	do(c.GetDataProtectionPolicy(ctx, &sns.GetDataProtectionPolicyInput{ResourceArn: topic})).ok(t)

	fifo := do(c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("shapes.fifo"), Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}})).ok(t).TopicArn
	do(c.Publish(ctx, &sns.PublishInput{TopicArn: fifo, Message: aws.String("f"), MessageGroupId: aws.String("g")})).ok(t)
	do(c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: fifo, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one"), MessageGroupId: aws.String("g")}}})).ok(t)
	do(c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: fifo})).ok(t)

	// Platform applications and endpoints.
	app := do(c.CreatePlatformApplication(ctx, &sns.CreatePlatformApplicationInput{Name: aws.String("app"), Platform: aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": "key"}})).ok(t).PlatformApplicationArn
	do(c.GetPlatformApplicationAttributes(ctx, &sns.GetPlatformApplicationAttributesInput{PlatformApplicationArn: app})).ok(t)
	do(c.SetPlatformApplicationAttributes(ctx, &sns.SetPlatformApplicationAttributesInput{PlatformApplicationArn: app, Attributes: map[string]string{"SuccessFeedbackSampleRate": "50"}})).ok(t)
	do(c.ListPlatformApplications(ctx, &sns.ListPlatformApplicationsInput{})).ok(t)
	ep := do(c.CreatePlatformEndpoint(ctx, &sns.CreatePlatformEndpointInput{PlatformApplicationArn: app, Token: aws.String("device-token")})).ok(t).EndpointArn
	do(c.GetEndpointAttributes(ctx, &sns.GetEndpointAttributesInput{EndpointArn: ep})).ok(t)
	do(c.SetEndpointAttributes(ctx, &sns.SetEndpointAttributesInput{EndpointArn: ep, Attributes: map[string]string{"CustomUserData": "u"}})).ok(t)
	do(c.ListEndpointsByPlatformApplication(ctx, &sns.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: app})).ok(t)
	do(c.Publish(ctx, &sns.PublishInput{TargetArn: ep, Message: aws.String("push")})).ok(t)
	do(c.DeleteEndpoint(ctx, &sns.DeleteEndpointInput{EndpointArn: ep})).ok(t)
	do(c.DeletePlatformApplication(ctx, &sns.DeletePlatformApplicationInput{PlatformApplicationArn: app})).ok(t)

	// SMS.
	do(c.SetSMSAttributes(ctx, &sns.SetSMSAttributesInput{Attributes: map[string]string{"DefaultSMSType": "Transactional"}})).ok(t)
	do(c.GetSMSAttributes(ctx, &sns.GetSMSAttributesInput{})).ok(t)
	do(c.CheckIfPhoneNumberIsOptedOut(ctx, &sns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String("+15555550100")})).ok(t)
	do(c.ListPhoneNumbersOptedOut(ctx, &sns.ListPhoneNumbersOptedOutInput{})).ok(t)
	do(c.OptInPhoneNumber(ctx, &sns.OptInPhoneNumberInput{PhoneNumber: aws.String("+15555550100")})).ok(t)
	do(c.GetSMSSandboxAccountStatus(ctx, &sns.GetSMSSandboxAccountStatusInput{})).ok(t)
	do(c.CreateSMSSandboxPhoneNumber(ctx, &sns.CreateSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550101")})).ok(t)
	do(c.VerifySMSSandboxPhoneNumber(ctx, &sns.VerifySMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550101"), OneTimePassword: aws.String("123456")})).ok(t)
	do(c.ListSMSSandboxPhoneNumbers(ctx, &sns.ListSMSSandboxPhoneNumbersInput{})).ok(t)
	do(c.ListOriginationNumbers(ctx, &sns.ListOriginationNumbersInput{})).ok(t)
	do(c.DeleteSMSSandboxPhoneNumber(ctx, &sns.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550101")})).ok(t)

	// An HTTP subscription, confirmed with the token SNS posts.
	tokens := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Type, Token string }
		json.NewDecoder(r.Body).Decode(&msg)
		if msg.Type == "SubscriptionConfirmation" {
			tokens <- msg.Token
		}
	}))
	t.Cleanup(srv.Close)
	do(c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL)})).ok(t)
	select {
	case tok := <-tokens:
		do(c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic, Token: aws.String(tok)})).ok(t)
	case <-time.After(30 * time.Second):
		t.Error("no SubscriptionConfirmation reached the HTTP endpoint")
	}

	do(c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: sub})).ok(t)
	do(c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "sns"))
}
