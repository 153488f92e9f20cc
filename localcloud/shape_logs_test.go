package localcloud_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestLogsResponsesMatchBotocoreShapes drives CloudWatch Logs' operations
// through the SDK (groups, streams, events, queries, metric and
// subscription filters, destinations, policies, tags, exports) and holds
// every answer to botocore's output shape for its operation.
func TestLogsResponsesMatchBotocoreShapes(t *testing.T) {
	m := logsModel(t)
	cfg := sdkConfig(startCloud(t))
	rcfg, rec := recording(cfg)
	ctx := context.Background()
	c := cwlogs.NewFromConfig(rcfg)
	g, s := aws.String("/shapes/app"), aws.String("web-1")
	groupArn := "arn:aws:logs:us-east-1:123456789012:log-group:/shapes/app"

	do(c.CreateLogGroup(ctx, &cwlogs.CreateLogGroupInput{LogGroupName: g, Tags: map[string]string{"k": "v"}})).ok(t)
	do(c.CreateLogStream(ctx, &cwlogs.CreateLogStreamInput{LogGroupName: g, LogStreamName: s})).ok(t)
	now := time.Now()
	do(c.PutLogEvents(ctx, &cwlogs.PutLogEventsInput{LogGroupName: g, LogStreamName: s, LogEvents: []logtypes.InputLogEvent{
		{Timestamp: aws.Int64(now.Add(-2 * time.Second).UnixMilli()), Message: aws.String("ERROR payment declined")},
		{Timestamp: aws.Int64(now.Add(-time.Second).UnixMilli()), Message: aws.String(`{"level":"info","ms":12}`)}}})).ok(t)
	// An event older than the retention AWS accepts (14 days) is rejected
	// and reported in rejectedLogEventsInfo.
	do(c.PutLogEvents(ctx, &cwlogs.PutLogEventsInput{LogGroupName: g, LogStreamName: s, LogEvents: []logtypes.InputLogEvent{
		{Timestamp: aws.Int64(now.Add(-20 * 24 * time.Hour).UnixMilli()), Message: aws.String("too old")}}})).ok(t)
	do(c.DescribeLogGroups(ctx, &cwlogs.DescribeLogGroupsInput{})).ok(t)
	do(c.DescribeLogStreams(ctx, &cwlogs.DescribeLogStreamsInput{LogGroupName: g})).ok(t)
	do(c.DescribeLogStreams(ctx, &cwlogs.DescribeLogStreamsInput{LogGroupName: g, OrderBy: logtypes.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1)})).ok(t)
	do(c.FilterLogEvents(ctx, &cwlogs.FilterLogEventsInput{LogGroupName: g, LogStreamNames: []string{*s}, Limit: aws.Int32(1)})).ok(t)
	do(c.GetLogEvents(ctx, &cwlogs.GetLogEventsInput{LogGroupName: g, LogStreamName: s, Limit: aws.Int32(1), StartTime: aws.Int64(now.Add(-time.Hour).UnixMilli())})).ok(t)
	do(c.GetLogEvents(ctx, &cwlogs.GetLogEventsInput{LogGroupName: g, LogStreamName: s, StartFromHead: aws.Bool(true)})).ok(t)
	do(c.FilterLogEvents(ctx, &cwlogs.FilterLogEventsInput{LogGroupName: g, FilterPattern: aws.String("ERROR")})).ok(t)
	do(c.GetLogGroupFields(ctx, &cwlogs.GetLogGroupFieldsInput{LogGroupName: g})).ok(t)

	// Insights queries and query definitions.
	q := do(c.StartQuery(ctx, &cwlogs.StartQueryInput{LogGroupName: g, StartTime: aws.Int64(now.Add(-time.Hour).Unix()), EndTime: aws.Int64(now.Add(time.Minute).Unix()),
		QueryString: aws.String("fields @timestamp, @message, @ptr | limit 5")})).ok(t)
	var res *cwlogs.GetQueryResultsOutput
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res = do(c.GetQueryResults(ctx, &cwlogs.GetQueryResultsInput{QueryId: q.QueryId})).ok(t)
		if res.Status == logtypes.QueryStatusComplete {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the query is %s after 30 s", res.Status)
		}
	}
	for _, row := range res.Results {
		for _, f := range row {
			if aws.ToString(f.Field) == "@ptr" {
				do(c.GetLogRecord(ctx, &cwlogs.GetLogRecordInput{LogRecordPointer: f.Value})).ok(t)
			}
		}
	}
	do(c.DescribeQueries(ctx, &cwlogs.DescribeQueriesInput{})).ok(t)
	do(c.DescribeQueries(ctx, &cwlogs.DescribeQueriesInput{LogGroupName: g, Status: logtypes.QueryStatusComplete})).ok(t)
	q2 := do(c.StartQuery(ctx, &cwlogs.StartQueryInput{LogGroupNames: []string{*g}, StartTime: aws.Int64(now.Add(-time.Hour).Unix()), EndTime: aws.Int64(now.Unix()),
		QueryString: aws.String("stats count(*) by @logStream")})).ok(t)
	if _, err := c.StopQuery(ctx, &cwlogs.StopQueryInput{QueryId: q2.QueryId}); err != nil {
		t.Logf("StopQuery of a finished query: %v", err) // AWS refuses to stop a query that is done
	}
	qd := do(c.PutQueryDefinition(ctx, &cwlogs.PutQueryDefinitionInput{Name: aws.String("errors"), QueryString: aws.String("filter @message like /ERROR/"), LogGroupNames: []string{*g}})).ok(t)
	do(c.DescribeQueryDefinitions(ctx, &cwlogs.DescribeQueryDefinitionsInput{})).ok(t)
	do(c.DeleteQueryDefinition(ctx, &cwlogs.DeleteQueryDefinitionInput{QueryDefinitionId: qd.QueryDefinitionId})).ok(t)

	// Metric filters.
	do(c.PutMetricFilter(ctx, &cwlogs.PutMetricFilterInput{LogGroupName: g, FilterName: aws.String("errors"), FilterPattern: aws.String("ERROR"),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String("Errors"), MetricNamespace: aws.String("Shapes"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}}})).ok(t)
	do(c.PutMetricFilter(ctx, &cwlogs.PutMetricFilterInput{LogGroupName: g, FilterName: aws.String("latency"), FilterPattern: aws.String("{ $.ms = * }"),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String("Latency"), MetricNamespace: aws.String("Shapes"), MetricValue: aws.String("$.ms"),
			Unit: logtypes.StandardUnitMilliseconds, Dimensions: map[string]string{"Level": "$.level"}}}})).ok(t)
	do(c.DescribeMetricFilters(ctx, &cwlogs.DescribeMetricFiltersInput{MetricName: aws.String("Latency"), MetricNamespace: aws.String("Shapes")})).ok(t)
	do(c.DescribeMetricFilters(ctx, &cwlogs.DescribeMetricFiltersInput{LogGroupName: g})).ok(t)
	do(c.TestMetricFilter(ctx, &cwlogs.TestMetricFilterInput{FilterPattern: aws.String("[level, ms]"), LogEventMessages: []string{"info 12", "ERROR x"}})).ok(t)
	do(c.DeleteMetricFilter(ctx, &cwlogs.DeleteMetricFilterInput{LogGroupName: g, FilterName: aws.String("errors")})).ok(t)

	// A subscription filter to a function Logs may invoke.
	fns := lambda.NewFromConfig(cfg)
	fn := do(fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("shipper"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(t, cfg, "shipper")), Code: &lambdatypes.FunctionCode{ZipFile: shellZip(t, echoFunction)}})).ok(t)
	do(fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("shipper"), StatementId: aws.String("logs"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("logs.amazonaws.com"), SourceArn: aws.String(groupArn + ":*")})).ok(t)
	do(c.PutSubscriptionFilter(ctx, &cwlogs.PutSubscriptionFilterInput{LogGroupName: g, FilterName: aws.String("ship"), FilterPattern: aws.String(""), DestinationArn: fn.FunctionArn,
		Distribution: logtypes.DistributionRandom})).ok(t)
	do(c.DescribeSubscriptionFilters(ctx, &cwlogs.DescribeSubscriptionFiltersInput{LogGroupName: g})).ok(t)
	do(c.DeleteSubscriptionFilter(ctx, &cwlogs.DeleteSubscriptionFilterInput{LogGroupName: g, FilterName: aws.String("ship")})).ok(t)

	// Destinations.
	do(c.PutDestination(ctx, &cwlogs.PutDestinationInput{DestinationName: aws.String("central"), TargetArn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/all"),
		RoleArn: aws.String(lambdaRole(t, cfg, "cwl"))})).ok(t)
	do(c.PutDestinationPolicy(ctx, &cwlogs.PutDestinationPolicyInput{DestinationName: aws.String("central"),
		AccessPolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"logs:PutSubscriptionFilter","Resource":"*"}]}`)})).ok(t)
	do(c.DescribeDestinations(ctx, &cwlogs.DescribeDestinationsInput{})).ok(t)
	do(c.DeleteDestination(ctx, &cwlogs.DeleteDestinationInput{DestinationName: aws.String("central")})).ok(t)

	// Retention, KMS, data protection, resource policies, tags.
	do(c.PutRetentionPolicy(ctx, &cwlogs.PutRetentionPolicyInput{LogGroupName: g, RetentionInDays: aws.Int32(7)})).ok(t)
	do(c.DescribeLogGroups(ctx, &cwlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("shapes")})).ok(t)
	do(c.DeleteRetentionPolicy(ctx, &cwlogs.DeleteRetentionPolicyInput{LogGroupName: g})).ok(t)
	do(c.AssociateKmsKey(ctx, &cwlogs.AssociateKmsKeyInput{LogGroupName: g, KmsKeyId: aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")})).ok(t)
	do(c.DescribeLogGroups(ctx, &cwlogs.DescribeLogGroupsInput{LogGroupNamePrefix: g})).ok(t)
	do(c.DisassociateKmsKey(ctx, &cwlogs.DisassociateKmsKeyInput{LogGroupName: g})).ok(t)
	do(c.PutDataProtectionPolicy(ctx, &cwlogs.PutDataProtectionPolicyInput{LogGroupIdentifier: g, PolicyDocument: aws.String(dataProtectionPolicy)})).ok(t)
	do(c.GetDataProtectionPolicy(ctx, &cwlogs.GetDataProtectionPolicyInput{LogGroupIdentifier: g})).ok(t)
	do(c.DeleteDataProtectionPolicy(ctx, &cwlogs.DeleteDataProtectionPolicyInput{LogGroupIdentifier: g})).ok(t)
	do(c.PutResourcePolicy(ctx, &cwlogs.PutResourcePolicyInput{PolicyName: aws.String("route53"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}]}`)})).ok(t)
	do(c.DescribeResourcePolicies(ctx, &cwlogs.DescribeResourcePoliciesInput{})).ok(t)
	do(c.DeleteResourcePolicy(ctx, &cwlogs.DeleteResourcePolicyInput{PolicyName: aws.String("route53")})).ok(t)
	do(c.TagLogGroup(ctx, &cwlogs.TagLogGroupInput{LogGroupName: g, Tags: map[string]string{"k2": "v2"}})).ok(t)
	do(c.ListTagsLogGroup(ctx, &cwlogs.ListTagsLogGroupInput{LogGroupName: g})).ok(t)
	do(c.UntagLogGroup(ctx, &cwlogs.UntagLogGroupInput{LogGroupName: g, Tags: []string{"k2"}})).ok(t)
	do(c.TagResource(ctx, &cwlogs.TagResourceInput{ResourceArn: aws.String(groupArn), Tags: map[string]string{"k3": "v3"}})).ok(t)
	do(c.ListTagsForResource(ctx, &cwlogs.ListTagsForResourceInput{ResourceArn: aws.String(groupArn)})).ok(t)
	do(c.UntagResource(ctx, &cwlogs.UntagResourceInput{ResourceArn: aws.String(groupArn), TagKeys: []string{"k3"}})).ok(t)

	// Export to S3.
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	do(objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shapes-exports")})).ok(t)
	allowExports(t, objects, "shapes-exports")
	task := do(c.CreateExportTask(ctx, &cwlogs.CreateExportTaskInput{LogGroupName: g, From: aws.Int64(now.Add(-time.Hour).UnixMilli()), To: aws.Int64(now.UnixMilli()),
		Destination: aws.String("shapes-exports")})).ok(t)
	do(c.DescribeExportTasks(ctx, &cwlogs.DescribeExportTasksInput{})).ok(t)
	if _, err := c.CancelExportTask(ctx, &cwlogs.CancelExportTaskInput{TaskId: task.TaskId}); err != nil {
		t.Logf("CancelExportTask of a finished task: %v", err) // AWS refuses to cancel a task that is done
	}

	do(c.DeleteLogStream(ctx, &cwlogs.DeleteLogStreamInput{LogGroupName: g, LogStreamName: s})).ok(t)
	do(c.DeleteLogGroup(ctx, &cwlogs.DeleteLogGroupInput{LogGroupName: g})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "logs"), "CancelExportTask") // an export finishes at once
}

// logsModel is botocore's Logs model with the members AWS added after it
// that aws-sdk-go-v2 has (TestLogsNewerMembersAreInTheSDK).
func logsModel(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "logs")
	m.Newer = map[string][]string{"LogGroup": {"logGroupArn", "logGroupClass"}}
	return m
}

func TestLogsNewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, logsModel(t), map[string]reflect.Type{"LogGroup": reflect.TypeFor[logtypes.LogGroup]()})
}

// dataProtectionPolicy audits and masks e-mail addresses, the example of
// the PutDataProtectionPolicy API reference.
const dataProtectionPolicy = `{"Name":"data-protection-policy","Description":"","Version":"2021-06-01","Statement":[` +
	`{"Sid":"audit-policy","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"FindingsDestination":{}}}},` +
	`{"Sid":"redact-policy","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}`
