package logs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestResourcePolicies: put replaces by name, ten per account and region
// at most (AWS's quota), a missing one is named in the error.
func TestResourcePolicies(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}]}`
	for i := range 10 {
		out, err := c.PutResourcePolicy(ctx, &cwl.PutResourcePolicyInput{PolicyName: aws.String("p" + strconv.Itoa(i)), PolicyDocument: aws.String(doc)})
		require.NoError(t, err)
		assert.Equal(t, doc, aws.ToString(out.ResourcePolicy.PolicyDocument))
		assert.NotZero(t, aws.ToInt64(out.ResourcePolicy.LastUpdatedTime))
	}
	_, err := c.PutResourcePolicy(ctx, &cwl.PutResourcePolicyInput{PolicyName: aws.String("p0"), PolicyDocument: aws.String(doc)})
	require.NoError(t, err, "replacing by name")
	_, err = c.PutResourcePolicy(ctx, &cwl.PutResourcePolicyInput{PolicyName: aws.String("p10"), PolicyDocument: aws.String(doc)})
	var lim *types.LimitExceededException
	require.ErrorAs(t, err, &lim)
	_, err = c.PutResourcePolicy(ctx, &cwl.PutResourcePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String("{nope")})
	var inv *types.InvalidParameterException
	require.ErrorAs(t, err, &inv)
	list, err := c.DescribeResourcePolicies(ctx, &cwl.DescribeResourcePoliciesInput{})
	require.NoError(t, err)
	assert.Len(t, list.ResourcePolicies, 10)
	_, err = c.DeleteResourcePolicy(ctx, &cwl.DeleteResourcePolicyInput{PolicyName: aws.String("p3")})
	require.NoError(t, err)
	_, err = c.DeleteResourcePolicy(ctx, &cwl.DeleteResourcePolicyInput{PolicyName: aws.String("p3")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "Policy with name [p3] does not exist", nf.ErrorMessage())
}

func TestDestinations(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	d, err := c.PutDestination(ctx, &cwl.PutDestinationInput{DestinationName: aws.String("central"),
		TargetArn: aws.String("arn:aws:kinesis:us-east-1:" + cloudtest.Account + ":stream/all"), RoleArn: aws.String("arn:aws:iam::" + cloudtest.Account + ":role/cwl")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:logs:us-east-1:"+cloudtest.Account+":destination:central", aws.ToString(d.Destination.Arn))
	_, err = c.PutDestinationPolicy(ctx, &cwl.PutDestinationPolicyInput{DestinationName: aws.String("central"), AccessPolicy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	require.NoError(t, err)
	_, err = c.PutDestinationPolicy(ctx, &cwl.PutDestinationPolicyInput{DestinationName: aws.String("none"), AccessPolicy: aws.String(`{}`)})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	list, err := c.DescribeDestinations(ctx, &cwl.DescribeDestinationsInput{DestinationNamePrefix: aws.String("cen")})
	require.NoError(t, err)
	require.Len(t, list.Destinations, 1)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[]}`, aws.ToString(list.Destinations[0].AccessPolicy))
	_, err = c.DeleteDestination(ctx, &cwl.DeleteDestinationInput{DestinationName: aws.String("central")})
	require.NoError(t, err)
	_, err = c.DeleteDestination(ctx, &cwl.DeleteDestinationInput{DestinationName: aws.String("central")})
	require.ErrorAs(t, err, &nf)
}

