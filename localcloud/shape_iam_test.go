package localcloud_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// allowS3 is a small identity policy.
const allowS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

// iamModel is botocore's IAM model with what AWS added after it: members
// and enum values aws-sdk-go-v2 has (TestIAMNewerMembersAreInTheSDK):
// GetAccountSummary's keys Roles, InstanceProfiles, Providers, ..., and
// the pages of ListServiceSpecificCredentials.
func iamModel(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "iam")
	m.NewerValues = map[string][]string{"summaryKeyType": conformance.Strings(types.SummaryKeyType("").Values())}
	m.Newer = map[string][]string{"ListServiceSpecificCredentialsResponse": {"IsTruncated", "Marker"}}
	return m
}

func TestIAMNewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, iamModel(t), map[string]reflect.Type{
		"ListServiceSpecificCredentialsResponse": reflect.TypeFor[iam.ListServiceSpecificCredentialsOutput]()})
}

// TestIAMResponsesMatchBotocoreShapes drives IAM's operations through the
// SDK (users, groups, roles, inline and managed policies and their
// versions, boundaries, instance profiles, access keys, login profiles,
// MFA devices, identity providers, tags, account settings, reports,
// simulation) and holds every XML answer to botocore's output shape for
// its operation.
func TestIAMResponsesMatchBotocoreShapes(t *testing.T) {
	m := iamModel(t)
	// IAM's API reference for AccessKeyLastUsed: LastUsedDate "is null"
	// when the key has not been used; newer models require only
	// ServiceName and Region ("N/A" for an unused key).
	m.Shapes["AccessKeyLastUsed"].Required = []string{"ServiceName", "Region"}
	cfg, rec := recording(sdkConfig(startCloud(t)))
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	tags := []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	user, group, role := aws.String("ana"), aws.String("devs"), aws.String("app")

	// Users, groups, keys, login profiles.
	do(c.CreateUser(ctx, &iam.CreateUserInput{UserName: user, Path: aws.String("/team/"), Tags: tags})).ok(t)
	do(c.GetUser(ctx, &iam.GetUserInput{UserName: user})).ok(t)
	do(c.ListUsers(ctx, &iam.ListUsersInput{})).ok(t)
	do(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: user, NewPath: aws.String("/")})).ok(t)
	do(c.TagUser(ctx, &iam.TagUserInput{UserName: user, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: user})).ok(t)
	do(c.UntagUser(ctx, &iam.UntagUserInput{UserName: user, TagKeys: []string{"k2"}})).ok(t)
	do(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: group})).ok(t)
	do(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: group, UserName: user})).ok(t)
	do(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: group})).ok(t)
	do(c.ListGroups(ctx, &iam.ListGroupsInput{})).ok(t)
	do(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: user})).ok(t)
	do(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: group, NewPath: aws.String("/eng/")})).ok(t)
	key := do(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})).ok(t).AccessKey
	do(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user})).ok(t)
	do(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId})).ok(t)
	do(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: key.AccessKeyId, Status: types.StatusTypeInactive})).ok(t)
	do(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String("Corr3ct-horse-battery"), PasswordResetRequired: true})).ok(t)
	do(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: user})).ok(t)
	do(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, PasswordResetRequired: aws.Bool(false)})).ok(t)
	iamCredentialCalls(t, cfg, c, user, "Corr3ct-horse-battery")

	// Inline policies.
	do(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("p"), PolicyDocument: aws.String(allowS3)})).ok(t)
	do(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: user, PolicyName: aws.String("p")})).ok(t)
	do(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: user})).ok(t)
	do(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: group, PolicyName: aws.String("p"), PolicyDocument: aws.String(allowS3)})).ok(t)
	do(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: group, PolicyName: aws.String("p")})).ok(t)
	do(c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: group})).ok(t)

	// Roles.
	do(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, AssumeRolePolicyDocument: aws.String(lambdaTrust), Description: aws.String("d"), Tags: tags,
		MaxSessionDuration: aws.Int32(7200)})).ok(t)
	do(c.GetRole(ctx, &iam.GetRoleInput{RoleName: role})).ok(t)
	do(c.ListRoles(ctx, &iam.ListRolesInput{})).ok(t)
	do(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: role, Description: aws.String("d2")})).ok(t)
	do(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: role, Description: aws.String("d3")})).ok(t)
	do(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: aws.String(lambdaTrust)})).ok(t)
	do(c.TagRole(ctx, &iam.TagRoleInput{RoleName: role, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: role})).ok(t)
	do(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: role, TagKeys: []string{"k2"}})).ok(t)
	do(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String("p"), PolicyDocument: aws.String(allowS3)})).ok(t)
	do(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role, PolicyName: aws.String("p")})).ok(t)
	do(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: role})).ok(t)

	// Managed policies, versions, attachments, boundaries.
	pol := do(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read"), PolicyDocument: aws.String(allowS3), Description: aws.String("r"), Tags: tags})).ok(t).Policy
	do(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Arn})).ok(t)
	do(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})).ok(t)
	do(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Arn, PolicyDocument: aws.String(allowS3), SetAsDefault: true})).ok(t)
	do(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Arn, VersionId: aws.String("v2")})).ok(t)
	do(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: pol.Arn})).ok(t)
	do(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: pol.Arn, VersionId: aws.String("v1")})).ok(t)
	do(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: pol.Arn, VersionId: aws.String("v2")})).ok(t)
	do(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: pol.Arn, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: pol.Arn})).ok(t)
	do(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: pol.Arn, TagKeys: []string{"k2"}})).ok(t)
	do(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: pol.Arn})).ok(t)
	do(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: group, PolicyArn: pol.Arn})).ok(t)
	do(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: pol.Arn})).ok(t)
	do(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: user})).ok(t)
	do(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: group})).ok(t)
	do(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: role})).ok(t)
	do(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: pol.Arn})).ok(t)
	do(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: user, PermissionsBoundary: pol.Arn})).ok(t)
	do(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: role, PermissionsBoundary: pol.Arn})).ok(t)
	do(c.GetUser(ctx, &iam.GetUserInput{UserName: user})).ok(t)
	do(c.GetRole(ctx, &iam.GetRoleInput{RoleName: role})).ok(t)
	do(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})).ok(t)
	do(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/ana"),
		ActionNames: []string{"s3:GetObject", "s3:PutObject"}})).ok(t)
	do(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowS3}, ActionNames: []string{"s3:GetObject"}})).ok(t)
	do(c.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"ana"}}}]}`}})).ok(t)
	do(c.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/ana")})).ok(t)
	job := do(c.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::123456789012:user/ana")})).ok(t)
	do(c.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})).ok(t)
	gjob := do(c.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::123456789012:group/eng/devs")})).ok(t)
	do(c.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: gjob.JobId, ServiceNamespace: aws.String("s3")})).ok(t)
	do(c.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String("arn:aws:iam::123456789012:user/ana"), ServiceNamespaces: []string{"s3"}})).ok(t)

	// Instance profiles.
	ip := aws.String("web")
	do(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: ip, Tags: tags})).ok(t)
	do(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: ip, RoleName: role})).ok(t)
	do(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: ip})).ok(t)
	do(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})).ok(t)
	do(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: role})).ok(t)
	do(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: ip, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: ip})).ok(t)
	do(c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: ip, TagKeys: []string{"k2"}})).ok(t)
	do(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: ip, RoleName: role})).ok(t)
	do(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: ip})).ok(t)

	// Identity providers.
	oidc := do(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("a", 40)}, Tags: tags})).ok(t).OpenIDConnectProviderArn
	do(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc})).ok(t)
	do(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})).ok(t)
	do(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc, ClientID: aws.String("app")})).ok(t)
	do(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc, ClientID: aws.String("app")})).ok(t)
	do(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: oidc, ThumbprintList: []string{strings.Repeat("b", 40)}})).ok(t)
	do(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: oidc})).ok(t)
	do(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc, TagKeys: []string{"k2"}})).ok(t)
	do(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc})).ok(t)
	saml := do(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(strings.Repeat("m", 1000)), Tags: tags})).ok(t).SAMLProviderArn
	do(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: saml})).ok(t)
	do(c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})).ok(t)
	do(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: saml, SAMLMetadataDocument: aws.String(strings.Repeat("n", 1000))})).ok(t)
	do(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: saml, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: saml})).ok(t)
	do(c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: saml, TagKeys: []string{"k2"}})).ok(t)
	do(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: saml})).ok(t)

	// MFA devices.
	mfa := do(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ana-phone"), Tags: tags})).ok(t).VirtualMFADevice
	do(c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})).ok(t)
	do(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: user})).ok(t)
	do(c.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: mfa.SerialNumber, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: mfa.SerialNumber})).ok(t)
	do(c.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: mfa.SerialNumber, TagKeys: []string{"k2"}})).ok(t)
	do(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: mfa.SerialNumber})).ok(t)

	// Account.
	do(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("shapes-lab")})).ok(t)
	do(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})).ok(t)
	do(c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("shapes-lab")})).ok(t)
	do(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, MaxPasswordAge: aws.Int32(90)})).ok(t)
	do(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).ok(t)
	do(c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})).ok(t)
	do(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).ok(t)
	do(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})).ok(t)
	for i := 0; i < 50; i++ {
		if r, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err == nil && r.State == types.ReportStateTypeComplete {
			break
		}
	}
	do(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})).ok(t)
	do(c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token})).ok(t)
	slr := do(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticbeanstalk.amazonaws.com")})).ok(t)
	del := do(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: slr.Role.RoleName})).ok(t)
	do(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})).ok(t)

	// Tear down.
	do(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: role})).ok(t)
	do(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: user})).ok(t)
	do(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: pol.Arn})).ok(t)
	do(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: group, PolicyArn: pol.Arn})).ok(t)
	do(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: pol.Arn})).ok(t)
	do(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Arn})).ok(t)
	do(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String("p")})).ok(t)
	do(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: group, PolicyName: aws.String("p")})).ok(t)
	do(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: user, PolicyName: aws.String("p")})).ok(t)
	do(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})).ok(t)
	do(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: group, UserName: user})).ok(t)
	do(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: group})).ok(t)
	do(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: user})).ok(t)
	do(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: key.AccessKeyId})).ok(t)
	do(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "iam"))
}
