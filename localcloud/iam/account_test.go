package iam_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestInstanceProfiles(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "web", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	createRole(t, c, "other", trustLambda)

	p, err := c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web"), Path: aws.String("/app/")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":instance-profile/app/web", aws.ToString(p.InstanceProfile.Arn))
	assert.Regexp(t, `^AIPA`, aws.ToString(p.InstanceProfile.InstanceProfileId))
	assert.Empty(t, p.InstanceProfile.Roles)
	_, err = c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "Instance Profile web already exists.")
	_, err = c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("nope")})
	cloudtest.APIError(t, err, "NoSuchEntity", "Instance Profile nope cannot be found.")

	_, err = c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web")})
	require.NoError(t, err)
	_, err = c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")})
	cloudtest.APIError(t, err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	got, err := c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	require.NoError(t, err)
	require.Len(t, got.InstanceProfile.Roles, 1)
	assert.Equal(t, "web", aws.ToString(got.InstanceProfile.Roles[0].RoleName))
	forRole, err := c.ListInstanceProfilesForRole(ctx, &awsiam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	require.NoError(t, err)
	require.Len(t, forRole.InstanceProfiles, 1)

	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("web")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = c.DeleteInstanceProfile(ctx, &awsiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")

	_, err = c.TagInstanceProfile(ctx, &awsiam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err)
	tags, err := c.ListInstanceProfileTags(ctx, &awsiam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})
	require.NoError(t, err)
	assert.Len(t, tags.Tags, 1)

	_, err = c.RemoveRoleFromInstanceProfile(ctx, &awsiam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web")})
	require.NoError(t, err)
	_, err = c.RemoveRoleFromInstanceProfile(ctx, &awsiam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The role with name web cannot be found.")
	list, err := c.ListInstanceProfiles(ctx, &awsiam.ListInstanceProfilesInput{PathPrefix: aws.String("/app/")})
	require.NoError(t, err)
	require.Len(t, list.InstanceProfiles, 1)
	_, err = c.DeleteInstanceProfile(ctx, &awsiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	require.NoError(t, err)
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("web")})
	require.NoError(t, err)
}

func TestIdentityProviders(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	thumb := strings.Repeat("a", 40)
	out, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{thumb}})
	require.NoError(t, err)
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":oidc-provider/token.actions.githubusercontent.com", arn)
	_, err = c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"), ThumbprintList: []string{thumb}})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "Provider with url https://token.actions.githubusercontent.com already exists.")
	_, err = c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("http://example.com"), ThumbprintList: []string{thumb}})
	cloudtest.APIError(t, err, "ValidationError", "Invalid Open ID Connect Provider URL")

	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("app")})
	require.NoError(t, err)
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &awsiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{strings.Repeat("b", 40)}})
	require.NoError(t, err)
	got, err := c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, "token.actions.githubusercontent.com", aws.ToString(got.Url))
	assert.Equal(t, []string{"sts.amazonaws.com", "app"}, got.ClientIDList)
	assert.Equal(t, []string{strings.Repeat("b", 40)}, got.ThumbprintList)
	list, err := c.ListOpenIDConnectProviders(ctx, &awsiam.ListOpenIDConnectProvidersInput{})
	require.NoError(t, err)
	require.Len(t, list.OpenIDConnectProviderList, 1)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	require.NoError(t, err)
	_, err = c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	cloudtest.APIError(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
	// DeleteOpenIDConnectProvider is idempotent (IAM API reference): a
	// provider that does not exist is deleted without error.
	_, err = c.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	require.NoError(t, err)

	meta := "<EntityDescriptor>" + strings.Repeat("x", 1000) + "</EntityDescriptor>"
	saml, err := c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(meta)})
	require.NoError(t, err)
	sarn := aws.ToString(saml.SAMLProviderArn)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":saml-provider/corp", sarn)
	_, err = c.UpdateSAMLProvider(ctx, &awsiam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(sarn), SAMLMetadataDocument: aws.String(meta + " ")})
	require.NoError(t, err)
	sg, err := c.GetSAMLProvider(ctx, &awsiam.GetSAMLProviderInput{SAMLProviderArn: aws.String(sarn)})
	require.NoError(t, err)
	assert.Equal(t, meta+" ", aws.ToString(sg.SAMLMetadataDocument))
	sl, err := c.ListSAMLProviders(ctx, &awsiam.ListSAMLProvidersInput{})
	require.NoError(t, err)
	require.Len(t, sl.SAMLProviderList, 1)
	_, err = c.DeleteSAMLProvider(ctx, &awsiam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(sarn)})
	require.NoError(t, err)
	_, err = c.GetSAMLProvider(ctx, &awsiam.GetSAMLProviderInput{SAMLProviderArn: aws.String(sarn)})
	cloudtest.APIError(t, err, "NoSuchEntity", "SAMLProvider "+sarn+" not found")
}

func TestLoginProfilesAndPasswordPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	url := serveWithResolver(t, svc)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)

	_, err = c.GetAccountPasswordPolicy(ctx, &awsiam.GetAccountPasswordPolicyInput{})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Password Policy with domain name "+cloudtest.Account+" cannot be found.")
	_, err = c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12), RequireNumbers: true, MaxPasswordAge: aws.Int32(90)})
	require.NoError(t, err)
	pp, err := c.GetAccountPasswordPolicy(ctx, &awsiam.GetAccountPasswordPolicyInput{})
	require.NoError(t, err)
	assert.EqualValues(t, 12, aws.ToInt32(pp.PasswordPolicy.MinimumPasswordLength))
	assert.True(t, pp.PasswordPolicy.ExpirePasswords)

	_, err = c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("ana"), Password: aws.String("short1")})
	cloudtest.APIError(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	const password = "correct-horse-battery-9"
	lp, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("ana"), Password: aws.String(password), PasswordResetRequired: true})
	require.NoError(t, err)
	assert.True(t, lp.LoginProfile.PasswordResetRequired)
	_, err = c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("ana"), Password: aws.String(password)})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "Login Profile for user ana already exists.")
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
	_, err = c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("ana"), PasswordResetRequired: aws.Bool(false)})
	require.NoError(t, err)
	got, err := c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.False(t, got.LoginProfile.PasswordResetRequired)

	// Ana changes her own password with her own access key.
	key, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	asAna := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	asAna.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	_, err = awsiam.NewFromConfig(asAna).ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("wrong"), NewPassword: aws.String("another-good-password-1")})
	cloudtest.APIError(t, err, "AccessDenied", "The old password was incorrect.")
	_, err = awsiam.NewFromConfig(asAna).ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String(password), NewPassword: aws.String("another-good-password-1")})
	require.NoError(t, err)
	_, err = c.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String(password), NewPassword: aws.String("x")})
	cloudtest.APIError(t, err, "InvalidInput", "Cannot call ChangePassword with non-User credentials")

	_, err = c.DeleteAccountPasswordPolicy(ctx, &awsiam.DeleteAccountPasswordPolicyInput{})
	require.NoError(t, err)
	svc.Close()
	notStored(t, dir, password, "a password in clear")
}