func TestQueryDefinitions(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	var ids []string
	for _, n := range []string{"errors/by-day", "errors/latest", "slow"} {
		out, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String(n), QueryString: aws.String("fields @message"),
			LogGroupNames: []string{"/app"}})
		require.NoError(t, err)
		ids = append(ids, aws.ToString(out.QueryDefinitionId))
	}
	_, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("/bad"), QueryString: aws.String("fields @message")})
	var inv *types.InvalidParameterException
	require.ErrorAs(t, err, &inv)
	_, err = c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("slow"), QueryString: aws.String("x"), QueryDefinitionId: aws.String("00000000-0000-0000-0000-000000000000")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	_, err = c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("slow2"), QueryString: aws.String("stats count()"), QueryDefinitionId: aws.String(ids[2])})
	require.NoError(t, err)
	page, err := c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("errors/"), MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.QueryDefinitions, 1)
	assert.Equal(t, "errors/by-day", aws.ToString(page.QueryDefinitions[0].Name))
	page, err = c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("errors/"), NextToken: page.NextToken})
	require.NoError(t, err)
	require.Len(t, page.QueryDefinitions, 1)
	assert.Equal(t, "errors/latest", aws.ToString(page.QueryDefinitions[0].Name))
	assert.Nil(t, page.NextToken)
	all, err := c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("slow")})
	require.NoError(t, err)
	require.Len(t, all.QueryDefinitions, 1)
	assert.Equal(t, "stats count()", aws.ToString(all.QueryDefinitions[0].QueryString))
	del, err := c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: aws.String(ids[0])})
	require.NoError(t, err)
	assert.True(t, del.Success)
	_, err = c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: aws.String(ids[0])})
	require.ErrorAs(t, err, &nf)
}

// TestInsightsRecordsAndFields: a query result's @ptr opens its record
// with GetLogRecord; DescribeQueries lists the query; GetLogGroupFields
// gives each discovered field's share of recent events.
func TestInsightsRecordsAndFields(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "/app", "s")
	now := time.Now()
	_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		{Timestamp: aws.Int64(now.UnixMilli() - 1), Message: aws.String(`{"level":"ERROR","ms":12}`)},
		{Timestamp: aws.Int64(now.UnixMilli()), Message: aws.String("plain text")}}})
	require.NoError(t, err)
	q, err := c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/app"), StartTime: aws.Int64(now.Add(-time.Hour).Unix()),
		EndTime: aws.Int64(now.Add(time.Minute).Unix()), QueryString: aws.String("filter level = 'ERROR'")})
	require.NoError(t, err)
	res, err := c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: q.QueryId})
	require.NoError(t, err)
	require.Len(t, res.Results, 1)
	var ptr string
	for _, f := range res.Results[0] {
		if aws.ToString(f.Field) == "@ptr" {
			ptr = aws.ToString(f.Value)
		}
	}
	rec, err := c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String(ptr)})
	require.NoError(t, err)
	assert.Equal(t, "ERROR", rec.LogRecord["level"])
	assert.Equal(t, "12", rec.LogRecord["ms"])
	assert.Equal(t, "s", rec.LogRecord["@logStream"])
	assert.Equal(t, cloudtest.Account+":/app", rec.LogRecord["@log"])
	_, err = c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String("999999")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)

	qs, err := c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{LogGroupName: aws.String("/app")})
	require.NoError(t, err)
	require.Len(t, qs.Queries, 1)
	assert.Equal(t, aws.ToString(q.QueryId), aws.ToString(qs.Queries[0].QueryId))
	assert.Equal(t, types.QueryStatusComplete, qs.Queries[0].Status)
	assert.Equal(t, "filter level = 'ERROR'", aws.ToString(qs.Queries[0].QueryString))

	fields, err := c.GetLogGroupFields(ctx, &cwl.GetLogGroupFieldsInput{LogGroupName: aws.String("/app")})
	require.NoError(t, err)
	got := map[string]int32{}
	for _, f := range fields.LogGroupFields {
		got[aws.ToString(f.Name)] = f.Percent
	}
	assert.Equal(t, map[string]int32{"@ingestionTime": 100, "@log": 100, "@logStream": 100, "@message": 100, "@timestamp": 100, "level": 50, "ms": 50}, got)
}

