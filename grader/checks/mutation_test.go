package checks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// logGroups gives the five functions' log groups a retention policy
// (lab 5's resources).
func (d *deployment) logGroups(ctx context.Context) {
	c := cloudwatchlogs.NewFromConfig(d.cfg)
	for _, key := range []string{"authorizerFunction", "intakeFunction", "publisherFunction", "inventoryWorker", "accountingWorker"} {
		g := "/aws/lambda/" + d.n(key)
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &g}); err != nil {
			var exists interface{ ErrorCode() string }
			if !asAPI(err, &exists) || exists.ErrorCode() != "ResourceAlreadyExistsException" {
				d.must(err, "create log group "+g)
			}
		}
		_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: &g, RetentionInDays: aws.Int32(14)})
		d.must(err, "retention "+g)
	}
}

// alarms deploys lab 5's alerts topic with a queue subscriber, an alarm per
// dead-letter queue and per function, and the dashboard, as the lab's
// Step 3 does.
func (d *deployment) alarms(ctx context.Context) {
	topic, err := d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(d.n("alertsTopic"))})
	d.must(err, "alerts topic")
	_, inbox := d.queue(ctx, "alertsQueue", map[string]string{"Policy": policyJSON(map[string]any{"Effect": "Allow",
		"Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": d.arn("sqs", d.n("alertsQueue"))})})
	_, err = d.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(inbox)})
	d.must(err, "subscribe inbox")
	for _, key := range []string{"inventoryDLQ", "accountingDLQ", "publisherDLQ"} {
		d.alarm(ctx, d.n(key)+"-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", d.n(key), nil)
	}
	for _, key := range []string{"authorizerFunction", "intakeFunction", "publisherFunction", "inventoryWorker", "accountingWorker"} {
		d.alarm(ctx, d.n(key)+"-errors", "AWS/Lambda", "Errors", "FunctionName", d.n(key), nil)
	}
	body := fmt.Sprintf(`{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName",%q]]}},`+
		`{"type":"metric","x":12,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/Lambda","Errors","FunctionName",%q]]}}]}`, d.n("inventoryDLQ"), d.n("intakeFunction"))
	_, err = d.cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(d.n("dashboard")), DashboardBody: aws.String(body)})
	d.must(err, "dashboard")
}

// alarm puts the reference alarm on one metric (> 0 over a minute,
// notifying the alerts topic), changed by mod.
func (d *deployment) alarm(ctx context.Context, name, ns, metric, dim, value string, mod func(*cloudwatch.PutMetricAlarmInput)) {
	in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String(ns), MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(value)}}, Statistic: cwtypes.StatisticMaximum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData: aws.String("notBreaching"), AlarmActions: []string{d.arn("sns", d.n("alertsTopic"))}}
	if mod != nil {
		mod(in)
	}
	_, err := d.cw.PutMetricAlarm(ctx, in)
	d.must(err, "alarm "+name)
}

// asMetricMath turns a standard alarm's input into the metric-math alarm
// that means the same: FILL(m, 0) of its metric and statistic.
func asMetricMath(in *cloudwatch.PutMetricAlarmInput) {
	in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("depth"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions}, Period: in.Period, Stat: aws.String(string(in.Statistic))}},
		{Id: aws.String("filled"), Expression: aws.String("FILL(depth, 0)"), Label: aws.String("messages"), ReturnData: aws.Bool(true)}}
	in.Namespace, in.MetricName, in.Dimensions, in.Period, in.Statistic = nil, nil, nil, nil, ""
}

// solved deploys labs 1-3 (without mappings) and lab 5's log groups.
func solved(t testing.TB, names map[string]string, prepare func(d *deployment)) (*deployment, aws.Config) {
	t.Helper()
	ctx := context.Background()
	cfg := startCloud(t)
	d := newDeployment(t, cfg, names)
	if prepare != nil {
		prepare(d)
	}
	d.lab1(ctx)
	d.lab2(ctx)
	d.lab3(ctx)
	d.lab4(ctx)
	d.logGroups(ctx)
	d.alarms(ctx)
	return d, cfg
}

