package iam_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestServiceLastAccessed: reports list the services an entity's or a
// policy's Allow statements grant (never accessed locally), group and
// policy reports list their entities, and ListPoliciesGrantingServiceAccess
// names the inline and managed policies granting each namespace.
func TestServiceLastAccessed(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	const queuesPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage","SQS:ReceiveMessage"],"Resource":"*"},{"Effect":"Deny","Action":"dynamodb:*","Resource":"*"}]}`
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ana"), PolicyName: aws.String("queues"), PolicyDocument: aws.String(queuesPolicy)})
	require.NoError(t, err)
	mine, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(logsPolicy)})
	require.NoError(t, err)
	_, err = c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: mine.Policy.Arn})
	require.NoError(t, err)
	userArn := "arn:aws:iam::" + cloudtest.Account + ":user/ana"
	groupArn := "arn:aws:iam::" + cloudtest.Account + ":group/devs"

	gen, err := c.GenerateServiceLastAccessedDetails(ctx, &awsiam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userArn)})
	require.NoError(t, err)
	got, err := c.GetServiceLastAccessedDetails(ctx, &awsiam.GetServiceLastAccessedDetailsInput{JobId: gen.JobId})
	require.NoError(t, err)
	assert.Equal(t, types.JobStatusTypeCompleted, got.JobStatus)
	assert.Equal(t, types.AccessAdvisorUsageGranularityTypeServiceLevel, got.JobType)
	var namespaces []string
	for _, sv := range got.ServicesLastAccessed {
		namespaces = append(namespaces, aws.ToString(sv.ServiceNamespace))
		assert.Nil(t, sv.LastAuthenticated, "nothing is recorded as accessed")
	}
	assert.Equal(t, []string{"logs", "sqs"}, namespaces, "the user's own and its group's grants; the Deny grants nothing")
	paged, err := c.GetServiceLastAccessedDetails(ctx, &awsiam.GetServiceLastAccessedDetailsInput{JobId: gen.JobId, MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	assert.True(t, paged.IsTruncated)
	assert.Len(t, paged.ServicesLastAccessed, 1)
	_, err = c.GetServiceLastAccessedDetailsWithEntities(ctx, &awsiam.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: gen.JobId, ServiceNamespace: aws.String("sqs")})
	assert.Equal(t, "InvalidInput", apiCode(err))

	pgen, err := c.GenerateServiceLastAccessedDetails(ctx, &awsiam.GenerateServiceLastAccessedDetailsInput{Arn: mine.Policy.Arn})
	require.NoError(t, err)
	ents, err := c.GetServiceLastAccessedDetailsWithEntities(ctx, &awsiam.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: pgen.JobId, ServiceNamespace: aws.String("logs")})
	require.NoError(t, err)
	require.Len(t, ents.EntityDetailsList, 1)
	assert.Equal(t, groupArn, aws.ToString(ents.EntityDetailsList[0].EntityInfo.Arn))
	assert.Equal(t, types.PolicyOwnerEntityTypeGroup, ents.EntityDetailsList[0].EntityInfo.Type)

	_, err = c.GenerateServiceLastAccessedDetails(ctx, &awsiam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + cloudtest.Account + ":role/none")})
	assert.Equal(t, "NoSuchEntity", apiCode(err))
	_, err = c.GetServiceLastAccessedDetails(ctx, &awsiam.GetServiceLastAccessedDetailsInput{JobId: aws.String("00000000-0000-0000-0000-000000000000")})
	assert.Equal(t, "NoSuchEntity", apiCode(err))

	grants, err := c.ListPoliciesGrantingServiceAccess(ctx, &awsiam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String(userArn), ServiceNamespaces: []string{"sqs", "logs", "dynamodb"}})
	require.NoError(t, err)
	require.Len(t, grants.PoliciesGrantingServiceAccess, 3)
	sqs := grants.PoliciesGrantingServiceAccess[0]
	assert.Equal(t, "sqs", aws.ToString(sqs.ServiceNamespace))
	require.Len(t, sqs.Policies, 1)
	assert.Equal(t, types.PolicyGrantingServiceAccess{PolicyName: aws.String("queues"), PolicyType: types.PolicyTypeInline, EntityType: types.PolicyOwnerEntityTypeUser, EntityName: aws.String("ana")}, sqs.Policies[0])
	logs := grants.PoliciesGrantingServiceAccess[1]
	require.Len(t, logs.Policies, 1)
	assert.Equal(t, types.PolicyTypeManaged, logs.Policies[0].PolicyType)
	assert.Equal(t, aws.ToString(mine.Policy.Arn), aws.ToString(logs.Policies[0].PolicyArn))
	assert.Empty(t, grants.PoliciesGrantingServiceAccess[2].Policies)
}

// TestSecurityTokenServicePreferences: the global endpoint token version
// set shows in GetAccountSummary; another value is refused.
func TestSecurityTokenServicePreferences(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	summary := func() int32 {
		out, err := c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{})
		require.NoError(t, err)
		return out.SummaryMap["GlobalEndpointTokenVersion"]
	}
	assert.EqualValues(t, 1, summary())
	_, err := c.SetSecurityTokenServicePreferences(ctx, &awsiam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token})
	require.NoError(t, err)
	assert.EqualValues(t, 2, summary())
	_, err = c.SetSecurityTokenServicePreferences(ctx, &awsiam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v3Token"})
	assert.Equal(t, "ValidationError", apiCode(err))
}
