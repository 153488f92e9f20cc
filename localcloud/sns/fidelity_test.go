package sns

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// httpStatus is the HTTP status of an SDK call's error.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestMissingResourcesAnswerAsSNS: botocore's SNS model gives
// NotFoundException (code NotFound, 404) for GetSubscriptionAttributes and
// SetSubscriptionAttributes, and ResourceNotFoundException (code
// ResourceNotFound, 404) for the tag operations. Unsubscribe of a
// subscription already gone succeeds (it is idempotent: moto's and
// LocalStack's AWS-validated SNS tests unsubscribe twice).
func TestMissingResourcesAnswerAsSNS(t *testing.T) {
	t.Parallel()
	c := newEnv(t, Config{}).client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "present", nil)
	missingSub := topic + ":6b0e71bd-7e97-4d97-80ce-4a0994e55286"
	missingTopic := "arn:aws:sns:us-east-1:" + cloudtest.Account + ":absent"
	cases := []struct {
		name, code string
		call       func() error
	}{
		{"GetSubscriptionAttributes", "NotFound", func() error {
			_, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &missingSub})
			return err
		}},
		{"SetSubscriptionAttributes", "NotFound", func() error {
			_, err := c.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &missingSub, AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")})
			return err
		}},
		{"TagResource", "ResourceNotFound", func() error {
			_, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: &missingTopic, Tags: []snstypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}},
		{"UntagResource", "ResourceNotFound", func() error {
			_, err := c.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: &missingTopic, TagKeys: []string{"k"}})
			return err
		}},
		{"ListTagsForResource", "ResourceNotFound", func() error {
			_, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: &missingTopic})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			assert.Equal(t, tc.code, errorCode(err))
			assert.Equal(t, http.StatusNotFound, httpStatus(err))
		})
	}
	_, err := c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: &missingSub})
	require.NoError(t, err, "Unsubscribe of a subscription already gone")
	sub := subscribe(t, c, topic, "sqs", "arn:aws:sqs:us-east-1:"+cloudtest.Account+":q", nil)
	for range 2 {
		_, err = c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: &sub})
		require.NoError(t, err)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	assert.Equal(t, "NotFound", errorCode(err), "the subscription is gone")
}

// TestTopicAttributesAsSNS: SNS reads FifoTopic case-insensitively
// ("True" makes a FIFO topic), and GetTopicAttributes returns the
// DeliveryPolicy SetTopicAttributes stored.
func TestTopicAttributesAsSNS(t *testing.T) {
	t.Parallel()
	c := newEnv(t, Config{}).client(cloudtest.Account)
	ctx := context.Background()
	fifo := createTopic(t, c, "orders.fifo", map[string]string{"FifoTopic": "True"})
	got, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &fifo})
	require.NoError(t, err)
	assert.Equal(t, "true", got.Attributes["FifoTopic"])

	std := createTopic(t, c, "plain", nil)
	const dp = `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":60}}}`
	_, err = c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &std, AttributeName: aws.String("DeliveryPolicy"), AttributeValue: aws.String(dp)})
	require.NoError(t, err)
	got, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &std})
	require.NoError(t, err)
	assert.JSONEq(t, dp, got.Attributes["DeliveryPolicy"])
}

// TestFIFOTopicToStandardQueue: SNS FIFO topics may fan out to standard
// queues; SQS refuses a MessageDeduplicationId on a standard queue, so
// the delivery must not carry one.
func TestFIFOTopicToStandardQueue(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	ctx := context.Background()
	topic := createTopic(t, c.sns, "events.fifo", map[string]string{"FifoTopic": "true"})
	url, arn := c.queue(t, "standard", topic)
	subscribe(t, c.sns, topic, "sqs", arn, map[string]string{"RawMessageDelivery": "true"})
	_, err := c.sns.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("hello"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d-1")})
	require.NoError(t, err)
	var bodies []string
	waitFor(t, "the message in the standard queue", 5e9, func() bool {
		out, err := c.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
		require.NoError(t, err)
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
		return len(bodies) > 0
	})
	assert.Equal(t, []string{"hello"}, bodies)
}

// TestBatchErrorMessages: PublishBatch's request-level errors carry the
// texts of botocore's SNS model for their exceptions.
func TestBatchErrorMessages(t *testing.T) {
	t.Parallel()
	c := newEnv(t, Config{}).client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "batch-texts", nil)
	entry := func(id string) snstypes.PublishBatchRequestEntry {
		return snstypes.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String("m")}
	}
	var eleven []snstypes.PublishBatchRequestEntry
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"} {
		eleven = append(eleven, entry(id))
	}
	tests := []struct {
		entries []snstypes.PublishBatchRequestEntry
		want    string
	}{
		{eleven, "The batch request contains more entries than permissible."},
		{[]snstypes.PublishBatchRequestEntry{entry("x"), entry("x")}, "Two or more batch entries in the request have the same Id."},
		{[]snstypes.PublishBatchRequestEntry{entry("bad id!")}, "The Id of a batch entry in a batch request doesn't abide by the specification."},
	}
	for _, tt := range tests {
		_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: tt.entries})
		var ae interface{ ErrorMessage() string }
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, tt.want, ae.ErrorMessage())
	}
}

