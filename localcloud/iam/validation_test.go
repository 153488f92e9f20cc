package iam_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestOIDCProviderValidation: CreateOpenIDConnectProvider reports every
// broken length constraint of the model at once (Url at most 255
// characters, client ids 1 to 255, thumbprints exactly 40), before what IAM
// itself checks: an https:// URL, at most 5 thumbprints, at most 100
// client ids (IAM API reference and quotas).
func TestOIDCProviderValidation(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	long, longID, thumb41 := "https://"+strings.Repeat("b", 248), strings.Repeat("c", 256), strings.Repeat("d", 41)
	_, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String(long), ClientIDList: []string{"app", longID}, ThumbprintList: []string{thumb41}})
	cloudtest.APIError(t, err, "ValidationError", "3 validation errors detected: "+
		"Value '"+long+"' at 'url' failed to satisfy constraint: Member must have length less than or equal to 255; "+
		"Value '[app, "+longID+"]' at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; "+
		"Value '["+thumb41+"]' at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]")

	_, err = c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("http://example.com"), ThumbprintList: []string{strings.Repeat("a", 40)}})
	cloudtest.APIError(t, err, "ValidationError", "Invalid Open ID Connect Provider URL")

	six := make([]string, 6)
	for i := range six {
		six[i] = strings.Repeat(string(rune('a'+i)), 40)
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://example.com"), ThumbprintList: six})
	cloudtest.APIError(t, err, "InvalidInput", "Thumbprint list must contain fewer than 5 entries.")

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = strings.Repeat("i", i+1)
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://example.com"), ClientIDList: ids})
	cloudtest.APIError(t, err, "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
}

// TestPasswordPolicyRanges: UpdateAccountPasswordPolicy checks its numbers
// against the model's ranges (length 6-128, reuse 1-24, age 1-1095) and
// reports each one out of range.
func TestPasswordPolicyRanges(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(1096), MinimumPasswordLength: aws.Int32(129), PasswordReusePrevention: aws.Int32(25)})
	cloudtest.APIError(t, err, "ValidationError", "3 validation errors detected: "+
		"Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; "+
		"Value '25' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; "+
		"Value '1096' at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095")
	_, err = c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")
	_, err = c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(128), PasswordReusePrevention: aws.Int32(24), MaxPasswordAge: aws.Int32(1095)})
	if err != nil {
		t.Fatalf("the ranges' ends are allowed: %v", err)
	}
}