// TestAssociateKmsKey: the key shows in DescribeLogGroups until it is
// disassociated; a missing group is ResourceNotFound.
func TestAssociateKmsKey(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "g")
	key := "arn:aws:kms:us-east-1:" + cloudtest.Account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	_, err := c.AssociateKmsKey(ctx, &cwl.AssociateKmsKeyInput{LogGroupName: aws.String("g"), KmsKeyId: aws.String(key)})
	require.NoError(t, err)
	out, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	require.NoError(t, err)
	assert.Equal(t, key, aws.ToString(out.LogGroups[0].KmsKeyId))
	_, err = c.DisassociateKmsKey(ctx, &cwl.DisassociateKmsKeyInput{LogGroupName: aws.String("g")})
	require.NoError(t, err)
	out, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	require.NoError(t, err)
	assert.Nil(t, out.LogGroups[0].KmsKeyId)
	_, err = c.AssociateKmsKey(ctx, &cwl.AssociateKmsKeyInput{LogGroupName: aws.String("none"), KmsKeyId: aws.String(key)})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
}

// TestExportTasksNeedABucket: with no S3 in the local cloud no bucket
// exists; CreateExportTask checks the request and the group first, then
// answers AWS's missing-bucket error, and no task is ever listed.
func TestExportTasksNeedABucket(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "/app")
	tests := []struct {
		name, group string
		from, to    int64
		wantNF      bool
		want        string
	}{
		{"reversed range", "/app", 10, 5, false, "Specified time range of '10' and '5' is not valid. Please make sure the values are within the retention period of the log group and from value is less than the to values"},
		{"missing group", "/none", 0, 5, true, "The specified log group does not exist."},
		{"no bucket", "/app", 0, 5, false, "The given bucket does not exist. Please make sure the bucket is valid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateExportTask(ctx, &cwl.CreateExportTaskInput{LogGroupName: aws.String(tt.group), From: aws.Int64(tt.from), To: aws.Int64(tt.to),
				Destination: aws.String("my-exports")})
			if tt.wantNF {
				var nf *types.ResourceNotFoundException
				require.ErrorAs(t, err, &nf)
				assert.Equal(t, tt.want, nf.ErrorMessage())
				return
			}
			var inv *types.InvalidParameterException
			require.ErrorAs(t, err, &inv)
			assert.Equal(t, tt.want, inv.ErrorMessage())
		})
	}
	list, err := c.DescribeExportTasks(ctx, &cwl.DescribeExportTasksInput{})
	require.NoError(t, err)
	assert.Empty(t, list.ExportTasks)
	_, err = c.CancelExportTask(ctx, &cwl.CancelExportTaskInput{TaskId: aws.String("a1b2c3")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
}

// TestListLogGroups: summaries in name order, filtered by a regular
// expression and class, paged by limit.
func TestListLogGroups(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	for _, n := range []string{"/aws/lambda/orders", "/aws/lambda/payments", "/app/web"} {
		mustGroup(t, c, n)
	}
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/archive"), LogGroupClass: types.LogGroupClassInfrequentAccess})
	require.NoError(t, err)
	names := func(out *cwl.ListLogGroupsOutput) []string {
		var n []string
		for _, g := range out.LogGroups {
			n = append(n, aws.ToString(g.LogGroupName))
		}
		return n
	}
	out, err := c.ListLogGroups(ctx, &cwl.ListLogGroupsInput{LogGroupNamePattern: aws.String("^/aws/lambda"), Limit: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, []string{"/aws/lambda/orders"}, names(out))
	assert.Equal(t, "arn:aws:logs:us-east-1:"+cloudtest.Account+":log-group:/aws/lambda/orders", aws.ToString(out.LogGroups[0].LogGroupArn))
	out, err = c.ListLogGroups(ctx, &cwl.ListLogGroupsInput{LogGroupNamePattern: aws.String("^/aws/lambda"), NextToken: out.NextToken})
	require.NoError(t, err)
	assert.Equal(t, []string{"/aws/lambda/payments"}, names(out))
	assert.Nil(t, out.NextToken)
	out, err = c.ListLogGroups(ctx, &cwl.ListLogGroupsInput{LogGroupClass: types.LogGroupClassInfrequentAccess})
	require.NoError(t, err)
	assert.Equal(t, []string{"/archive"}, names(out))
	_, err = c.ListLogGroups(ctx, &cwl.ListLogGroupsInput{LogGroupNamePattern: aws.String("a(")})
	var inv *types.InvalidParameterException
	require.ErrorAs(t, err, &inv)
}
