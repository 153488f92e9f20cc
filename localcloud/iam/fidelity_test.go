package iam_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestIdentityPolicyMessagesAsIAM: documents IAM refuses with
// MalformedPolicyDocument, with IAM's messages, on CreatePolicy and
// PutRolePolicy.
func TestIdentityPolicyMessagesAsIAM(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "fn", trustLambda)
	const st = `{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}`
	cases := []struct{ name, doc, msg string }{
		{"extra top-level field", `{"Version":"2012-10-17","Statement":` + st + `,"Extra field":"value"}`, "Syntax errors in policy."},
		{"Id as a list", `{"Version":"2012-10-17","Statement":` + st + `,"Id":["cd3a324d-2833-4a89-9d4b-4a0e8e2a5a3d"]}`, "Syntax errors in policy."},
		{"Version 2008-10-17", `{"Version":"2008-10-17","Statement":` + st + `}`, "Policy document must be version 2012-10-17 or greater."},
		{"Version 2013-10-17, not a version of the language", `{"Version":"2013-10-17","Statement":` + st + `}`, "Syntax errors in policy."},
		{"no Version", `{"Statement":` + st + `}`, "Policy document must be version 2012-10-17 or greater."},
		{"empty Action list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"arn:aws:s3:::example_bucket"}}`, "Policy statement must contain actions."},
		{"vendor with a space", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}}`, "Vendor a a is not valid"},
		{"two colons", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}}`, "Actions/Condition can contain only one colon."},
		{"resource not an ARN", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}}`, `Resource invalid resource must be in ARN format or "*".`},
		{"bad IAM resource path", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:bucket/x"}}`,
			`IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"empty Resource list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}}`, "Policy statement must contain resources."},
		{"repeated Sid", `{"Version":"2012-10-17","Statement":[{"Sid":"a",` + st[1:] + `,{"Sid":"a",` + st[1:] + `]}`, "Statement IDs (SID) in a single policy must be unique."},
		{"Sid not alphanumeric", `{"Version":"2012-10-17","Statement":[{"Sid":"read-only",` + st[1:] + `]}`, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(tc.doc)})
			var mal *types.MalformedPolicyDocumentException
			require.True(t, errors.As(err, &mal), "CreatePolicy: %v", err)
			assert.Equal(t, tc.msg, mal.ErrorMessage())
			_, err = c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("p"), PolicyDocument: aws.String(tc.doc)})
			require.True(t, errors.As(err, &mal), "PutRolePolicy: %v", err)
			assert.Equal(t, tc.msg, mal.ErrorMessage())
		})
	}
	// A string Id is allowed, and trust policies may still say 2008-10-17.
	_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("ok"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Id":"x","Statement":` + st + `}`)})
	require.NoError(t, err)
	createRole(t, c, "old", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
}

// TestPermissionsBoundaryIsKept: CreateRole's PermissionsBoundary is a
// managed policy ARN, returned as the role's PermissionsBoundary
// (PermissionsBoundaryType PermissionsBoundaryPolicy) by CreateRole and GetRole
// and kept across a restart; an unknown policy is NoSuchEntity. ListRoles
// leaves it out ("This operation does not return the following attributes
// ...: PermissionsBoundary, RoleLastUsed, Tags", IAM API reference), and
// the policy counts the role in its PermissionsBoundaryUsageCount.
func TestPermissionsBoundaryIsKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	url := cloudtest.Serve(t, svc.Route())
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	const boundary = "arn:aws:iam::aws:policy/AWSLambdaExecute"
	_, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(boundary)})
	if err != nil {
		t.Skipf("the local cloud does not know %s: %v", boundary, err)
	}
	out, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustLambda), PermissionsBoundary: aws.String(boundary)})
	require.NoError(t, err)
	want := &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String(boundary), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}
	assert.Equal(t, want, out.Role.PermissionsBoundary)
	got, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("bounded")})
	require.NoError(t, err)
	assert.Equal(t, want, got.Role.PermissionsBoundary)
	plain := createRole(t, c, "plain", trustLambda)
	assert.Nil(t, plain.PermissionsBoundary)

	missing := "arn:aws:iam::" + cloudtest.Account + ":policy/none"
	_, err = c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustLambda), PermissionsBoundary: aws.String(missing)})
	var nse *types.NoSuchEntityException
	require.True(t, errors.As(err, &nse), "%v", err)
	assert.Equal(t, "Scope ARN: "+missing+" does not exist or is not attachable.", nse.ErrorMessage())

	require.NoError(t, svc.Close())
	c2 := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, newService(t, dir).Route()), cloudtest.Account, "us-east-1"))
	got, err = c2.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("bounded")})
	require.NoError(t, err)
	assert.Equal(t, want, got.Role.PermissionsBoundary, "kept across a restart")
	list, err := c2.ListRoles(ctx, &awsiam.ListRolesInput{})
	require.NoError(t, err)
	require.Len(t, list.Roles, 2)
	for _, r := range list.Roles {
		assert.Nil(t, r.PermissionsBoundary, "ListRoles leaves out %s's boundary", aws.ToString(r.RoleName))
	}
	pol, err := c2.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(boundary)})
	require.NoError(t, err)
	assert.EqualValues(t, 1, aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount))
}
