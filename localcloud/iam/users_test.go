package iam_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)

	out, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana"), Path: aws.String("/staff/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	require.NoError(t, err)
	u := out.User
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":user/staff/ana", aws.ToString(u.Arn))
	assert.Regexp(t, `^AIDA[A-Z2-7]{17}$`, aws.ToString(u.UserId))
	assert.Len(t, u.Tags, 1)

	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ANA")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "User with name ANA already exists.")
	_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("bob")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("a b")})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")

	got, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(u.UserId), aws.ToString(got.User.UserId))
	assert.Equal(t, "team", aws.ToString(got.User.Tags[0].Key))

	_, err = c.TagUser(ctx, &awsiam.TagUserInput{UserName: aws.String("ana"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	require.NoError(t, err)
	tags, err := c.ListUserTags(ctx, &awsiam.ListUserTagsInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 2)
	assert.Equal(t, "env", aws.ToString(tags.Tags[0].Key))
	_, err = c.UntagUser(ctx, &awsiam.UntagUserInput{UserName: aws.String("ana"), TagKeys: []string{"env"}})
	require.NoError(t, err)

	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	list, err := c.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String("/staff/")})
	require.NoError(t, err)
	require.Len(t, list.Users, 1)
	assert.Nil(t, list.Users[0].Tags, "ListUsers sends no tags")

	_, err = c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("ana"), NewUserName: aws.String("bob")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "User with name bob already exists.")
	_, err = c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("ana"), NewUserName: aws.String("anabel"), NewPath: aws.String("/")})
	require.NoError(t, err)
	got, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("anabel")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":user/anabel", aws.ToString(got.User.Arn))
	assert.Equal(t, aws.ToString(u.UserId), aws.ToString(got.User.UserId), "a rename keeps the id")

	_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("anabel"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("anabel")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	_, err = c.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: aws.String("anabel"), PolicyName: aws.String("logs")})
	require.NoError(t, err)
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("anabel")})
	require.NoError(t, err)
	_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("anabel")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name anabel cannot be found.")

	// Without a name, GetUser describes the caller: here the account's root.
	me, err := c.GetUser(ctx, &awsiam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":root", aws.ToString(me.User.Arn))
}

func TestGroups(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	for _, n := range []string{"ana", "bob"} {
		_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(n)})
		require.NoError(t, err)
	}
	g, err := c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":group/eng/devs", aws.ToString(g.Group.Arn))
	assert.Regexp(t, `^AGPA`, aws.ToString(g.Group.GroupId))
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "Group with name devs already exists.")
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("ops")})
	require.NoError(t, err)

	_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("carl")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name carl cannot be found.")
	_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("qa"), UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The group with name qa cannot be found.")
	for _, m := range [][2]string{{"devs", "ana"}, {"devs", "bob"}, {"ops", "ana"}, {"devs", "ana"}} {
		_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String(m[0]), UserName: aws.String(m[1])})
		require.NoError(t, err)
	}
	got, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Len(t, got.Users, 2, "adding a member twice keeps one membership")
	assert.Equal(t, "ana", aws.ToString(got.Users[0].UserName))

	page1, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	require.True(t, page1.IsTruncated)
	page2, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs"), Marker: page1.Marker})
	require.NoError(t, err)
	require.Len(t, page2.Users, 1)
	assert.Equal(t, "bob", aws.ToString(page2.Users[0].UserName))

	forAna, err := c.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, forAna.Groups, 2)
	assert.Equal(t, "devs", aws.ToString(forAna.Groups[0].GroupName))
	groups, err := c.ListGroups(ctx, &awsiam.ListGroupsInput{PathPrefix: aws.String("/eng/")})
	require.NoError(t, err)
	require.Len(t, groups.Groups, 1)

	_, err = c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("devs")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must remove user from all groups first.")

	// A renamed group keeps its members and policies.
	_, err = c.PutGroupPolicy(ctx, &awsiam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	_, err = c.UpdateGroup(ctx, &awsiam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("builders")})
	require.NoError(t, err)
	pol, err := c.GetGroupPolicy(ctx, &awsiam.GetGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("logs")})
	require.NoError(t, err)
	assert.Equal(t, "builders", aws.ToString(pol.GroupName))
	sameJSON(t, decodeDoc(t, aws.ToString(pol.PolicyDocument)), logsPolicy)
	_, err = c.GetGroupPolicy(ctx, &awsiam.GetGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("nope")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The group policy with name nope cannot be found.")

	for _, n := range []string{"ana", "bob"} {
		_, err = c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String(n)})
		require.NoError(t, err)
	}
	_, err = c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String("bob")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("builders")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	_, err = c.DeleteGroupPolicy(ctx, &awsiam.DeleteGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("logs")})
	require.NoError(t, err)
	_, err = c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("builders")})
	require.NoError(t, err)
}