func (d *deployment) queueURL(ctx context.Context, key string) string {
	out, err := d.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(d.n(key))})
	d.must(err, "queue url")
	return aws.ToString(out.QueueUrl)
}

func (d *deployment) apiID(ctx context.Context) string {
	out, err := d.apig.GetApis(ctx, &apigatewayv2.GetApisInput{})
	d.must(err, "get apis")
	for _, a := range out.Items {
		if aws.ToString(a.Name) == d.n("api") {
			return aws.ToString(a.ApiId)
		}
	}
	d.t.Fatal("no api")
	return ""
}

func (d *deployment) routeID(ctx context.Context, api, key string) string {
	out, err := d.apig.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &api})
	d.must(err, "get routes")
	for _, r := range out.Items {
		if aws.ToString(r.RouteKey) == key {
			return aws.ToString(r.RouteId)
		}
	}
	d.t.Fatal("no route " + key)
	return ""
}

func (d *deployment) putPolicy(ctx context.Context, roleKey string, stmts ...map[string]any) {
	_, err := d.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(d.n(roleKey)), PolicyName: aws.String("lab"), PolicyDocument: aws.String(policyJSON(stmts...))})
	d.must(err, "put role policy")
}

func (d *deployment) setQueue(ctx context.Context, key string, attrs map[string]string) {
	_, err := d.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(d.queueURL(ctx, key)), Attributes: attrs})
	d.must(err, "set queue attributes")
}

func (d *deployment) topicArn() string { return d.arn("sns", d.n("topic")) }

// mutation is one broken variant of the reference and the check that must
// catch it.
type mutation struct {
	name    string
	catch   string // lab/check id
	want    string // the failure's reason must contain it, when set: the diagnosis names the cause
	prepare func(d *deployment)
	mutate  func(ctx context.Context, d *deployment)
}

