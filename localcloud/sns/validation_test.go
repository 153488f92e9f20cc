package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPublishAttributeErrors: message attributes SNS cannot take are refused
// with InvalidParameterValue and SNS's texts; in a PublishBatch they fail the
// whole batch, not the entry. A Number that is no number is
// ParameterValueInvalid.
func TestPublishAttributeErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "attrs", nil)
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	tests := []struct {
		name     string
		attrs    map[string]types.MessageAttributeValue
		code     string
		wantText string
	}{
		{"leading period", map[string]types.MessageAttributeValue{".a": str("1")}, "InvalidParameterValue",
			"Invalid message attribute name starting with character '.' was found."},
		{"trailing period", map[string]types.MessageAttributeValue{"a.": str("1")}, "InvalidParameterValue",
			"Invalid message attribute name ending with character '.' was found."},
		{"two periods", map[string]types.MessageAttributeValue{"a..b": str("1")}, "InvalidParameterValue",
			"Message attribute name can not have successive '.' character."},
		{"space", map[string]types.MessageAttributeValue{"a b": str("1")}, "InvalidParameterValue",
			"Invalid non-alphanumeric character '#x20' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots."},
		{"long name", map[string]types.MessageAttributeValue{strings.Repeat("n", 257): str("1")}, "InvalidParameterValue",
			"Length of message attribute name must be less than 256 bytes."},
		{"empty type", map[string]types.MessageAttributeValue{"store": {DataType: aws.String(""), StringValue: aws.String("x")}}, "InvalidParameterValue",
			"The message attribute 'store' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"unknown type", map[string]types.MessageAttributeValue{"store": {DataType: aws.String("Integer"), StringValue: aws.String("1")}}, "InvalidParameterValue",
			"The message attribute 'store' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"no value", map[string]types.MessageAttributeValue{"store": {DataType: aws.String("String")}}, "InvalidParameterValue",
			"The message attribute 'store' with type 'String' must use field 'String'."},
		{"binary as string", map[string]types.MessageAttributeValue{"store": {DataType: aws.String("Binary"), StringValue: aws.String("x")}}, "InvalidParameterValue",
			"The message attribute 'store' with type 'Binary' must use field 'Binary'."},
		{"empty value", map[string]types.MessageAttributeValue{"store": str("")}, "InvalidParameterValue",
			"The message attribute 'store' must contain non-empty message attribute value for message attribute type 'String'."},
		{"not a number", map[string]types.MessageAttributeValue{"price": {DataType: aws.String("Number"), StringValue: aws.String("error")}}, "ParameterValueInvalid",
			"Could not cast message attribute 'price' value to number."},
	}
	for _, tt := range tests {
		_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"), MessageAttributes: tt.attrs})
		cloudtest.APIError(t, err, tt.code, tt.wantText)

		_, err = c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
			{Id: aws.String("ok"), Message: aws.String("m")}, {Id: aws.String("e"), Message: aws.String("m"), MessageAttributes: tt.attrs}}})
		cloudtest.APIError(t, err, tt.code, tt.wantText)
	}
	_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{
		"a.b-c_D9": str("v"), "n": {DataType: aws.String("Number.float"), StringValue: aws.String("1.5")}, "b": {DataType: aws.String("Binary"), BinaryValue: []byte{1}}}})
	if err != nil {
		t.Errorf("Publish with valid attributes: %v", err)
	}
}

// TestSubscribeFilterPolicyErrors: filter policies SNS refuses, with SNS's
// texts: a list inside a list, an exists that is not a boolean, an unknown
// operator, and more than the 150 combinations SNS allows (no count given).
func TestSubscribeFilterPolicyErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "complex", nil)
	values := make([]string, 151)
	for i := range values {
		values[i] = fmt.Sprint(i)
	}
	tooMany, err := json.Marshal(map[string][]string{"store": values})
	require.NoError(t, err)
	tests := []struct{ policy, want string }{
		{`{"store":[["example_corp"]]}`, "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null"},
		{`{"store":[{"exists":null}]}`, "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."},
		{`{"store":[{"error":true}]}`, "Invalid parameter: FilterPolicy: Unrecognized match type error"},
		{string(tooMany), "Invalid parameter: FilterPolicy: Filter policy is too complex"},
	}
	for _, tt := range tests {
		_, err := c.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"),
			Endpoint: aws.String("arn:aws:sqs:us-east-1:" + cloudtest.Account + ":q"), Attributes: map[string]string{"FilterPolicy": tt.policy}})
		cloudtest.APIError(t, err, "InvalidParameter", tt.want)
	}
}

