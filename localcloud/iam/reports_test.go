package iam_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ana"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	createRole(t, c, "fn", trustLambda)
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")})
	require.NoError(t, err)
	_, err = c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)

	all, err := c.GetAccountAuthorizationDetails(ctx, &awsiam.GetAccountAuthorizationDetailsInput{})
	require.NoError(t, err)
	require.Len(t, all.UserDetailList, 1)
	assert.Equal(t, []string{"devs"}, all.UserDetailList[0].GroupList)
	require.Len(t, all.UserDetailList[0].UserPolicyList, 1)
	sameJSON(t, decodeDoc(t, aws.ToString(all.UserDetailList[0].UserPolicyList[0].PolicyDocument)), logsPolicy)
	require.Len(t, all.GroupDetailList, 1)
	require.Len(t, all.RoleDetailList, 1)
	require.Len(t, all.RoleDetailList[0].AttachedManagedPolicies, 1)
	var names []string
	for _, p := range all.Policies {
		names = append(names, aws.ToString(p.PolicyName))
		assert.NotEmpty(t, p.PolicyVersionList)
	}
	assert.ElementsMatch(t, []string{"AWSLambdaBasicExecutionRole", "mine"}, names, "AWS managed policies appear once attached")

	roles, err := c.GetAccountAuthorizationDetails(ctx, &awsiam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeRole}})
	require.NoError(t, err)
	assert.Len(t, roles.RoleDetailList, 1)
	assert.Empty(t, roles.UserDetailList)
	assert.Empty(t, roles.Policies)

	keys, err := c.GetContextKeysForCustomPolicy(ctx, &awsiam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"ana"},"Bool":{"aws:SecureTransport":"true"}}}]}`}})
	require.NoError(t, err)
	assert.Equal(t, []string{"aws:SecureTransport", "aws:username"}, keys.ContextKeyNames)
	_, err = c.GetContextKeysForPrincipalPolicy(ctx, &awsiam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + cloudtest.Account + ":user/nobody")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
}

func TestCredentialReport(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.GetCredentialReport(ctx, &awsiam.GetCredentialReportInput{})
	cloudtest.APIError(t, err, "ReportNotPresent", "Credential report not present. Please generate a report.")
	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	// Two signing certificates, the first made inactive: cert_1 is the
	// first uploaded.
	var certIDs []*string
	for range 2 {
		body, _ := selfSigned(t, time.Now().Add(time.Hour))
		up, err := c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{UserName: aws.String("ana"), CertificateBody: aws.String(body)})
		require.NoError(t, err)
		certIDs = append(certIDs, up.Certificate.CertificateId)
	}
	_, err = c.UpdateSigningCertificate(ctx, &awsiam.UpdateSigningCertificateInput{UserName: aws.String("ana"), CertificateId: certIDs[0], Status: types.StatusTypeInactive})
	require.NoError(t, err)
	gen, err := c.GenerateCredentialReport(ctx, &awsiam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeStarted, gen.State)
	gen, err = c.GenerateCredentialReport(ctx, &awsiam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeComplete, gen.State)
	rep, err := c.GetCredentialReport(ctx, &awsiam.GetCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportFormatTypeTextCsv, rep.ReportFormat)
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "user", rows[0][0])
	assert.Equal(t, "<root_account>", rows[1][0])
	assert.Equal(t, "ana", rows[2][0])
	assert.Equal(t, "true", rows[2][8], "access_key_1_active")
	assert.Equal(t, []string{"N/A", "N/A", "N/A"}, rows[2][10:13], "access_key_1_last_used_date, _region, _service of an unused key")
	assert.Equal(t, "false", rows[2][18], "cert_1_active")
	assert.Equal(t, "true", rows[2][20], "cert_2_active")
}

func TestServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	out, err := c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	require.NoError(t, err)
	assert.Equal(t, "AWSServiceRoleForAutoScaling", aws.ToString(out.Role.RoleName))
	assert.Equal(t, "/aws-service-role/autoscaling.amazonaws.com/", aws.ToString(out.Role.Path))
	_, err = c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	cloudtest.APIError(t, err, "InvalidInput", "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: out.Role.RoleName})
	cloudtest.APIError(t, err, "UnmodifiableEntity", "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS")
	del, err := c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: out.Role.RoleName})
	require.NoError(t, err)
	st, err := c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})
	require.NoError(t, err)
	assert.Equal(t, types.DeletionTaskStatusTypeSucceeded, st.Status)
	_, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: out.Role.RoleName})
	assert.Equal(t, "NoSuchEntity", apiCode(err))

	// Application Auto Scaling's roles are named for the scaled resource
	// (Application Auto Scaling User Guide, "Custom resources").
	custom, err := c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("custom-resource.application-autoscaling.amazonaws.com")})
	require.NoError(t, err)
	assert.Equal(t, "AWSServiceRoleForApplicationAutoScaling_CustomResource", aws.ToString(custom.Role.RoleName))
}

// TestCredentialReportRootKeys: the credential report's <root_account> row
// shows the root user's access keys and signing certificates, in the
// columns users' rows use (IAM User Guide, credential reports).
func TestCredentialReportRootKeys(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	key, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	require.NoError(t, err)
	_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	require.NoError(t, err)
	_, err = c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{AccessKeyId: key.AccessKey.AccessKeyId, Status: types.StatusTypeInactive})
	require.NoError(t, err)
	for {
		gen, err := c.GenerateCredentialReport(ctx, &awsiam.GenerateCredentialReportInput{})
		require.NoError(t, err)
		if gen.State == types.ReportStateTypeComplete {
			break
		}
	}
	rep, err := c.GetCredentialReport(ctx, &awsiam.GetCredentialReportInput{})
	require.NoError(t, err)
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	root := rows[1]
	assert.Equal(t, "<root_account>", root[0])
	// access_key_1_active and access_key_2_active: one key made inactive.
	assert.ElementsMatch(t, []string{"true", "false"}, []string{root[8], root[13]})
	assert.NotEqual(t, "N/A", root[9], "access_key_1_last_rotated")
	assert.NotEqual(t, "N/A", root[14], "access_key_2_last_rotated")
	assert.Equal(t, "false", root[18], "cert_1_active")
}
