package dynamo

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// fakeClock is the lifecycle's clock in tests: it moves only when told,
// so a transition is observed without sleeping or racing a timer.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// clockEnv is an env whose tables take a minute of clock's time to change.
func clockEnv(t *testing.T, dir string, clock *fakeClock) *env {
	t.Helper()
	svc, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), TableDelay: time.Minute, clock: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	e := &env{dir: dir, svc: svc, url: cloudtest.Serve(t, svc.Route())}
	e.db = e.client(cloudtest.Account)
	return e
}

// wantError asserts an API error's code and exact message.
func wantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "got %v, want %s", err, code)
	assert.Equal(t, code, ae.ErrorCode())
	assert.Equal(t, msg, ae.ErrorMessage())
}

func tableStatus(t *testing.T, db *dynamodb.Client, name string) types.TableStatus {
	t.Helper()
	out, err := db.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	require.NoError(t, err)
	return out.Table.TableStatus
}

const notFound = "Requested resource not found"

// TestTableLifecycleTransitions follows a table through DynamoDB's
// statuses: CREATING (items refused as not found, changes refused as in
// use), ACTIVE, UPDATING with a backfilling GSI, DELETING, gone.
func TestTableLifecycleTransitions(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := clockEnv(t, t.TempDir(), clock)
	c := ctx(t)
	name := aws.String("life")
	key := item{"pk": s("a")}

	cr, err := e.db.CreateTable(c, &dynamodb.CreateTableInput{TableName: name, BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusCreating, cr.TableDescription.TableStatus)
	assert.Equal(t, types.TableStatusCreating, tableStatus(t, e.db, "life"))

	// Item operations on a CREATING table: not found, as on DynamoDB.
	_, err = e.db.PutItem(c, &dynamodb.PutItemInput{TableName: name, Item: key})
	wantError(t, err, "ResourceNotFoundException", notFound)
	_, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: name, Key: key})
	wantError(t, err, "ResourceNotFoundException", notFound)
	_, err = e.db.Scan(c, &dynamodb.ScanInput{TableName: name})
	wantError(t, err, "ResourceNotFoundException", notFound)
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: name, KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": s("a")}})
	wantError(t, err, "ResourceNotFoundException", notFound)
	_, err = e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"life": {{PutRequest: &types.PutRequest{Item: key}}}}})
	wantError(t, err, "ResourceNotFoundException", notFound)
	// Changes: in use.
	_, err = e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: name, BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: life")
	_, err = e.db.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: name})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: life")
	_, err = e.db.TagResource(c, &dynamodb.TagResourceInput{ResourceArn: cr.TableDescription.TableArn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: life")

	clock.Advance(time.Minute)
	assert.Equal(t, types.TableStatusActive, tableStatus(t, e.db, "life"))
	put(t, e.db, "life", item{"pk": s("a"), "g": s("x")})

	// A new GSI: the table UPDATING, the index CREATING and backfilling.
	up, err := e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: name,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("byG"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusUpdating, up.TableDescription.TableStatus)
	require.Len(t, up.TableDescription.GlobalSecondaryIndexes, 1)
	gsi := up.TableDescription.GlobalSecondaryIndexes[0]
	assert.Equal(t, types.IndexStatusCreating, gsi.IndexStatus)
	assert.Equal(t, aws.Bool(true), gsi.Backfilling)
	queryG := &dynamodb.QueryInput{TableName: name, IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("x")}}
	_, err = e.db.Query(c, queryG)
	wantError(t, err, "ValidationException", "Cannot read from backfilling global secondary index: byG")
	// The table serves items while UPDATING; changes wait.
	put(t, e.db, "life", item{"pk": s("b"), "g": s("x")})
	_, err = e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: name, DeletionProtectionEnabled: aws.Bool(false)})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being updated: life")
	_, err = e.db.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: name})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being updated: life")

	clock.Advance(time.Minute)
	d, err := e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: name})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusActive, d.Table.TableStatus)
	assert.Equal(t, types.IndexStatusActive, d.Table.GlobalSecondaryIndexes[0].IndexStatus)
	assert.Nil(t, d.Table.GlobalSecondaryIndexes[0].Backfilling)
	q, err := e.db.Query(c, queryG)
	require.NoError(t, err)
	assert.EqualValues(t, 2, q.Count)

	// DELETING: still described and listed, items and changes refused.
	del, err := e.db.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: name})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusDeleting, del.TableDescription.TableStatus)
	assert.Nil(t, del.TableDescription.GlobalSecondaryIndexes, "DeleteTable's answer has no GlobalSecondaryIndexes")
	assert.Equal(t, types.TableStatusDeleting, tableStatus(t, e.db, "life"))
	_, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: name, Key: key})
	wantError(t, err, "ResourceNotFoundException", notFound)
	// "If table is already in the DELETING state, no error is returned"
	// (DynamoDB API Reference, DeleteTable).
	again, err := e.db.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: name})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusDeleting, again.TableDescription.TableStatus)
	assert.Nil(t, again.TableDescription.GlobalSecondaryIndexes)
	_, err = e.db.CreateTable(c, &dynamodb.CreateTableInput{TableName: name, BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	wantError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being deleted: life")
	lt, err := e.db.ListTables(c, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"life"}, lt.TableNames)

	clock.Advance(time.Minute)
	_, err = e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: name})
	wantError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: life not found")
	lt, err = e.db.ListTables(c, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Empty(t, lt.TableNames)
}

// TestTableCreatingSurvivesRestart: a table CREATING when the service
// stops is still there after a restart, CREATING until its time is up,
// then ACTIVE.
func TestTableCreatingSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := clockEnv(t, dir, clock)
	_, err := e.db.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String("restart"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	require.NoError(t, err)
	require.NoError(t, e.svc.Close())

	e = clockEnv(t, dir, clock)
	assert.Equal(t, types.TableStatusCreating, tableStatus(t, e.db, "restart"))
	_, err = e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("restart"), Item: item{"pk": s("a")}})
	wantError(t, err, "ResourceNotFoundException", notFound)
	clock.Advance(time.Minute)
	assert.Equal(t, types.TableStatusActive, tableStatus(t, e.db, "restart"))
	put(t, e.db, "restart", item{"pk": s("a")})
}

// TestTableLifecycleRealClock: with the real clock and a delay, a learner's
// script that waits as AWS tells it to (the SDK's waiters) works: the
// table is CREATING at first and the waiters see it through.
func TestTableLifecycleRealClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := &dynamodb.CreateTableInput{TableName: aws.String("waited"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}
	out, err := e.db.CreateTable(ctx(t), in)
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusCreating, out.TableDescription.TableStatus)
	assert.Equal(t, types.TableStatusActive, cloudtest.WaitTable(t, e.db, "waited").TableStatus)
	put(t, e.db, "waited", item{"pk": s("a")})
	del, err := e.db.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("waited")})
	require.NoError(t, err)
	assert.Equal(t, types.TableStatusDeleting, del.TableDescription.TableStatus)
	cloudtest.WaitTableGone(t, e.db, "waited")
	// The name is free again once the table is gone.
	cloudtest.CreateTable(t, e.db, in)
}
