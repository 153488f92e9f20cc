package localcloud_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestDynamoDBStreamsResponsesMatchBotocoreShapes drives the four DynamoDB
// Streams operations through the SDK over a table whose items were put,
// updated and deleted, and holds every answer to botocore's output shape
// for its operation (DynamoDB's own operations have
// localcloud/dynamo's TestResponsesMatchBotocoreShapes).
func TestDynamoDBStreamsResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "dynamodbstreams")
	cfg := sdkConfig(startCloud(t))
	rcfg, rec := recording(cfg)
	ctx := context.Background()
	db := dynamodb.NewFromConfig(cfg)
	c := dynamodbstreams.NewFromConfig(rcfg)

	table := do(db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("shapes"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages}})).ok(t)
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("shapes")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "a"}}
	do(db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shapes"), Item: map[string]ddbtypes.AttributeValue{
		"pk": &ddbtypes.AttributeValueMemberS{Value: "a"}, "n": &ddbtypes.AttributeValueMemberN{Value: "1"},
		"l": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberBOOL{Value: true}, &ddbtypes.AttributeValueMemberB{Value: []byte{1}}}}}})).ok(t)
	do(db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("shapes"), Key: key, UpdateExpression: aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": &ddbtypes.AttributeValueMemberN{Value: "2"}}})).ok(t)
	do(db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("shapes"), Key: key})).ok(t)

	arn := table.TableDescription.LatestStreamArn
	do(c.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{})).ok(t)
	do(c.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("shapes")})).ok(t)
	d := do(c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})).ok(t)
	if len(d.StreamDescription.Shards) == 0 {
		t.Fatal("the stream has no shard")
	}
	it := do(c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: d.StreamDescription.Shards[0].ShardId,
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})).ok(t)
	recs := do(c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})).ok(t)
	if len(recs.Records) != 3 {
		t.Errorf("got %d records, want 3 (insert, modify, remove)", len(recs.Records))
	}

	verifyShapes(t, m, rec.Calls(), served(m, "dynamodbstreams"))
}