// TestAttachedPoliciesOfUsersAndGroups holds attachments of every kind:
// counted by GetPolicy, listed by ListEntitiesForPolicy, blocking deletes.
func TestAttachedPoliciesOfUsersAndGroups(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	p, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	arn := p.Policy.Arn
	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	createRole(t, c, "fn", trustLambda)

	_, err = c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("ana"), PolicyArn: arn})
	require.NoError(t, err)
	_, err = c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: arn})
	require.NoError(t, err)
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: arn})
	require.NoError(t, err)
	_, err = c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("ana"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
	cloudtest.APIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")

	got, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: arn})
	require.NoError(t, err)
	assert.EqualValues(t, 3, aws.ToInt32(got.Policy.AttachmentCount))
	ents, err := c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: arn})
	require.NoError(t, err)
	require.Len(t, ents.PolicyUsers, 1)
	require.Len(t, ents.PolicyGroups, 1)
	require.Len(t, ents.PolicyRoles, 1)
	assert.Equal(t, "ana", aws.ToString(ents.PolicyUsers[0].UserName))
	assert.Equal(t, "devs", aws.ToString(ents.PolicyGroups[0].GroupName))
	onlyUsers, err := c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: arn, EntityFilter: types.EntityTypeUser})
	require.NoError(t, err)
	assert.Len(t, onlyUsers.PolicyUsers, 1)
	assert.Empty(t, onlyUsers.PolicyRoles)

	att, err := c.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, att.AttachedPolicies, 1)
	assert.Equal(t, "logs", aws.ToString(att.AttachedPolicies[0].PolicyName))

	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	_, err = c.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: arn})
	require.NoError(t, err)
	_, err = c.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: arn})
	cloudtest.APIError(t, err, "NoSuchEntity", "Policy "+aws.ToString(arn)+" was not found.")

	// User inline policies have their own quota: 2,048 characters.
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:*:log-group:` + string(bytes.Repeat([]byte("a"), 2000)) + `"}]}`
	_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ana"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	cloudtest.APIError(t, err, "LimitExceeded", "Cannot exceed quota for PolicySize: 2048")
}

func TestAccessKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	url := serveWithResolver(t, svc)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana"), Path: aws.String("/staff/")})
	require.NoError(t, err)

	k1, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	key := k1.AccessKey
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, aws.ToString(key.AccessKeyId))
	assert.Len(t, aws.ToString(key.SecretAccessKey), 40)
	assert.Equal(t, types.StatusTypeActive, key.Status)
	k2, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	root, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	require.NoError(t, err, "without a UserName, root credentials create the root user's own key")
	assert.Nil(t, root.AccessKey.UserName)

	list, err := c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 2)

	// The new key signs as the user.
	asAna := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	asAna.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	me, err := sts.NewFromConfig(asAna).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":user/staff/ana", aws.ToString(me.Arn))
	assert.Equal(t, cloudtest.Account, aws.ToString(me.Account))
	mine, err := awsiam.NewFromConfig(asAna).ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	require.NoError(t, err, "without UserName, a user's key lists its own user's keys")
	assert.Len(t, mine.AccessKeyMetadata, 2)

	last, err := c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId})
	require.NoError(t, err)
	assert.Equal(t, "ana", aws.ToString(last.UserName))
	assert.NotNil(t, last.AccessKeyLastUsed.LastUsedDate)
	// Its last use was IAM's ListAccessKeys signed for us-east-1: the
	// service's namespace and the region; a key never used says N/A.
	assert.Equal(t, "iam", aws.ToString(last.AccessKeyLastUsed.ServiceName))
	assert.Equal(t, "us-east-1", aws.ToString(last.AccessKeyLastUsed.Region))
	unused, err := c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKey.AccessKeyId})
	require.NoError(t, err)
	assert.Nil(t, unused.AccessKeyLastUsed.LastUsedDate)
	assert.Equal(t, "N/A", aws.ToString(unused.AccessKeyLastUsed.ServiceName))
	assert.Equal(t, "N/A", aws.ToString(unused.AccessKeyLastUsed.Region))
	_, err = c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")

	_, err = c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("ana"), AccessKeyId: key.AccessKeyId, Status: "Paused"})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
	_, err = c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("ana"), AccessKeyId: key.AccessKeyId, Status: types.StatusTypeInactive})
	require.NoError(t, err)
	me, err = sts.NewFromConfig(asAna).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.NotContains(t, aws.ToString(me.Arn), "user/", "an inactive key no longer acts as the user")

	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete access keys first.")

	// Keys survive a restart; their secrets are not stored in clear.
	svc.Close()
	again := newService(t, dir)
	c2 := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, again.Route()), cloudtest.Account, "us-east-1"))
	list, err = c2.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 2)
	for _, m := range list.AccessKeyMetadata {
		if aws.ToString(m.AccessKeyId) == aws.ToString(key.AccessKeyId) {
			assert.Equal(t, types.StatusTypeInactive, m.Status)
		}
	}
	again.Close()
	notStored(t, dir, aws.ToString(key.SecretAccessKey), "a secret access key in clear")
}

func TestPermissionsBoundaryOperations(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := context.Background()
	const boundary = "arn:aws:iam::aws:policy/AmazonSQSFullAccess"
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	createRole(t, c, "fn", trustLambda)

	_, err = c.PutUserPermissionsBoundary(ctx, &awsiam.PutUserPermissionsBoundaryInput{UserName: aws.String("ana"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/Nope")})
	cloudtest.APIError(t, err, "NoSuchEntity", "Scope ARN: arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
	_, err = c.PutUserPermissionsBoundary(ctx, &awsiam.PutUserPermissionsBoundaryInput{UserName: aws.String("ana"), PermissionsBoundary: aws.String(boundary)})
	require.NoError(t, err)
	_, err = c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("fn"), PermissionsBoundary: aws.String(boundary)})
	require.NoError(t, err)
	u, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.NotNil(t, u.User.PermissionsBoundary)
	assert.Equal(t, boundary, aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn))
	r, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("fn")})
	require.NoError(t, err)
	require.NotNil(t, r.Role.PermissionsBoundary)

	_, err = c.DeleteUserPermissionsBoundary(ctx, &awsiam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("fn")})
	require.NoError(t, err)
	u, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Nil(t, u.User.PermissionsBoundary)
	r, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("fn")})
	require.NoError(t, err)
	assert.Nil(t, r.Role.PermissionsBoundary)
}

func TestUsersAndGroupsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err)
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ana"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	_, err = c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	require.NoError(t, err)
	// A rename moves every row that names the user.
	_, err = c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("ana"), NewUserName: aws.String("anabel")})
	require.NoError(t, err)
	svc.Close()

	again := newService(t, dir)
	c = awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, again.Route()), cloudtest.Account, "us-east-1"))
	u, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("anabel")})
	require.NoError(t, err)
	assert.Len(t, u.User.Tags, 1)
	g, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Len(t, g.Users, 1)
	assert.Equal(t, "anabel", aws.ToString(g.Users[0].UserName))
	pols, err := c.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: aws.String("anabel")})
	require.NoError(t, err)
	assert.Equal(t, []string{"logs"}, pols.PolicyNames)
	att, err := c.ListAttachedGroupPolicies(ctx, &awsiam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Len(t, att.AttachedPolicies, 1)
	_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The user with name ana cannot be found.")
}