// TestSubscribeDeletedPlatformEndpoint: subscribing a deleted application
// endpoint is InvalidParameter ("Endpoint does not exist for endpoint
// arn..."), not a subscription that can never deliver.
func TestSubscribeDeletedPlatformEndpoint(t *testing.T) {
	t.Parallel()
	c := newEnv(t, Config{}).client(cloudtest.Account)
	ctx := context.Background()
	app, err := c.CreatePlatformApplication(ctx, &awssns.CreatePlatformApplicationInput{Name: aws.String("gone-app"), Platform: aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": "server-key"}})
	require.NoError(t, err)
	ep, err := c.CreatePlatformEndpoint(ctx, &awssns.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: aws.String("device")})
	require.NoError(t, err)
	topic := createTopic(t, c, "to-devices", nil)
	_, err = c.DeleteEndpoint(ctx, &awssns.DeleteEndpointInput{EndpointArn: ep.EndpointArn})
	require.NoError(t, err)
	_, err = c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("application"), Endpoint: ep.EndpointArn})
	var inv *snstypes.InvalidParameterException
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn"+aws.ToString(ep.EndpointArn), inv.ErrorMessage())
}

// TestDefaultTopicPolicy: a new topic's Policy is the default one AWS
// writes: everyone, on the owner's account's condition, gets the topic's
// nine actions, SNS:Receive included.
func TestDefaultTopicPolicy(t *testing.T) {
	t.Parallel()
	c := newEnv(t, Config{}).client(cloudtest.Account)
	topic := createTopic(t, c, "default-policy", nil)
	out, err := c.GetTopicAttributes(context.Background(), &awssns.GetTopicAttributesInput{TopicArn: &topic})
	require.NoError(t, err)
	var p struct {
		Version, Id string
		Statement   []struct {
			Sid, Effect string
			Principal   map[string]string
			Action      []string
			Resource    string
			Condition   map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out.Attributes["Policy"]), &p))
	assert.Equal(t, "2008-10-17", p.Version)
	assert.Equal(t, "__default_policy_ID", p.Id)
	require.Len(t, p.Statement, 1)
	st := p.Statement[0]
	assert.Equal(t, "__default_statement_ID", st.Sid)
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, map[string]string{"AWS": "*"}, st.Principal)
	assert.Equal(t, []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
		"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "SNS:Receive"}, st.Action)
	assert.Equal(t, topic, st.Resource)
	assert.Equal(t, map[string]map[string]string{"StringEquals": {"AWS:SourceOwner": cloudtest.Account}}, st.Condition)
}

// TestAddPermissionStatementForm: the statement AddPermission adds names a
// lone account principal or action as a string and several as a list, the
// way the topic policy reads on AWS; a used label or an action outside SNS
// is refused in SNS's words, and RemovePermission of an unknown label is a
// no-op (LocalStack's AWS-validated SNS provider behaves the same).
func TestAddPermissionStatementForm(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "perm", nil)
	_, err := c.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("one"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	require.NoError(t, err)
	_, err = c.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("two"),
		AWSAccountId: []string{"111122223333", "444455556666"}, ActionName: []string{"Publish", "Subscribe"}})
	require.NoError(t, err)
	out, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	require.NoError(t, err)
	var p struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(out.Attributes["Policy"]), &p))
	require.Len(t, p.Statement, 3)
	assert.Equal(t, map[string]any{"Sid": "one", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
		"Action": "SNS:Publish", "Resource": topic}, p.Statement[1])
	assert.Equal(t, map[string]any{"Sid": "two", "Effect": "Allow",
		"Principal": map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}},
		"Action":    []any{"SNS:Publish", "SNS:Subscribe"}, "Resource": topic}, p.Statement[2])

	_, err = c.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("one"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Subscribe"}})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Statement already exists")
	_, err = c.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("three"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"SendMessage"}})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!")
	// Removing a label the policy does not hold succeeds and changes nothing.
	_, err = c.RemovePermission(ctx, &awssns.RemovePermissionInput{TopicArn: &topic, Label: aws.String("never-added")})
	require.NoError(t, err)
	after, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	require.NoError(t, err)
	assert.JSONEq(t, out.Attributes["Policy"], after.Attributes["Policy"])
}
