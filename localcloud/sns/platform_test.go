package sns

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPlatformApplicationsAndEndpoints: applications and endpoints as SNS
// keeps them: the credential is never returned nor written to disk,
// CreatePlatformEndpoint is idempotent for the same token and attributes
// and refuses the same token with other attributes, a disabled endpoint
// refuses publishes, deleting the application deletes its endpoints, and
// all of it survives a restart.
func TestPlatformApplicationsAndEndpoints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, Config{DataDir: dir})
	c := e.client(cloudtest.Account)
	ctx := context.Background()
	const secret = "AAAA-server-key-that-must-not-leak"
	app, err := c.CreatePlatformApplication(ctx, &awssns.CreatePlatformApplicationInput{Name: aws.String("orders-app"), Platform: aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": secret, "EventEndpointCreated": "arn:aws:sns:us-east-1:" + cloudtest.Account + ":events"}})
	require.NoError(t, err)
	appArn := aws.ToString(app.PlatformApplicationArn)
	assert.Equal(t, "arn:aws:sns:us-east-1:"+cloudtest.Account+":app/GCM/orders-app", appArn)
	attrs, err := c.GetPlatformApplicationAttributes(ctx, &awssns.GetPlatformApplicationAttributesInput{PlatformApplicationArn: aws.String(appArn)})
	require.NoError(t, err)
	assert.NotContains(t, attrs.Attributes, "PlatformCredential")
	assert.Equal(t, "true", attrs.Attributes["Enabled"])

	tests := []struct {
		name string
		in   awssns.CreatePlatformApplicationInput
	}{
		{"no credential", awssns.CreatePlatformApplicationInput{Name: aws.String("a"), Platform: aws.String("GCM"), Attributes: map[string]string{"SuccessFeedbackSampleRate": "100"}}},
		{"apns without principal", awssns.CreatePlatformApplicationInput{Name: aws.String("a"), Platform: aws.String("APNS"), Attributes: map[string]string{"PlatformCredential": "k"}}},
		{"unknown platform", awssns.CreatePlatformApplicationInput{Name: aws.String("a"), Platform: aws.String("PIGEON"), Attributes: map[string]string{"PlatformCredential": "k"}}},
		{"bad name", awssns.CreatePlatformApplicationInput{Name: aws.String("a b"), Platform: aws.String("GCM"), Attributes: map[string]string{"PlatformCredential": "k"}}},
	}
	for _, tt := range tests {
		_, err := c.CreatePlatformApplication(ctx, &tt.in)
		var inv *types.InvalidParameterException
		assert.ErrorAs(t, err, &inv, tt.name)
	}
	// Attributes are required; an empty map reaches SNS as none.
	_, err = c.CreatePlatformApplication(ctx, &awssns.CreatePlatformApplicationInput{Name: aws.String("a"), Platform: aws.String("GCM"), Attributes: map[string]string{}})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
	_, err = c.SetPlatformApplicationAttributes(ctx, &awssns.SetPlatformApplicationAttributesInput{PlatformApplicationArn: aws.String(appArn), Attributes: map[string]string{}})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")

	ep, err := c.CreatePlatformEndpoint(ctx, &awssns.CreatePlatformEndpointInput{PlatformApplicationArn: aws.String(appArn), Token: aws.String("device-1"),
		CustomUserData: aws.String("user 7")})
	require.NoError(t, err)
	epArn := aws.ToString(ep.EndpointArn)
	assert.Regexp(t, `^arn:aws:sns:us-east-1:`+cloudtest.Account+`:endpoint/GCM/orders-app/[0-9a-f-]{36}$`, epArn)
	again, err := c.CreatePlatformEndpoint(ctx, &awssns.CreatePlatformEndpointInput{PlatformApplicationArn: aws.String(appArn), Token: aws.String("device-1"),
		CustomUserData: aws.String("user 7")})
	require.NoError(t, err)
	assert.Equal(t, epArn, aws.ToString(again.EndpointArn))
	_, err = c.CreatePlatformEndpoint(ctx, &awssns.CreatePlatformEndpointInput{PlatformApplicationArn: aws.String(appArn), Token: aws.String("device-1"),
		CustomUserData: aws.String("someone else")})
	var inv *types.InvalidParameterException
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "Invalid parameter: Token Reason: Endpoint "+epArn+" already exists with the same Token, but different attributes.", inv.ErrorMessage())

	got, err := c.GetEndpointAttributes(ctx, &awssns.GetEndpointAttributesInput{EndpointArn: aws.String(epArn)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Token": "device-1", "Enabled": "true", "CustomUserData": "user 7"}, got.Attributes)
	pub, err := c.Publish(ctx, &awssns.PublishInput{TargetArn: aws.String(epArn), Message: aws.String("hello")})
	require.NoError(t, err)
	assert.NotEmpty(t, aws.ToString(pub.MessageId))
	_, err = c.SetEndpointAttributes(ctx, &awssns.SetEndpointAttributesInput{EndpointArn: aws.String(epArn), Attributes: map[string]string{"Enabled": "false"}})
	require.NoError(t, err)
	_, err = c.Publish(ctx, &awssns.PublishInput{TargetArn: aws.String(epArn), Message: aws.String("hello")})
	var disabled *types.EndpointDisabledException
	require.ErrorAs(t, err, &disabled)
	assert.Equal(t, "Endpoint is disabled", disabled.ErrorMessage())

	require.NoError(t, e.svc.Close())
	raw, err := os.ReadFile(filepath.Join(dir, "sns.db"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte(secret)), "the platform credential was written to disk")

	c2 := newEnv(t, Config{DataDir: dir}).client(cloudtest.Account)
	list, err := c2.ListEndpointsByPlatformApplication(ctx, &awssns.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: aws.String(appArn)})
	require.NoError(t, err)
	require.Len(t, list.Endpoints, 1)
	assert.Equal(t, "false", list.Endpoints[0].Attributes["Enabled"])
	apps, err := c2.ListPlatformApplications(ctx, &awssns.ListPlatformApplicationsInput{})
	require.NoError(t, err)
	require.Len(t, apps.PlatformApplications, 1)
	_, err = c2.DeletePlatformApplication(ctx, &awssns.DeletePlatformApplicationInput{PlatformApplicationArn: aws.String(appArn)})
	require.NoError(t, err)
	_, err = c2.GetEndpointAttributes(ctx, &awssns.GetEndpointAttributesInput{EndpointArn: aws.String(epArn)})
	var nf *types.NotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Endpoint does not exist", nf.ErrorMessage())
	_, err = c2.GetPlatformApplicationAttributes(ctx, &awssns.GetPlatformApplicationAttributesInput{PlatformApplicationArn: aws.String(appArn)})
	require.ErrorAs(t, err, &nf)
	_, err = c2.Publish(ctx, &awssns.PublishInput{TargetArn: aws.String(epArn), Message: aws.String("hello")})
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified", inv.ErrorMessage())
	// Deleting what is gone is no error, as in SNS.
	_, err = c2.DeleteEndpoint(ctx, &awssns.DeleteEndpointInput{EndpointArn: aws.String(epArn)})
	require.NoError(t, err)
}

// TestSMSSettings: account SMS attributes are validated, kept and read
// back (all or the named ones); with no SMS sent, nobody has opted out and
// the account is in the sandbox.
func TestSMSSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	c := e.client(cloudtest.Account)
	ctx := context.Background()
	_, err := c.SetSMSAttributes(ctx, &awssns.SetSMSAttributesInput{Attributes: map[string]string{"DefaultSMSType": "Transactional", "MonthlySpendLimit": "5"}})
	require.NoError(t, err)
	all, err := c.GetSMSAttributes(ctx, &awssns.GetSMSAttributesInput{})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"DefaultSMSType": "Transactional", "MonthlySpendLimit": "5"}, all.Attributes)
	one, err := c.GetSMSAttributes(ctx, &awssns.GetSMSAttributesInput{Attributes: []string{"MonthlySpendLimit"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"MonthlySpendLimit": "5"}, one.Attributes)
	other, err := e.client("111122223333").GetSMSAttributes(ctx, &awssns.GetSMSAttributesInput{})
	require.NoError(t, err)
	assert.Empty(t, other.Attributes)
	for _, bad := range []map[string]string{{"DefaultSMSType": "Loud"}, {"DefaultSenderID": "123"}, {"Unknown": "x"}, {"DeliveryStatusSuccessSamplingRate": "101"}} {
		_, err := c.SetSMSAttributes(ctx, &awssns.SetSMSAttributesInput{Attributes: bad})
		var inv *types.InvalidParameterException
		assert.ErrorAs(t, err, &inv, "%v", bad)
	}
	out, err := c.CheckIfPhoneNumberIsOptedOut(ctx, &awssns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String("+15555550100")})
	require.NoError(t, err)
	assert.False(t, out.IsOptedOut)
	_, err = c.CheckIfPhoneNumberIsOptedOut(ctx, &awssns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String("not a number")})
	var inv *types.InvalidParameterException
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "Invalid parameter: PhoneNumber Reason: input incorrectly formatted", inv.ErrorMessage())
	opted, err := c.ListPhoneNumbersOptedOut(ctx, &awssns.ListPhoneNumbersOptedOutInput{})
	require.NoError(t, err)
	assert.Empty(t, opted.PhoneNumbers)
	sb, err := c.GetSMSSandboxAccountStatus(ctx, &awssns.GetSMSSandboxAccountStatusInput{})
	require.NoError(t, err)
	assert.True(t, sb.IsInSandbox)
}