// TestSubscribeSMSEndpoint: an sms subscription takes an E.164 number, also
// written with single '-', '.' or '/' between digits, and keeps it without
// them; other endpoints are SNS's "Invalid SMS endpoint".
func TestSubscribeSMSEndpoint(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "texts", nil)
	for _, bad := range []string{"NAA+15551234567", "+15--551234567", "+15551234567.", "-15551234567", "+1555123456789012"} {
		_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sms"), Endpoint: aws.String(bad)})
		cloudtest.APIError(t, err, "InvalidParameter", "Invalid SMS endpoint: "+bad)
	}
	arn := subscribe(t, c, topic, "sms", "+1-555/123.4567", nil)
	out, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &arn})
	require.NoError(t, err)
	if got := out.Attributes["Endpoint"]; got != "+15551234567" {
		t.Errorf("Endpoint = %q, want +15551234567", got)
	}
}

// TestOtherRegionTopicArn: SNS is regional; a topic or subscription ARN of
// another region is "Invalid parameter: TopicArn" (or SubscriptionArn), the
// answer AWS gives clients pointed at the wrong region.
func TestOtherRegionTopicArn(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	east := env.client(cloudtest.Account)
	west := awssns.NewFromConfig(cloudtest.Config(env.url, cloudtest.Account, "us-west-2"))
	ctx := context.Background()
	topic := createTopic(t, east, "regional", nil)
	sub := subscribe(t, east, topic, "sqs", "arn:aws:sqs:us-east-1:"+cloudtest.Account+":q", nil)
	_, err := west.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: TopicArn")
	_, err = west.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: TopicArn")
	_, err = west.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: SubscriptionArn")
}

// TestMessageStructureIgnoresNonStrings: with MessageStructure json, "non-string
// values will cause the key to be ignored" (Publish's Message documentation):
// a protocol key holding a number falls back to the default message, and a
// default that is not a string is no default.
func TestMessageStructureIgnoresNonStrings(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "structured-ignore", nil)
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":sq"
	subscribe(t, c, topic, "sqs", queue, map[string]string{"RawMessageDelivery": "true"})
	_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","sqs":42}`)})
	require.NoError(t, err)
	if got := q.deliveries(queue); len(got) != 1 || got[0].Body != "for everyone" {
		t.Errorf("sqs delivery = %+v, want the default message", got)
	}
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":{"text":"x"},"sqs":"for queues"}`)})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
}

// TestTagResourceDuplicateKeys: one request naming a tag key twice is
// refused ("Duplicated keys are not allowed.", LocalStack's AWS-validated
// SNS provider) and tags nothing.
func TestTagResourceDuplicateKeys(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "dup-tags", nil)
	_, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: &topic, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("team"), Value: aws.String("b")}}})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
	out, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: &topic})
	require.NoError(t, err)
	if len(out.Tags) != 0 {
		t.Errorf("tags after a refused TagResource = %v, want none", out.Tags)
	}
}

// TestSubscribeUnknownProtocol: a protocol SNS does not have is refused in
// SNS's words.
func TestSubscribeUnknownProtocol(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "protocols", nil)
	_, err := c.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("pigeon"), Endpoint: aws.String("coop")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: pigeon")
}

// TestSMSPublishLimit: "The total size limit for a single SMS Publish action
// is 1,600 characters" (SNS API reference, Publish, Message): a text message
// over it is refused with SNS's too-long answer; 1,600 characters, however
// many bytes they take, go through.
func TestSMSPublishLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	phone := aws.String("+15555550100")
	for _, ok := range []string{strings.Repeat("a", 1600), strings.Repeat("é", 1600)} {
		_, err := c.Publish(ctx, &awssns.PublishInput{PhoneNumber: phone, Message: aws.String(ok)})
		require.NoError(t, err)
	}
	_, err := c.Publish(ctx, &awssns.PublishInput{PhoneNumber: phone, Message: aws.String(strings.Repeat("a", 1601))})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: Message too long")
}
