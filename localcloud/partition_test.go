package localcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestARNsNameTheRegionsPartition: in a region of each partition (botocore's
// partitions.json: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b) every ARN
// the services answer with names that partition, in the formats of the
// Service Authorization Reference (arn:${Partition}:sqs:${Region}:${Account}:${QueueName},
// arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}...), global
// IAM and STS included: their ARNs carry the partition of the region the
// request is signed for. The ARNs are then used as AWS's partition's
// clients use them: a role ARN in CreateFunction and AssumeRole, a queue
// ARN in Subscribe, an AWS managed policy's ARN in AttachRolePolicy, an
// apigateway URI in CreateIntegration.
func TestARNsNameTheRegionsPartition(t *testing.T) {
	t.Parallel()
	endpoint := startCloud(t)
	zip := shellZip(t, "#!/bin/sh\necho hi\n")
	for _, tc := range []struct{ region, partition string }{
		{"us-east-1", "aws"},
		{"cn-north-1", "aws-cn"},
		{"cn-northwest-1", "aws-cn"},
		{"us-gov-west-1", "aws-us-gov"},
		{"us-iso-east-1", "aws-iso"},
		{"us-isob-east-1", "aws-iso-b"},
	} {
		t.Run(tc.region, func(t *testing.T) {
			ctx := context.Background()
			cfg := sdkConfig(endpoint)
			cfg.Region = tc.region
			const acct = "123456789012"
			p, r := tc.partition, tc.region
			arn := func(service, region, resource string) string {
				return "arn:" + p + ":" + service + ":" + region + ":" + acct + ":" + resource
			}

			who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			require.NoError(t, err)
			assert.Equal(t, arn("iam", "", "root"), aws.ToString(who.Arn), "GetCallerIdentity")

			// IAM: a role, an AWS managed policy attached by its ARN in this partition.
			im := iam.NewFromConfig(cfg)
			roleName := "part-" + r
			role, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), Path: aws.String("/svc/"),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"` + arn("iam", "", "root") + `"},"Action":"sts:AssumeRole"}]}`)})
			require.NoError(t, err)
			roleARN := arn("iam", "", "role/svc/"+roleName)
			assert.Equal(t, roleARN, aws.ToString(role.Role.Arn), "CreateRole")
			got, err := im.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
			require.NoError(t, err)
			assert.Equal(t, roleARN, aws.ToString(got.Role.Arn), "GetRole")
			managed := "arn:" + p + ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
			_, err = im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(managed)})
			require.NoError(t, err, "AttachRolePolicy %s", managed)
			att, err := im.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
			require.NoError(t, err)
			require.Len(t, att.AttachedPolicies, 1)
			assert.Equal(t, managed, aws.ToString(att.AttachedPolicies[0].PolicyArn), "ListAttachedRolePolicies")
			pol, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pol-" + r),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"` + arn("sqs", r, "q") + `"}]}`)})
			require.NoError(t, err)
			assert.Equal(t, arn("iam", "", "policy/pol-"+r), aws.ToString(pol.Policy.Arn), "CreatePolicy")
			_, err = im.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn})
			require.NoError(t, err, "GetPolicy by its ARN")
			user, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u-" + r)})
			require.NoError(t, err)
			assert.Equal(t, arn("iam", "", "user/u-"+r), aws.ToString(user.User.Arn), "CreateUser")

			// STS: AssumeRole's user, and who its credentials are.
			as, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
			require.NoError(t, err, "AssumeRole %s", roleARN)
			assert.Equal(t, arn("sts", "", "assumed-role/"+roleName+"/s1"), aws.ToString(as.AssumedRoleUser.Arn), "AssumedRoleUser")
			sess := cfg.Copy()
			sess.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(as.Credentials.AccessKeyId), aws.ToString(as.Credentials.SecretAccessKey), aws.ToString(as.Credentials.SessionToken))
			who, err = sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			require.NoError(t, err)
			assert.Equal(t, aws.ToString(as.AssumedRoleUser.Arn), aws.ToString(who.Arn), "GetCallerIdentity of the session")

			// Lambda: the role by its ARN, the function's ARN, a permission for an account.
			fns := lambda.NewFromConfig(cfg)
			fn, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: lambdatypes.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Role: aws.String(roleARN), Code: &lambdatypes.FunctionCode{ZipFile: zip}})
			require.NoError(t, err, "CreateFunction with role %s", roleARN)
			fnARN := arn("lambda", r, "function:fn")
			assert.Equal(t, fnARN, aws.ToString(fn.FunctionArn), "CreateFunction")
			_, err = fns.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fnARN)})
			require.NoError(t, err, "GetFunction by ARN")
			_, err = fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("acct"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("210987654321")})
			require.NoError(t, err)
			lp, err := fns.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
			require.NoError(t, err)
			var doc struct {
				Statement []struct{ Principal map[string]string }
			}
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(lp.Policy)), &doc))
			require.Len(t, doc.Statement, 1)
			assert.Equal(t, "arn:"+p+":iam::210987654321:root", doc.Statement[0].Principal["AWS"], "AddPermission's principal")
			if p != "aws" {
				other := "arn:aws:lambda:" + r + ":" + acct + ":function:fn"
				_, err = fns.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(other)})
				var nf *lambdatypes.ResourceNotFoundException
				assert.True(t, errors.As(err, &nf), "GetFunction %s (another partition): got %v, want ResourceNotFoundException", other, err)
			}

			// SQS and SNS: the queue's ARN, the topic's, a subscription by the queue's ARN.
			q := sqs.NewFromConfig(cfg)
			qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
			require.NoError(t, err)
			qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
			require.NoError(t, err)
			assert.Equal(t, arn("sqs", r, "q"), qa.Attributes["QueueArn"], "QueueArn")
			topics := sns.NewFromConfig(cfg)
			topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
			require.NoError(t, err)
			assert.Equal(t, arn("sns", r, "t"), aws.ToString(topic.TopicArn), "TopicArn")
			sub, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn("sqs", r, "q")), ReturnSubscriptionArn: true})
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(aws.ToString(sub.SubscriptionArn), arn("sns", r, "t:")), "SubscriptionArn %s", aws.ToString(sub.SubscriptionArn))
			esm, err := fns.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(arn("sqs", r, "q")), Enabled: aws.Bool(false)})
			require.NoError(t, err, "CreateEventSourceMapping from %s", arn("sqs", r, "q"))
			assert.Equal(t, arn("sqs", r, "q"), aws.ToString(esm.EventSourceArn), "EventSourceArn")
			assert.Equal(t, arn("lambda", r, "event-source-mapping:"+aws.ToString(esm.UUID)), aws.ToString(esm.EventSourceMappingArn), "EventSourceMappingArn")
			layer, err := fns.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &lambdatypes.LayerVersionContentInput{ZipFile: zip}})
			require.NoError(t, err)
			assert.Equal(t, arn("lambda", r, "layer:l:1"), aws.ToString(layer.LayerVersionArn), "LayerVersionArn")
			assert.Equal(t, arn("lambda", r, "layer:l"), aws.ToString(layer.LayerArn), "LayerArn")
			sa, err := topics.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
			require.NoError(t, err)
			assert.Equal(t, arn("iam", "", "root"), sa.Attributes["SubscriptionPrincipal"], "SubscriptionPrincipal")

			// DynamoDB, CloudWatch Logs, CloudWatch.
			db := dynamodb.NewFromConfig(cfg)
			tbl, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("tbl"), BillingMode: ddbtypes.BillingModePayPerRequest,
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}}})
			require.NoError(t, err)
			assert.Equal(t, arn("dynamodb", r, "table/tbl"), aws.ToString(tbl.TableDescription.TableArn), "TableArn")
			logs := cloudwatchlogs.NewFromConfig(cfg)
			_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/g")})
			require.NoError(t, err)
			lg, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/g")})
			require.NoError(t, err)
			require.Len(t, lg.LogGroups, 1)
			assert.Equal(t, arn("logs", r, "log-group:/g:*"), aws.ToString(lg.LogGroups[0].Arn), "log group Arn")
			_, err = logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(arn("logs", r, "log-group:/g"))})
			require.NoError(t, err, "DescribeLogStreams by the group's ARN")
			if p != "aws" {
				other := "arn:aws:logs:" + r + ":" + acct + ":log-group:/g"
				_, err = logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(other)})
				var nf *logstypes.ResourceNotFoundException
				assert.True(t, errors.As(err, &nf), "DescribeLogStreams %s (another partition): got %v, want ResourceNotFoundException", other, err)
			}
			cw := cloudwatch.NewFromConfig(cfg)
			_, err = cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("d"), DashboardBody: aws.String(`{"widgets":[]}`)})
			require.NoError(t, err)
			dash, err := cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("d")})
			require.NoError(t, err)
			assert.Equal(t, arn("cloudwatch", "", "dashboard/d"), aws.ToString(dash.DashboardArn), "DashboardArn")
			_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("a"), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
				Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{aws.ToString(topic.TopicArn)}})
			require.NoError(t, err, "PutMetricAlarm with topic %s", aws.ToString(topic.TopicArn))
			al, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}})
			require.NoError(t, err)
			require.Len(t, al.MetricAlarms, 1)
			assert.Equal(t, arn("cloudwatch", r, "alarm:a"), aws.ToString(al.MetricAlarms[0].AlarmArn), "AlarmArn")

			// API Gateway: a Lambda proxy integration by its apigateway URI, the API's tag ARN.
			gw := apigatewayv2.NewFromConfig(cfg)
			api, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("api"), ProtocolType: apitypes.ProtocolTypeHttp})
			require.NoError(t, err)
			uri := "arn:" + p + ":apigateway:" + r + ":lambda:path/2015-03-31/functions/" + fnARN + "/invocations"
			_, err = gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId, IntegrationType: apitypes.IntegrationTypeAwsProxy,
				IntegrationUri: aws.String(uri), PayloadFormatVersion: aws.String("2.0")})
			require.NoError(t, err, "CreateIntegration %s", uri)
			_, err = gw.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: api.ApiId, Name: aws.String("au"), AuthorizerType: apitypes.AuthorizerTypeRequest,
				AuthorizerUri: aws.String(uri), AuthorizerPayloadFormatVersion: aws.String("2.0"), IdentitySource: []string{"$request.header.Authorization"}})
			require.NoError(t, err, "CreateAuthorizer %s", uri)
			apiARN := "arn:" + p + ":apigateway:" + r + "::/apis/" + aws.ToString(api.ApiId)
			_, err = gw.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(apiARN), Tags: map[string]string{"k": "v"}})
			require.NoError(t, err, "TagResource %s", apiARN)
		})
	}
}
