package sns

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestSMSSandboxPhoneNumbers: a number added to the sandbox is Pending,
// verified by a one-time password of 5 to 8 digits, listed per account in
// pages, and deleted; unknown numbers are ResourceNotFound (404).
func TestSMSSandboxPhoneNumbers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	c := e.client(cloudtest.Account)
	ctx := context.Background()
	for _, n := range []string{"+15555550101", "+15555550100"} {
		_, err := c.CreateSMSSandboxPhoneNumber(ctx, &awssns.CreateSMSSandboxPhoneNumberInput{PhoneNumber: aws.String(n)})
		require.NoError(t, err)
	}
	_, err := c.CreateSMSSandboxPhoneNumber(ctx, &awssns.CreateSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("call me")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")

	_, err = c.VerifySMSSandboxPhoneNumber(ctx, &awssns.VerifySMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550100"), OneTimePassword: aws.String("12")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: OneTimePassword Reason: must be 5 to 8 digits")
	_, err = c.VerifySMSSandboxPhoneNumber(ctx, &awssns.VerifySMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550100"), OneTimePassword: aws.String("123456")})
	require.NoError(t, err)
	_, err = c.VerifySMSSandboxPhoneNumber(ctx, &awssns.VerifySMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550199"), OneTimePassword: aws.String("123456")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, 404, httpStatus(err))

	page, err := c.ListSMSSandboxPhoneNumbers(ctx, &awssns.ListSMSSandboxPhoneNumbersInput{MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.PhoneNumbers, 1)
	assert.Equal(t, "+15555550100", aws.ToString(page.PhoneNumbers[0].PhoneNumber))
	assert.Equal(t, types.SMSSandboxPhoneNumberVerificationStatusVerified, page.PhoneNumbers[0].Status)
	require.NotNil(t, page.NextToken)
	next, err := c.ListSMSSandboxPhoneNumbers(ctx, &awssns.ListSMSSandboxPhoneNumbersInput{MaxResults: aws.Int32(1), NextToken: page.NextToken})
	require.NoError(t, err)
	require.Len(t, next.PhoneNumbers, 1)
	assert.Equal(t, types.SMSSandboxPhoneNumberVerificationStatusPending, next.PhoneNumbers[0].Status)
	assert.Nil(t, next.NextToken)
	other, err := e.client("111122223333").ListSMSSandboxPhoneNumbers(ctx, &awssns.ListSMSSandboxPhoneNumbersInput{})
	require.NoError(t, err)
	assert.Empty(t, other.PhoneNumbers)

	_, err = c.DeleteSMSSandboxPhoneNumber(ctx, &awssns.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550101")})
	require.NoError(t, err)
	_, err = c.DeleteSMSSandboxPhoneNumber(ctx, &awssns.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15555550101")})
	require.ErrorAs(t, err, &nf)
	all, err := c.ListSMSSandboxPhoneNumbers(ctx, &awssns.ListSMSSandboxPhoneNumbersInput{})
	require.NoError(t, err)
	assert.Len(t, all.PhoneNumbers, 1)
}

// TestDataProtectionPolicy: PutDataProtectionPolicy sets the topic's
// DataProtectionPolicy, which GetDataProtectionPolicy and
// GetTopicAttributes answer; a missing topic is NotFound.
func TestDataProtectionPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	c := e.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "pii", nil)
	got, err := c.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: aws.String(topic)})
	require.NoError(t, err)
	assert.Empty(t, aws.ToString(got.DataProtectionPolicy))
	policy := `{"Name":"p","Description":"d","Version":"2021-06-01","Statement":[{"Sid":"s","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deny":{}}}]}`
	_, err = c.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: aws.String(topic), DataProtectionPolicy: aws.String(policy)})
	require.NoError(t, err)
	got, err = c.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: aws.String(topic)})
	require.NoError(t, err)
	assert.JSONEq(t, policy, aws.ToString(got.DataProtectionPolicy))
	attrs, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	require.NoError(t, err)
	assert.JSONEq(t, policy, attrs.Attributes["DataProtectionPolicy"])

	_, err = c.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: aws.String(topic), DataProtectionPolicy: aws.String("{not json")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: DataProtectionPolicy Error: the policy is not valid JSON")
	missing := "arn:aws:sns:us-east-1:" + cloudtest.Account + ":nope"
	_, err = c.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: aws.String(missing)})
	cloudtest.APIError(t, err, "NotFound", "Topic does not exist")
}
