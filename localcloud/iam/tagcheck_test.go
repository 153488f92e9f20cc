package iam_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

const allowList = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`

// TestTagConstraints: tags are checked against IAM's model (tagListType
// at most 50, tagKeyType 1-128 of [\p{L}\p{Z}\p{N}_.:/=+\-@]+, tagValueType
// at most 256) before anything else, and keys, case-insensitive, may not
// repeat (InvalidInput); on CreatePolicy, TagPolicy and UntagPolicy alike.
func TestTagConstraints(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	fifty1 := make([]types.Tag, 51)
	for i := range fifty1 {
		fifty1[i] = types.Tag{Key: aws.String(strconv.Itoa(i)), Value: aws.String("v")}
	}
	cases := []struct {
		name      string
		tags      []types.Tag
		code, msg string // msg: a part of the message
	}{
		{"51 tags", fifty1, "ValidationError", "failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"repeated key", []types.Tag{{Key: aws.String("a"), Value: aws.String("")}, {Key: aws.String("a"), Value: aws.String("")}},
			"InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"key repeated in another case", []types.Tag{{Key: aws.String("a"), Value: aws.String("")}, {Key: aws.String("A"), Value: aws.String("")}},
			"InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"129-character key", []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("")}}, "ValidationError", "Member must have length less than or equal to 128"},
		{"257-character value", []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}, "ValidationError", "Member must have length less than or equal to 256"},
		{"key with !", []types.Tag{{Key: aws.String("NOWAY!"), Value: aws.String("")}}, "ValidationError", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
	}
	out, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("tagged"), PolicyDocument: aws.String(allowList)})
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowList), Tags: tc.tags})
			assertAPIErrorContains(t, err, tc.code, tc.msg)
			_, err = c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: out.Policy.Arn, Tags: tc.tags})
			assertAPIErrorContains(t, err, tc.code, tc.msg)
		})
	}
	keys := make([]string, 51)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	_, err = c.UntagPolicy(ctx, &awsiam.UntagPolicyInput{PolicyArn: out.Policy.Arn, TagKeys: keys})
	assertAPIErrorContains(t, err, "ValidationError", "failed to satisfy constraint: Member must have length less than or equal to 50")
	// A key of letters, spaces, digits and _.:/=+-@ in any script is a key.
	_, err = c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: out.Policy.Arn, Tags: []types.Tag{{Key: aws.String("Größe 1_.:/=+-@"), Value: aws.String("")}}})
	require.NoError(t, err)
}

func assertAPIErrorContains(t testing.TB, err error, code, part string) {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae, "want %s", code)
	assert.Equal(t, code, ae.ErrorCode())
	assert.Contains(t, ae.ErrorMessage(), part)
}