func TestAccountAliasSummaryAndPolicyTags(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.CreateAccountAlias(ctx, &awsiam.CreateAccountAliasInput{AccountAlias: aws.String("Bad_Alias")})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value 'Bad_Alias' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
	_, err = c.CreateAccountAlias(ctx, &awsiam.CreateAccountAliasInput{AccountAlias: aws.String("my-lab")})
	require.NoError(t, err)
	aliases, err := c.ListAccountAliases(ctx, &awsiam.ListAccountAliasesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"my-lab"}, aliases.AccountAliases)
	_, err = c.DeleteAccountAlias(ctx, &awsiam.DeleteAccountAliasInput{AccountAlias: aws.String("other")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The account alias other cannot be found.")
	_, err = c.DeleteAccountAlias(ctx, &awsiam.DeleteAccountAliasInput{AccountAlias: aws.String("my-lab")})
	require.NoError(t, err)

	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	createRole(t, c, "fn", trustLambda)
	p, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	sum, err := c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{})
	require.NoError(t, err)
	assert.EqualValues(t, 1, sum.SummaryMap["Users"])
	assert.EqualValues(t, 1, sum.SummaryMap["Roles"])
	assert.EqualValues(t, 1, sum.SummaryMap["Policies"])
	assert.EqualValues(t, 5000, sum.SummaryMap["UsersQuota"])

	_, err = c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: p.Policy.Arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	require.NoError(t, err)
	tags, err := c.ListPolicyTags(ctx, &awsiam.ListPolicyTagsInput{PolicyArn: p.Policy.Arn})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 1)
	_, err = c.UntagPolicy(ctx, &awsiam.UntagPolicyInput{PolicyArn: p.Policy.Arn, TagKeys: []string{"team"}})
	require.NoError(t, err)
	got, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: p.Policy.Arn})
	require.NoError(t, err)
	assert.Empty(t, got.Policy.Tags)
	_, err = c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	cloudtest.APIError(t, err, "InvalidInput", "arn:aws:iam::aws:policy/ReadOnlyAccess is an AWS managed policy and cannot be changed.")
}

// TestInstanceProfileTagsNotListed: GetInstanceProfile answers an instance
// profile's tags; ListInstanceProfiles and ListInstanceProfilesForRole, as
// IAM's resource-listing operations, leave them out (IAM API reference,
// ListInstanceProfiles).
func TestInstanceProfileTagsNotListed(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "web", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}
	_, err := c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: tags})
	require.NoError(t, err)
	_, err = c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web")})
	require.NoError(t, err)
	got, err := c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	require.NoError(t, err)
	assert.Equal(t, tags, got.InstanceProfile.Tags)
	list, err := c.ListInstanceProfiles(ctx, &awsiam.ListInstanceProfilesInput{})
	require.NoError(t, err)
	require.Len(t, list.InstanceProfiles, 1)
	assert.Empty(t, list.InstanceProfiles[0].Tags)
	forRole, err := c.ListInstanceProfilesForRole(ctx, &awsiam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	require.NoError(t, err)
	require.Len(t, forRole.InstanceProfiles, 1)
	assert.Empty(t, forRole.InstanceProfiles[0].Tags)
}

// TestLoginProfileOfTheCaller: without a UserName, the login profile
// operations and DeactivateMFADevice act on the IAM user making the
// request (IAM API reference: "it defaults to the principal making the
// request"); root credentials still have to name the user.
func TestLoginProfileOfTheCaller(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	key, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	cfg := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	asAna := awsiam.NewFromConfig(cfg)

	created, err := asAna.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{Password: aws.String("Correct-horse-9")})
	require.NoError(t, err)
	assert.Equal(t, "ana", aws.ToString(created.LoginProfile.UserName))
	got, err := asAna.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{})
	require.NoError(t, err)
	assert.Equal(t, "ana", aws.ToString(got.LoginProfile.UserName))
	_, err = c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null")
	_, err = asAna.DeleteLoginProfile(ctx, &awsiam.DeleteLoginProfileInput{})
	require.NoError(t, err)
	_, err = c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "NoSuchEntity", "Login Profile for User ana cannot be found.")

	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String("GAHT12345678"),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	require.NoError(t, err)
	_, err = asAna.DeactivateMFADevice(ctx, &awsiam.DeactivateMFADeviceInput{SerialNumber: aws.String("GAHT12345678")})
	require.NoError(t, err)
	devs, err := c.ListMFADevices(ctx, &awsiam.ListMFADevicesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Empty(t, devs.MFADevices)
}