// notStored asserts that no file of the IAM database in dir holds secret.
func notStored(t *testing.T, dir, secret, what string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "iam.db*"))
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(b, []byte(secret)), "%s holds %s", f, what)
	}
}

// TestRootAccessKeys: without a UserName, the access key operations act on
// the caller's own keys, the root user's for root credentials (IAM API
// reference: "you can use this operation to manage Amazon Web Services
// account root user credentials"), so an IAM user's key is not among them;
// temporary credentials must name the user.
func TestRootAccessKeys(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	anas, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	anaKey := aws.ToString(anas.AccessKey.AccessKeyId)

	created, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	require.NoError(t, err)
	rootKey := aws.ToString(created.AccessKey.AccessKeyId)
	assert.Nil(t, created.AccessKey.UserName, "the root user's key belongs to no IAM user")
	list, err := c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 1)
	assert.Equal(t, rootKey, aws.ToString(list.AccessKeyMetadata[0].AccessKeyId))

	// The new key signs as the root user of the account.
	asRoot := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	asRoot.Credentials = credentials.NewStaticCredentialsProvider(rootKey, aws.ToString(created.AccessKey.SecretAccessKey), "")
	who, err := sts.NewFromConfig(asRoot).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, cloudtest.Account, aws.ToString(who.Account))
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":root", aws.ToString(who.Arn))

	used, err := c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(rootKey)})
	require.NoError(t, err)
	assert.Nil(t, used.UserName, "no IAM user owns the root user's key")
	require.NotNil(t, used.AccessKeyLastUsed)
	assert.Equal(t, "sts", aws.ToString(used.AccessKeyLastUsed.ServiceName), "GetCallerIdentity above")

	_, err = c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{AccessKeyId: aws.String(anaKey)})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Access Key with id "+anaKey+" cannot be found.")
	_, err = c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{AccessKeyId: aws.String(anaKey), Status: types.StatusTypeInactive})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Access Key with id "+anaKey+" cannot be found.")
	_, err = c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{AccessKeyId: aws.String(rootKey), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	list, err = c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 1)
	assert.Equal(t, types.StatusTypeInactive, list.AccessKeyMetadata[0].Status)
	_, err = c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{AccessKeyId: aws.String(rootKey)})
	require.NoError(t, err)
	list, err = c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	require.NoError(t, err)
	assert.Empty(t, list.AccessKeyMetadata)
	keys, err := c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Len(t, keys.AccessKeyMetadata, 1, "ana's key is untouched")

	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudtest.Account + `:root"},"Action":"sts:AssumeRole"}}`
	role := createRole(t, c, "admin", trust)
	assumed, err := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("ops")})
	require.NoError(t, err)
	asRole := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	cr := assumed.Credentials
	asRole.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	_, err = awsiam.NewFromConfig(asRole).ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	cloudtest.APIError(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
}

// TestUserBoundaryNotListed: GetUser answers a user's permissions
// boundary; ListUsers leaves it out, as it does tags (IAM API reference);
// the boundary policy counts its users in PermissionsBoundaryUsageCount.
func TestUserBoundaryNotListed(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	pol, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("edge"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	arn := pol.Policy.Arn
	assert.EqualValues(t, 0, aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount))
	for _, name := range []string{"ana", "bo"} {
		_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name), PermissionsBoundary: arn})
		require.NoError(t, err)
	}
	got, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.NotNil(t, got.User.PermissionsBoundary)
	assert.Equal(t, aws.ToString(arn), aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn))
	list, err := c.ListUsers(ctx, &awsiam.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, list.Users, 2)
	for _, u := range list.Users {
		assert.Nil(t, u.PermissionsBoundary)
	}
	p, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: arn})
	require.NoError(t, err)
	assert.EqualValues(t, 2, aws.ToInt32(p.Policy.PermissionsBoundaryUsageCount))
	assert.EqualValues(t, 0, aws.ToInt32(p.Policy.AttachmentCount), "a boundary is not an attachment")
}
