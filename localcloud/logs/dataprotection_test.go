package logs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestDataProtectionPolicy: Put/Get/DeleteDataProtectionPolicy by name and
// by ARN, DescribeLogGroups' dataProtectionStatus, and the errors for a
// missing group, a missing policy and a document that is no policy.
func TestDataProtectionPolicy(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "/app/pii", "s1")
	arn := "arn:aws:logs:us-east-1:" + cloudtest.Account + ":log-group:/app/pii"
	doc := `{"Name":"p","Version":"2021-06-01","Statement":[{"Sid":"audit","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"FindingsDestination":{}}}},` +
		`{"Sid":"redact","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}`

	got, err := c.GetDataProtectionPolicy(ctx, &cwl.GetDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/app/pii")})
	require.NoError(t, err)
	assert.Nil(t, got.PolicyDocument, "no policy yet")

	put, err := c.PutDataProtectionPolicy(ctx, &cwl.PutDataProtectionPolicyInput{LogGroupIdentifier: aws.String(arn), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	assert.Equal(t, doc, aws.ToString(put.PolicyDocument))
	assert.NotZero(t, aws.ToInt64(put.LastUpdatedTime))
	got, err = c.GetDataProtectionPolicy(ctx, &cwl.GetDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/app/pii")})
	require.NoError(t, err)
	assert.Equal(t, doc, aws.ToString(got.PolicyDocument))
	groups, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/pii")})
	require.NoError(t, err)
	require.Len(t, groups.LogGroups, 1)
	assert.Equal(t, types.DataProtectionStatusActivated, groups.LogGroups[0].DataProtectionStatus)

	_, err = c.PutDataProtectionPolicy(ctx, &cwl.PutDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/nope"), PolicyDocument: aws.String(doc)})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = c.PutDataProtectionPolicy(ctx, &cwl.PutDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/app/pii"), PolicyDocument: aws.String("not json")})
	cloudtest.APIError(t, err, "InvalidParameterException", "DataProtectionPolicy must be a JSON document with a Statement list")

	_, err = c.DeleteDataProtectionPolicy(ctx, &cwl.DeleteDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/app/pii")})
	require.NoError(t, err)
	_, err = c.DeleteDataProtectionPolicy(ctx, &cwl.DeleteDataProtectionPolicyInput{LogGroupIdentifier: aws.String("/app/pii")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "No data protection policy exists for log group /app/pii.")
	groups, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/pii")})
	require.NoError(t, err)
	assert.Empty(t, groups.LogGroups[0].DataProtectionStatus)
}