// TestSMSAndApplicationSubscriptions: sms and application subscriptions
// are confirmed at once, as SNS confirms them, and publishing to their topic
// succeeds; malformed endpoints are refused.
func TestSMSAndApplicationSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	c := e.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "alerts", nil)
	app, err := c.CreatePlatformApplication(ctx, &awssns.CreatePlatformApplicationInput{Name: aws.String("a"), Platform: aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": "k"}})
	require.NoError(t, err)
	ep, err := c.CreatePlatformEndpoint(ctx, &awssns.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: aws.String("t")})
	require.NoError(t, err)
	for _, tt := range []struct{ proto, endpoint string }{{"sms", "+15555550100"}, {"application", aws.ToString(ep.EndpointArn)}} {
		arn := subscribe(t, c, topic, tt.proto, tt.endpoint, nil)
		got, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
		require.NoError(t, err)
		assert.Equal(t, "false", got.Attributes["PendingConfirmation"], tt.proto)
	}
	for _, tt := range []struct{ proto, endpoint string }{{"sms", "call me"}, {"application", "arn:aws:sns:us-east-1:" + cloudtest.Account + ":alerts"}} {
		_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String(tt.proto), Endpoint: aws.String(tt.endpoint)})
		var inv *types.InvalidParameterException
		assert.ErrorAs(t, err, &inv, tt.proto)
	}
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("disk full")})
	require.NoError(t, err)
}
