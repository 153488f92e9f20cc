package iam_test

import (
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPartitionOfTheRequest: IAM and STS are global, and a request signed
// for a region answers with ARNs in that region's partition (the ARN
// formats of the IAM User Guide's "IAM identifiers":
// arn:${Partition}:iam::${Account}:role/${Path}${Name}...): roles, users,
// policies and their attachments, MFA devices, OIDC providers, the
// credential report, the AWS managed policies' own documents (whose
// resources are the partition's) and error messages. The same entities
// read through us-east-1 are named arn:aws:...: one IAM per account.
func TestPartitionOfTheRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route(), svc.STSRoute())
	const acct = cloudtest.Account
	for _, tc := range []struct{ region, partition string }{
		{"cn-north-1", "aws-cn"},
		{"us-gov-east-1", "aws-us-gov"},
		{"us-iso-east-1", "aws-iso"},
	} {
		p, r := tc.partition, tc.region
		cfg := cloudtest.Config(url, acct, r)
		c := awsiam.NewFromConfig(cfg)
		iamARN := func(res string) string { return "arn:" + p + ":iam::" + acct + ":" + res }

		role := createRole(t, c, "r-"+r, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+iamARN("root")+`"},"Action":"sts:AssumeRole"}]}`)
		assert.Equal(t, iamARN("role/r-"+r), aws.ToString(role.Arn), "CreateRole in %s", r)
		boundary := iamARN("policy/b-" + r)
		_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("b-" + r), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:` + p + `:logs:*:*:*"}]}`)})
		require.NoError(t, err)
		_, err = c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r-" + r), PermissionsBoundary: aws.String(boundary)})
		require.NoError(t, err, "PutRolePermissionsBoundary %s", boundary)
		got, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("r-" + r)})
		require.NoError(t, err)
		require.NotNil(t, got.Role.PermissionsBoundary)
		assert.Equal(t, boundary, aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn), "PermissionsBoundaryArn in %s", r)

		execute := "arn:" + p + ":iam::aws:policy/AWSLambdaExecute"
		pol, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(execute)})
		require.NoError(t, err, "GetPolicy %s", execute)
		assert.Equal(t, execute, aws.ToString(pol.Policy.Arn))
		v, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(execute), VersionId: pol.Policy.DefaultVersionId})
		require.NoError(t, err)
		doc := decodeDoc(t, aws.ToString(v.PolicyVersion.Document))
		assert.Contains(t, doc, `"arn:`+p+`:logs:*:*:*"`, "AWSLambdaExecute's document in %s", r)
		assert.NotContains(t, doc, `"arn:aws:`, "AWSLambdaExecute's document in %s", r)

		missing := iamARN("policy/none")
		_, err = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(missing)})
		var nse *types.NoSuchEntityException
		require.True(t, errors.As(err, &nse), "GetPolicy %s: %v", missing, err)
		assert.Contains(t, nse.ErrorMessage(), missing, "the message names the ARN as asked")

		mfa, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("m-" + r)})
		require.NoError(t, err)
		assert.Equal(t, iamARN("mfa/m-"+r), aws.ToString(mfa.VirtualMFADevice.SerialNumber), "SerialNumber in %s", r)
		oidc, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://issuer-" + r + ".example.com"),
			ThumbprintList: []string{strings.Repeat("a", 40)}, ClientIDList: []string{"c"}})
		require.NoError(t, err)
		oidcARN := iamARN("oidc-provider/issuer-" + r + ".example.com")
		assert.Equal(t, oidcARN, aws.ToString(oidc.OpenIDConnectProviderArn))
		_, err = c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidcARN)})
		require.NoError(t, err, "GetOpenIDConnectProvider %s", oidcARN)

		_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u-" + r)})
		require.NoError(t, err)
		_, err = c.GenerateCredentialReport(ctx, &awsiam.GenerateCredentialReportInput{})
		require.NoError(t, err)
		var report *awsiam.GetCredentialReportOutput
		require.Eventually(t, func() bool {
			report, err = c.GetCredentialReport(ctx, &awsiam.GetCredentialReportInput{})
			return err == nil
		}, 10*time.Second, 20*time.Millisecond, "GetCredentialReport: %v", err)
		rows, err := csv.NewReader(strings.NewReader(string(report.Content))).ReadAll()
		require.NoError(t, err)
		for _, row := range rows[1:] {
			assert.True(t, strings.HasPrefix(row[1], "arn:"+p+":iam::"), "credential report row %v in %s", row, r)
		}

		st := sts.NewFromConfig(cfg)
		as, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
		require.NoError(t, err)
		assert.Equal(t, "arn:"+p+":sts::"+acct+":assumed-role/r-"+r+"/s1", aws.ToString(as.AssumedRoleUser.Arn))
		_, err = st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(iamARN("role/nobody")), RoleSessionName: aws.String("s1")})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "User: arn:"+p+":iam::"+acct+":root is not authorized to perform: sts:AssumeRole on resource: "+iamARN("role/nobody"))
	}

	// One IAM per account: the role created through cn-north-1 is named in
	// the aws partition when read through us-east-1.
	us := awsiam.NewFromConfig(cloudtest.Config(url, acct, "us-east-1"))
	got, err := us.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("r-cn-north-1")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+acct+":role/r-cn-north-1", aws.ToString(got.Role.Arn))
}