func mutations() []mutation {
	tableArn := func(d *deployment) string { return d.arn("dynamodb", "table/"+d.n("ordersTable")) }
	return []mutation{
		{name: "PITR off", catch: "lab1/table-pitr", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(d.n("ordersTable")),
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}})
			d.must(err, "PITR off")
		}},
		{name: "wrong key", catch: "lab1/table-key", mutate: func(ctx context.Context, d *deployment) {
			name := d.n("ordersTable")
			_, err := d.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
			d.must(err, "delete table")
			cloudtest.WaitTableGone(d.t, d.ddb, name)
			_, err = d.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: &name, BillingMode: ddbtypes.BillingModePayPerRequest,
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}})
			d.must(err, "create table")
			cloudtest.WaitTable(d.t, d.ddb, name)
		}},
		{name: "provisioned billing", catch: "lab1/table-on-demand", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(d.n("ordersTable")), BillingMode: ddbtypes.BillingModeProvisioned,
				ProvisionedThroughput: &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})
			d.must(err, "provisioned")
			cloudtest.WaitTable(d.t, d.ddb, d.n("ordersTable"))
		}},
		{name: "wildcard policy", catch: "lab2/intake-role-scope", want: "dynamodb:GetItem, dynamodb:PutItem granted only through a wildcard", mutate: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "intakeRole", allowStmt([]string{"dynamodb:*"}, "*"))
		}},
		{name: "extra action", catch: "lab2/intake-role-scope", mutate: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "intakeRole", allowStmt([]string{"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"}, tableArn(d)), d.logsStmt("intakeFunction"))
		}},
		{name: "other table", catch: "lab2/intake-role-scope", mutate: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "intakeRole", allowStmt([]string{"dynamodb:PutItem", "dynamodb:GetItem"}, d.arn("dynamodb", "table/*")), d.logsStmt("intakeFunction"))
		}},
		{name: "trust for EC2", catch: "lab2/intake-role-trust", mutate: func(ctx context.Context, d *deployment) {
			doc := policyJSON(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
			_, err := d.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(d.n("intakeRole")), PolicyDocument: &doc})
			d.must(err, "trust")
		}},
		{name: "wrong handler", catch: "lab2/intake-function", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.n("intakeFunction")), Handler: aws.String("main")})
			d.must(err, "handler")
		}},
		{name: "route without authorizer", catch: "lab2/routes-authorized", mutate: func(ctx context.Context, d *deployment) {
			api := d.apiID(ctx)
			_, err := d.apig.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: &api, RouteId: aws.String(d.routeID(ctx, api, "GET /orders/{orderId}")),
				AuthorizationType: apitypes.AuthorizationTypeNone})
			d.must(err, "route")
		}},
		{name: "payload 1.0", catch: "lab2/api-integrations", mutate: func(ctx context.Context, d *deployment) {
			api := d.apiID(ctx)
			out, err := d.apig.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: &api})
			d.must(err, "integrations")
			_, err = d.apig.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: &api, IntegrationId: out.Items[0].IntegrationId, PayloadFormatVersion: aws.String("1.0")})
			d.must(err, "payload")
		}},
		{name: "authorizer without simple responses", catch: "lab2/api-authorizer", mutate: func(ctx context.Context, d *deployment) {
			api := d.apiID(ctx)
			out, err := d.apig.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: &api})
			d.must(err, "authorizers")
			_, err = d.apig.UpdateAuthorizer(ctx, &apigatewayv2.UpdateAuthorizerInput{ApiId: &api, AuthorizerId: out.Items[0].AuthorizerId, EnableSimpleResponses: aws.Bool(false)})
			d.must(err, "authorizer")
		}},
		{name: "no throttling", catch: "lab2/api-throttling", mutate: func(ctx context.Context, d *deployment) {
			api := d.apiID(ctx)
			_, err := d.apig.DeleteStage(ctx, &apigatewayv2.DeleteStageInput{ApiId: &api, StageName: aws.String("$default")})
			d.must(err, "delete stage")
			_, err = d.apig.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &api, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)})
			d.must(err, "create stage")
		}},
		{name: "no invoke permission", catch: "lab2/api-permissions", mutate: removeIntakePermission},
		{name: "no invoke permission, seen through the API", catch: "lab2/order-accepted", want: "see lab2/api-permissions", mutate: removeIntakePermission},
		{name: "intake accepts invalid input", catch: "lab2/bad-input-rejected", prepare: brokenIntake("novalidate")},
		{name: "intake without idempotency", catch: "lab2/replay-idempotent", prepare: brokenIntake("noidempotency")},
		{name: "intake ignores isBase64Encoded", catch: "lab2/order-accepted", prepare: brokenIntake("nobase64")},
		{name: "intake publishes directly", catch: "lab2/intake-role-scope", prepare: brokenIntake("publishes"), mutate: func(ctx context.Context, d *deployment) {
			// Publishing needs sns:Publish on the intake's role (IAM enforces it on AWS).
			d.putPolicy(ctx, "intakeRole", allowStmt([]string{"dynamodb:PutItem", "dynamodb:GetItem"}, tableArn(d)),
				allowStmt([]string{"sns:Publish"}, d.topicArn()), d.logsStmt("intakeFunction"))
			_, err := d.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.n("intakeFunction")),
				Environment: &lambdaEnv{Variables: map[string]string{"TABLE_NAME": d.n("ordersTable"), "TOPIC_ARN": d.topicArn(), "BROKEN": "publishes"}}})
			d.must(err, "env")
		}},
		{name: "stream off", catch: "lab3/table-stream", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(d.n("ordersTable")), StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}})
			d.must(err, "stream off")
		}},
		{name: "stream KEYS_ONLY", catch: "lab3/table-stream", mutate: func(ctx context.Context, d *deployment) {
			table := aws.String(d.n("ordersTable"))
			_, err := d.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: table, StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}})
			d.must(err, "stream off")
			cloudtest.WaitTable(d.t, d.ddb, *table)
			_, err = d.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: table, StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeKeysOnly}})
			d.must(err, "keys only")
		}},
		{name: "subscription without raw delivery", catch: "lab3/subscriptions", mutate: func(ctx context.Context, d *deployment) {
			out, err := d.sns.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(d.topicArn())})
			d.must(err, "subscriptions")
			_, err = d.sns.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: out.Subscriptions[0].SubscriptionArn,
				AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")})
			d.must(err, "raw off")
		}},
		{name: "queue policy open to everyone", catch: "lab3/queue-policies", mutate: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "inventoryQueue", map[string]string{"Policy": policyJSON(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
				"Resource": d.arn("sqs", d.n("inventoryQueue"))})})
		}},
		{name: "redrive missing", catch: "lab3/inventory-redrive", mutate: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "inventoryQueue", map[string]string{"RedrivePolicy": ""})
		}},
		{name: "maxReceiveCount 1", catch: "lab3/accounting-redrive", mutate: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "accountingQueue", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"1"}`, d.arn("sqs", d.n("accountingDLQ")))})
		}},
		{name: "visibility below 6x", catch: "lab3/inventory-visibility", mutate: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "inventoryQueue", map[string]string{"VisibilityTimeout": "30"})
		}},
		{name: "publisher may publish anywhere", catch: "lab3/publisher-role-scope", mutate: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "publisherRole", allowStmt([]string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}, tableArn(d)+"/stream/*"),
				allowStmt([]string{"sns:Publish"}, "*"), d.logsStmt("publisherFunction"))
		}},
		{name: "stream mapping without filter", catch: "lab3/publisher-mapping", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "publisherFunction"), FilterCriteria: &lambdatypes.FilterCriteria{}})
			d.must(err, "mapping")
		}},
		{name: "stream mapping without bisect", catch: "lab3/publisher-mapping", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "publisherFunction"), BisectBatchOnFunctionError: aws.Bool(false)})
			d.must(err, "mapping")
		}},
		{name: "stream mapping retrying forever", catch: "lab3/publisher-mapping", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "publisherFunction"), MaximumRetryAttempts: aws.Int32(-1)})
			d.must(err, "mapping")
		}},
		{name: "stream mapping without on-failure destination", catch: "lab3/publisher-mapping", want: "update-event-source-mapping --uuid", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "publisherFunction"),
				DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("")}}})
			d.must(err, "mapping")
		}},
		{name: "worker mapping without ReportBatchItemFailures", catch: "lab4/inventory-mapping", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "inventoryWorker"), FunctionResponseTypes: []lambdatypes.FunctionResponseType{}})
			d.must(err, "mapping")
		}},
		{name: "worker mapping disabled", catch: "lab4/accounting-mapping", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, "accountingWorker"), Enabled: aws.Bool(false)})
			d.must(err, "mapping")
		}},
		{name: "worker timeout above 10 s", catch: "lab4/inventory-worker-function", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.n("inventoryWorker")), Timeout: aws.Int32(30)})
			d.must(err, "timeout")
		}},
		{name: "visibility below 6x the worker's timeout", catch: "lab3/accounting-visibility", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.n("accountingWorker")), Timeout: aws.Int32(15)})
			d.must(err, "timeout")
		}},
		{name: "worker may read every queue", catch: "lab4/accounting-role-scope", mutate: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "accountingRole", allowStmt([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, d.arn("sqs", "*")),
				allowStmt([]string{"dynamodb:UpdateItem"}, tableArn(d)), d.logsStmt("accountingWorker"))
		}},
		{name: "no alarm on a dead-letter queue", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{d.n("accountingDLQ") + "-not-empty"}})
			d.must(err, "delete alarm")
		}},
		{name: "alarm on the wrong metric", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			name := d.n("inventoryDLQ") + "-not-empty"
			_, err := d.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
			d.must(err, "delete alarm")
			d.alarm(ctx, name, "AWS/SQS", "NumberOfMessagesSent", "QueueName", d.n("inventoryDLQ"), nil)
		}},
		{name: "alarm with the wrong threshold", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			d.alarm(ctx, d.n("intakeFunction")+"-errors", "AWS/Lambda", "Errors", "FunctionName", d.n("intakeFunction"), func(in *cloudwatch.PutMetricAlarmInput) {
				in.Threshold = aws.Float64(10)
			})
		}},
		{name: "alarm without an action", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			d.alarm(ctx, d.n("publisherDLQ")+"-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", d.n("publisherDLQ"), func(in *cloudwatch.PutMetricAlarmInput) {
				in.AlarmActions = nil
			})
		}},
		{name: "alarm with actions disabled", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.cw.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{d.n("accountingWorker") + "-errors"}})
			d.must(err, "disable actions")
		}},
		{name: "nobody subscribed to the alerts", catch: "lab5/alarms", mutate: func(ctx context.Context, d *deployment) {
			subs, err := d.sns.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(d.arn("sns", d.n("alertsTopic")))})
			d.must(err, "list subscriptions")
			for _, s := range subs.Subscriptions {
				_, err := d.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: s.SubscriptionArn})
				d.must(err, "unsubscribe")
			}
		}},
		{name: "no dashboard", catch: "lab5/dashboard", mutate: func(ctx context.Context, d *deployment) {
			_, err := d.cw.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{d.n("dashboard")}})
			d.must(err, "delete dashboard")
		}},
		{name: "no log retention", catch: "lab5/log-retention", mutate: func(ctx context.Context, d *deployment) {
			_, err := cloudwatchlogs.NewFromConfig(d.cfg).DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/" + d.n("intakeFunction"))})
			d.must(err, "retention")
		}},
	}
}

// removeIntakePermission takes away API Gateway's permission to invoke the
// intake.
func removeIntakePermission(ctx context.Context, d *deployment) {
	_, err := d.lam.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(d.n("intakeFunction")), StatementId: aws.String("apigw")})
	d.must(err, "remove permission")
}

// brokenIntake deploys the intake from testdata/broken-intake with the flaw.
func brokenIntake(flaw string) func(d *deployment) {
	return func(d *deployment) {
		d.code["intakeFunction"] = "testdata/broken-intake"
		d.env["intakeFunction"] = map[string]string{"BROKEN": flaw}
	}
}

// TestMutationsAreCaught breaks the reference one way at a time and checks
// that the check meant to catch each break fails (not errors), and that the
// verdict is explained.
func TestMutationsAreCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			d, cfg := solved(t, nil, m.prepare)
			checks := only(t, m.catch)
			if before := gradeChecks(t, cfg, nil, checks); m.prepare == nil && before[0].Status != grader.Pass {
				t.Fatalf("%s before the mutation: got %s, want pass: %s", m.catch, before[0].Status, before[0].Reason)
			}
			if m.mutate != nil {
				m.mutate(context.Background(), d)
			}
			r := gradeChecks(t, cfg, nil, checks)[0]
			if r.Status != grader.Fail {
				t.Fatalf("%s after %q: got %s, want fail (%s)", m.catch, m.name, r.Status, r.Reason)
			}
			if m.want != "" && !strings.Contains(r.Reason, m.want) {
				t.Errorf("%s after %q: the reason %q does not name the cause (%q)", m.catch, m.name, r.Reason, m.want)
			}
			if r.Reason == "" || len(r.Hints) != 2 {
				t.Errorf("%s: a failure needs a reason and two hints; got %q, %d hints", m.catch, r.Reason, len(r.Hints))
			}
			t.Logf("%s: %s", m.catch, r.Reason)
		})
	}
}

// resourceChecks are the checks that need no event source mappings and no
// traffic through the fan-out (all of labs 1-2, lab 3's resources, lab 5's
// retention).
func resourceChecks(t testing.TB) []*grader.Check {
	t.Helper()
	var out []*grader.Check
	ms := loadManifests(t)
	for _, lab := range []string{"lab1", "lab2", "lab3"} {
		for _, c := range ms[lab].Checks {
			switch c.Kind.Name {
			case "fanout.queues", "fanout.insert-only":
				continue
			}
			out = append(out, c)
		}
	}
	out = append(out, only(t, lab4Checks...)...)
	return append(out, only(t, "lab5/log-retention", "lab5/alarms", "lab5/dashboard")...)
}

// TestValidAlternativesPass changes the reference in ways the labs allow:
// none of them may cost the learner a point.
func TestValidAlternativesPass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	other := map[string]string{"ordersTable": "ShopOrders", "api": "shop-api", "intakeFunction": "shop-intake", "authorizerFunction": "shop-authorizer",
		"intakeRole": "shop-intake-role", "authorizerRole": "shop-authorizer-role", "topic": "shop-events", "inventoryQueue": "inv", "inventoryDLQ": "inv-dlq",
		"accountingQueue": "acct", "accountingDLQ": "acct-dlq", "publisherFunction": "shop-publisher", "publisherRole": "shop-publisher-role", "publisherDLQ": "shop-publisher-dlq"}
	for _, tc := range []struct {
		name    string
		names   map[string]string
		prepare func(d *deployment)
		change  func(ctx context.Context, d *deployment)
	}{
		{name: "other names recorded in the config", names: other},
		{name: "a different but correct intake", prepare: brokenIntake("")},
		{name: "a longer visibility timeout", change: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "inventoryQueue", map[string]string{"VisibilityTimeout": "300"})
		}},
		{name: "extra resources", change: func(ctx context.Context, d *deployment) {
			_, err := d.apig.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("another-api"), ProtocolType: apitypes.ProtocolTypeHttp})
			d.must(err, "api")
			_, err = d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("order-events-archive")})
			d.must(err, "topic")
			d.queue(ctx, "topic", nil) // a queue named like the topic
			api := d.apiID(ctx)
			_, err = d.apig.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &api, RouteKey: aws.String("GET /health")})
			d.must(err, "route")
		}},
		{name: "logs on any group, as AWSLambdaBasicExecutionRole grants", change: func(ctx context.Context, d *deployment) {
			d.putPolicy(ctx, "intakeRole", allowStmt([]string{"dynamodb:PutItem", "dynamodb:GetItem"}, d.arn("dynamodb", "table/"+d.n("ordersTable"))),
				allowStmt([]string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, "*"))
		}},
		{name: "queue policy for any principal conditioned on the topic, plus the owner", change: func(ctx context.Context, d *deployment) {
			arn := d.arn("sqs", d.n("inventoryQueue"))
			d.setQueue(ctx, "inventoryQueue", map[string]string{"Policy": policyJSON(
				map[string]any{"Sid": "topic", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn,
					"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": d.topicArn()}}},
				map[string]any{"Sid": "owner", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + testAccount + ":root"}, "Action": "sqs:*", "Resource": arn})})
		}},
		{name: "alarms over five minutes, with OK actions and an extra action", change: func(ctx context.Context, d *deployment) {
			d.alarm(ctx, d.n("inventoryDLQ")+"-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", d.n("inventoryDLQ"), func(in *cloudwatch.PutMetricAlarmInput) {
				in.Period = aws.Int32(300)
				in.OKActions = in.AlarmActions
				in.AlarmActions = append(in.AlarmActions, d.arn("sns", d.n("topic")))
			})
		}},
		{name: "a metric-math alarm on a dead-letter queue and on a function's errors", change: func(ctx context.Context, d *deployment) {
			d.alarm(ctx, d.n("inventoryDLQ")+"-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", d.n("inventoryDLQ"), asMetricMath)
			d.alarm(ctx, d.n("intakeFunction")+"-errors", "AWS/Lambda", "Errors", "FunctionName", d.n("intakeFunction"), asMetricMath)
		}},
		{name: "errors alarm as Sum >= 1", change: func(ctx context.Context, d *deployment) {
			d.alarm(ctx, d.n("intakeFunction")+"-errors", "AWS/Lambda", "Errors", "FunctionName", d.n("intakeFunction"), func(in *cloudwatch.PutMetricAlarmInput) {
				in.Statistic, in.Threshold = cwtypes.StatisticSum, aws.Float64(1)
				in.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold
			})
		}},
		{name: "a larger maxReceiveCount", change: func(ctx context.Context, d *deployment) {
			d.setQueue(ctx, "accountingQueue", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":10}`, d.arn("sqs", d.n("accountingDLQ")))})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, cfg := solved(t, tc.names, tc.prepare)
			if tc.change != nil {
				tc.change(context.Background(), d)
			}
			wantAll(t, gradeChecks(t, cfg, tc.names, resourceChecks(t)), grader.Pass)
		})
	}
}
