package dynamo

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// The expected messages in this file are DynamoDB's, as the newest version
// of a public conformance suite run against real DynamoDB records them
// (and issue 15's notes); none is copied from this package's output.

const (
	ad1 = `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}]`
	ad2 = `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}]`
	ks1 = `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"}]`
	ks2 = `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}]`
	pt1 = `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`
)

func tableJSON(parts ...string) string { return `{"TableName":"abc",` + strings.Join(parts, ",") + `}` }

func lsi(indexes ...string) string {
	return `"LocalSecondaryIndexes":[` + strings.Join(indexes, ",") + `]`
}
func gsi(indexes ...string) string {
	return `"GlobalSecondaryIndexes":[` + strings.Join(indexes, ",") + `]`
}

func indexJSON(name, keys, projection string, extra ...string) string {
	return `{"IndexName":"` + name + `","KeySchema":[` + keys + `],"Projection":` + projection + strings.Join(extra, "") + `}`
}

const (
	hashA  = `{"AttributeName":"a","KeyType":"HASH"}`
	hashB  = `{"AttributeName":"b","KeyType":"HASH"}`
	rangeB = `{"AttributeName":"b","KeyType":"RANGE"}`
	rangeC = `{"AttributeName":"c","KeyType":"RANGE"}`
	all    = `{"ProjectionType":"ALL"}`
)

// TestCreateTableChecksInDynamoDBsOrder: each request breaks one rule (and
// sometimes a later one too, which must not be the one reported).
func TestCreateTableChecksInDynamoDBsOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invalid := "One or more parameter values were invalid: "
	for _, c := range []struct{ body, msg string }{
		{tableJSON(ad1, ks1, `"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}`),
			"Given value 1000000000001 for ReadCapacityUnits is out of bounds"},
		{tableJSON(ad1, ks1, `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1000000000001}`),
			"Given value 1000000000001 for WriteCapacityUnits is out of bounds"},
		{tableJSON(ad1, ks1, `"BillingMode":"PAY_PER_REQUEST"`, pt1),
			invalid + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{tableJSON(ad1, ks1), invalid + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{tableJSON(ad1, `"KeySchema":[`+hashA+`,`+rangeB+`]`, pt1), "Invalid KeySchema: Some index key attribute have no definition"},
		{tableJSON(ad2, `"KeySchema":[{"AttributeName":"c","KeyType":"HASH"},`+rangeB+`]`, pt1),
			invalid + "Some index key attributes are not defined in AttributeDefinitions. Keys: [c, b], AttributeDefinitions: [a, b]"},
		{tableJSON(ad2, `"KeySchema":[`+hashA+`,{"AttributeName":"a","KeyType":"RANGE"}]`, pt1), "Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{tableJSON(ad2, `"KeySchema":[{"AttributeName":"a","KeyType":"RANGE"},`+hashB+`]`, pt1), "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{tableJSON(ad2, `"KeySchema":[`+hashA+`,`+hashB+`]`, pt1), "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"},
		{tableJSON(ad2, ks1, pt1), invalid + "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		// Local indexes: the list, the table's range key, then each index.
		{tableJSON(ad1, ks1, pt1, lsi()), invalid + "List of LocalSecondaryIndexes is empty"},
		{tableJSON(ad2, ks1, pt1, lsi(indexJSON("abc", hashA+`,`+rangeB, all))), invalid + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashA+`,`+rangeC, all))),
			invalid + "Some index key attributes are not defined in AttributeDefinitions. Keys: [a, c], AttributeDefinitions: [a, b]"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashA, all))), invalid + "Index KeySchema does not have a range key for index: abc"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashB+`,{"AttributeName":"a","KeyType":"RANGE"}`, all))),
			invalid + "Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: b, table hash key: a"},
		// issue 15: an empty projection is refused.
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashA+`,`+rangeB, `{}`))), invalid + "Unknown ProjectionType: null"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashA+`,`+rangeB, `{"ProjectionType":"KEYS_ONLY","NonKeyAttributes":["c"]}`))),
			invalid + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("abc", hashA+`,`+rangeB, all), indexJSON("abc", hashA+`,`+rangeB, all))), invalid + "Duplicate index name: abc"},
		{tableJSON(ad2, ks2, pt1, lsi(indexJSON("ab1", hashA+`,`+rangeB, all), indexJSON("ab2", hashA+`,`+rangeB, all), indexJSON("ab3", hashA+`,`+rangeB, all),
			indexJSON("ab4", hashA+`,`+rangeB, all), indexJSON("ab5", hashA+`,`+rangeB, all), indexJSON("ab6", hashA+`,`+rangeB, all))),
			invalid + "Number of LocalSecondaryIndexes exceeds per-table limit of 5"},
		// Global indexes.
		{tableJSON(ad1, ks1, pt1, gsi()), invalid + "List of GlobalSecondaryIndexes is empty"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", `{"AttributeName":"c","KeyType":"HASH"}`, all, `,`+pt1))),
			invalid + "Some index key attributes are not defined in AttributeDefinitions. Keys: [c], AttributeDefinitions: [a, b]"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", hashB+`,`+rangeB, all, `,`+pt1))), "Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", rangeB, all, `,`+pt1))), "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", hashB, `{}`, `,`+pt1))), invalid + "Unknown ProjectionType: null"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", hashB, `{"ProjectionType":"ALL","NonKeyAttributes":["c"]}`, `,`+pt1))),
			invalid + "ProjectionType is ALL, but NonKeyAttributes is specified"},
		{tableJSON(ad2, ks1, `"BillingMode":"PAY_PER_REQUEST"`, gsi(indexJSON("abc", hashB, all, `,`+pt1))),
			invalid + "ProvisionedThroughput should not be specified for index: abc when BillingMode is PAY_PER_REQUEST"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", hashB, all, `,"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1}`))),
			"Given value 1000000000001 for ReadCapacityUnits is out of bounds for index abc"},
		{tableJSON(ad2, ks1, pt1, gsi(indexJSON("abc", hashB, all, `,`+pt1), indexJSON("abc", hashB, all, `,`+pt1))), invalid + "Duplicate index name: abc"},
	} {
		wantBody(t, e.svc, "CreateTable", c.body, validation(c.msg))
	}
	// None of them made the table.
	wantBody(t, e.svc, "DescribeTable", `{"TableName":"abc"}`,
		map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found: Table: abc not found"})
}

// TestUpdateTableChecks: the request is checked before the table is looked
// up ("abc" does not exist); an unchanged throughput after.
func TestUpdateTableChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invalid := "One or more parameter values were invalid: "
	for _, c := range []struct{ body, msg string }{
		{`{"TableName":"abc"}`, "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"},
		{`{"TableName":"abc","GlobalSecondaryIndexUpdates":[]}`, "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"},
		{`{"TableName":"abc","BillingMode":"PROVISIONED"}`, invalid + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"},
		{`{"TableName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}}`, "Given value 1000000000001 for ReadCapacityUnits is out of bounds"},
		{`{"TableName":"abc","GlobalSecondaryIndexUpdates":[{}]}`, invalid + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"},
		{`{"TableName":"abc","GlobalSecondaryIndexUpdates":[{},{},{},{},{},{}]}`, invalid + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"},
		{`{"TableName":"abc","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}},{"Delete":{"IndexName":"abc"}}]}`, invalid + "Only one global secondary index update per index is allowed simultaneously. Index: abc"},
	} {
		wantBody(t, e.svc, "UpdateTable", c.body, validation(c.msg))
	}
	// An index's throughput is no request check: without the table, the
	// table is not found (dynalite's test/updateTable.js, recorded from
	// DynamoDB).
	for _, tp := range []string{`"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001`, `"ReadCapacityUnits":1000000000000,"WriteCapacityUnits":1000000000001`} {
		wantBody(t, e.svc, "UpdateTable", `{"TableName":"abc","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{`+tp+`}}}]}`,
			map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found: Table: abc not found"})
	}
	cloudtest.CreateTable(t, e.db, &dynamodb.CreateTableInput{TableName: aws.String("prov"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("a"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("a"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(10), WriteCapacityUnits: aws.Int64(5)}})
	wantBody(t, e.svc, "UpdateTable", `{"TableName":"prov","ProvisionedThroughput":{"ReadCapacityUnits":10,"WriteCapacityUnits":5}}`, validation(
		"The provisioned throughput for the table will not change. The requested value equals the current value. "+
			"Current ReadCapacityUnits provisioned for the table: 10. Requested ReadCapacityUnits: 10. "+
			"Current WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. "+
			"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."))
	// With the table found: more than one index created or deleted is over
	// the limit before any index is looked up, then an index's throughput
	// out of bounds is blocked, whether the index exists or not.
	limit := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#LimitExceededException",
		"message": "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"}
	blocked := validation("This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate")
	for _, c := range []struct {
		body string
		want map[string]any
	}{
		{`{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}},{"Delete":{"IndexName":"abd"}},{"Delete":{"IndexName":"abe"}},{"Delete":{"IndexName":"abf"}},{"Delete":{"IndexName":"abg"}},{"Delete":{"IndexName":"abh"}}]}`, limit},
		{`{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}},{"Delete":{"IndexName":"abd"}}]}`, limit},
		{`{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}}}]}`, blocked},
		{`{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":1000000000000,"WriteCapacityUnits":1000000000001}}}]}`, blocked},
	} {
		wantBody(t, e.svc, "UpdateTable", c.body, c.want)
	}
	_, err := e.db.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("prov"),
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(11), WriteCapacityUnits: aws.Int64(5)}})
	if err != nil {
		t.Fatalf("a real change: %v", err)
	}
}

// TestTagRequestChecks: the tagging operations answer with DynamoDB's own
// checks, not the model's constraints.
func TestTagRequestChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	denied := func(op, resource string) map[string]any {
		return map[string]any{"__type": "com.amazon.coral.service#AccessDeniedException",
			"Message": "User: arn:aws:iam::" + cloudtest.Account + ":root is not authorized to perform: dynamodb:" + op + " on resource: " + resource}
	}
	arn := "arn:aws:dynamodb:us-east-1:" + cloudtest.Account + ":table/"
	for _, op := range []string{"TagResource", "UntagResource", "ListTagsOfResource"} {
		wantBody(t, e.svc, op, `{}`, validation("Invalid TableArn"))
		wantBody(t, e.svc, op, `{"ResourceArn":""}`, denied(op, "*"))
		wantBody(t, e.svc, op, `{"ResourceArn":"abcd"}`, denied(op, "abcd"))
		wantBody(t, e.svc, op, `{"ResourceArn":"a:b:c:d:e:f"}`, denied(op, "a:b:c:d:e:f"))
		wantBody(t, e.svc, op, `{"ResourceArn":"a:b:c:d:e/f"}`, denied(op, "a:b:c:d:e/f"))
	}
	wantBody(t, e.svc, "TagResource", `{"ResourceArn":"a:b:c:d:e:f/g"}`, validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"))
	wantBody(t, e.svc, "UntagResource", `{"ResourceArn":"a:b:c:d:e:f/g"}`, validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"))
	wantBody(t, e.svc, "TagResource", `{"ResourceArn":"a:b:c:d:e:f/g","Tags":[]}`, validation("Invalid TableArn: Invalid ResourceArn provided as input a:b:c:d:e:f/g"))
	wantBody(t, e.svc, "ListTagsOfResource", `{"ResourceArn":"`+arn+`ab"}`, validation("Invalid TableArn: Invalid ResourceArn provided as input "+arn+"ab"))
	wantBody(t, e.svc, "TagResource", `{"ResourceArn":"`+arn+`abcd","Tags":[]}`, validation("Atleast one Tag needs to be provided as Input."))
	wantBody(t, e.svc, "UntagResource", `{"ResourceArn":"`+arn+`abcd","TagKeys":[]}`, validation("Atleast one Tag Key needs to be provided as Input."))
	notFound := func(msg string) map[string]any {
		return map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": msg}
	}
	wantBody(t, e.svc, "TagResource", `{"ResourceArn":"`+arn+`abcd","Tags":[{"Key":"a","Value":"b"}]}`, notFound("Requested resource not found: ResourcArn: "+arn+"abcd not found"))
	wantBody(t, e.svc, "UntagResource", `{"ResourceArn":"`+arn+`abcd","TagKeys":["a"]}`, notFound("Requested resource not found"))
	wantBody(t, e.svc, "ListTagsOfResource", `{"ResourceArn":"`+arn+`abcd"}`, notFound("Requested resource not found: ResourcArn: "+arn+"abcd not found"))
}

// TestKeyValueMessages: an empty key value in a Key parameter and in an
// item are worded differently; BatchWriteItem words an item's missing or
// mistyped key as a Key's mismatch.
func TestKeyValueMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "kvt", withRange("sk", types.ScalarAttributeTypeB))
	keyEmpty := "One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
	for _, c := range []struct{ op, body, msg string }{
		{"GetItem", `{"TableName":"kvt","Key":{"pk":{"S":""},"sk":{"B":"YQ=="}}}`, keyEmpty},
		{"DeleteItem", `{"TableName":"kvt","Key":{"pk":{"S":""},"sk":{"B":"YQ=="}}}`, keyEmpty},
		{"UpdateItem", `{"TableName":"kvt","Key":{"pk":{"S":""},"sk":{"B":"YQ=="}}}`, keyEmpty},
		{"GetItem", `{"TableName":"kvt","Key":{"pk":{"S":"a"},"sk":{"B":""}}}`,
			"One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk"},
		{"BatchGetItem", `{"RequestItems":{"kvt":{"Keys":[{"pk":{"S":""},"sk":{"B":"YQ=="}}]}}}`, keyEmpty},
		{"PutItem", `{"TableName":"kvt","Item":{"pk":{"S":""},"sk":{"B":"YQ=="}}}`,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"BatchWriteItem", `{"RequestItems":{"kvt":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}}]}}`, "The provided key element does not match the schema"},
		{"BatchWriteItem", `{"RequestItems":{"kvt":[{"PutRequest":{"Item":{"pk":{"N":"1"},"sk":{"B":"YQ=="}}}}]}}`, "The provided key element does not match the schema"},
	} {
		wantBody(t, e.svc, c.op, c.body, validation(c.msg))
	}
}

// TestCreateTableDescriptionExactly: a basic provisioned table's
// TableDescription holds exactly what DynamoDB's does, as a public
// conformance suite compares it whole (ids, times and ARNs aside): no
// BillingModeSummary for a table that never changed mode, no
// DeletionProtectionEnabled while it is off.
func TestCreateTableDescriptionExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, out := call(e.svc, "DynamoDB_20120810.CreateTable", []byte(`{"TableName":"exact",`+ad1+`,`+ks1+`,`+pt1+`}`))
	require.Equal(t, 200, code, "%s", out)
	var got struct{ TableDescription map[string]any }
	require.NoError(t, json.Unmarshal(out, &got))
	d := got.TableDescription
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`, d["TableId"])
	assert.Equal(t, "arn:aws:dynamodb:us-east-1:"+cloudtest.Account+":table/exact", d["TableArn"])
	assert.IsType(t, float64(0), d["CreationDateTime"])
	for _, k := range []string{"TableId", "TableArn", "CreationDateTime"} {
		delete(d, k)
	}
	assert.Equal(t, map[string]any{
		"TableName":             "exact",
		"AttributeDefinitions":  []any{map[string]any{"AttributeName": "a", "AttributeType": "S"}},
		"KeySchema":             []any{map[string]any{"AttributeName": "a", "KeyType": "HASH"}},
		"ProvisionedThroughput": map[string]any{"ReadCapacityUnits": float64(1), "WriteCapacityUnits": float64(1), "NumberOfDecreasesToday": float64(0)},
		"ItemCount":             float64(0),
		"TableSizeBytes":        float64(0),
		"TableStatus":           "CREATING",
	}, d)
}

// TestThroughputChangeLifecycle: UpdateTable answers UPDATING with the old
// throughput and when the change was asked; once ACTIVE the new values, a
// later Last*DateTime and, for a decrease, NumberOfDecreasesToday + 1 (the
// lifecycle DynamoDB shows, as the conformance suite records it).
func TestThroughputChangeLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, out := call(e.svc, "DynamoDB_20120810.CreateTable", []byte(`{"TableName":"thr",`+ad1+`,`+ks1+`,"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}`))
	require.Equal(t, 200, code, "%s", out)
	waitActive(t, e.url, "thr")
	type pt struct {
		ReadCapacityUnits, WriteCapacityUnits, NumberOfDecreasesToday float64
		LastIncreaseDateTime, LastDecreaseDateTime                    *float64
	}
	describe := func() pt {
		_, out := call(e.svc, "DynamoDB_20120810.DescribeTable", []byte(`{"TableName":"thr"}`))
		var d struct {
			Table struct{ ProvisionedThroughput pt }
		}
		require.NoError(t, json.Unmarshal(out, &d))
		return d.Table.ProvisionedThroughput
	}
	update := func(r, w int) (string, pt) {
		code, out := call(e.svc, "DynamoDB_20120810.UpdateTable", []byte(fmt.Sprintf(`{"TableName":"thr","ProvisionedThroughput":{"ReadCapacityUnits":%d,"WriteCapacityUnits":%d}}`, r, w)))
		require.Equal(t, 200, code, "%s", out)
		var d struct {
			TableDescription struct {
				TableStatus           string
				ProvisionedThroughput pt
			}
		}
		require.NoError(t, json.Unmarshal(out, &d))
		return d.TableDescription.TableStatus, d.TableDescription.ProvisionedThroughput
	}
	before := float64(time.Now().Add(-5*time.Second).UnixMilli()) / 1000
	status, up := update(10, 5)
	assert.Equal(t, "UPDATING", status)
	assert.Equal(t, [3]float64{5, 5, 0}, [3]float64{up.ReadCapacityUnits, up.WriteCapacityUnits, up.NumberOfDecreasesToday}, "the old values while UPDATING")
	require.NotNil(t, up.LastIncreaseDateTime)
	assert.GreaterOrEqual(t, *up.LastIncreaseDateTime, before)
	assert.Nil(t, up.LastDecreaseDateTime)
	waitActive(t, e.url, "thr")
	after := describe()
	assert.Equal(t, [3]float64{10, 5, 0}, [3]float64{after.ReadCapacityUnits, after.WriteCapacityUnits, after.NumberOfDecreasesToday})
	require.NotNil(t, after.LastIncreaseDateTime)
	assert.Greater(t, *after.LastIncreaseDateTime, *up.LastIncreaseDateTime)

	status, down := update(1, 5)
	assert.Equal(t, "UPDATING", status)
	assert.Equal(t, [3]float64{10, 5, 0}, [3]float64{down.ReadCapacityUnits, down.WriteCapacityUnits, down.NumberOfDecreasesToday})
	require.NotNil(t, down.LastDecreaseDateTime)
	waitActive(t, e.url, "thr")
	after = describe()
	assert.Equal(t, [3]float64{1, 5, 1}, [3]float64{after.ReadCapacityUnits, after.WriteCapacityUnits, after.NumberOfDecreasesToday})
	assert.Greater(t, *after.LastDecreaseDateTime, *down.LastDecreaseDateTime)
}

// TestIndexThroughputChangeLifecycle: a global index whose throughput
// changes is UPDATING ("The index is being updated", IndexStatus in the
// API reference) and shows its old values and when the change was asked,
// as a table does, until the change takes effect.
func TestIndexThroughputChangeLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gsi := `"GlobalSecondaryIndexes":[{"IndexName":"byb","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}]`
	code, out := call(e.svc, "DynamoDB_20120810.CreateTable", []byte(`{"TableName":"gthr","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}],`+ks1+`,"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5},`+gsi+`}`))
	require.Equal(t, 200, code, "%s", out)
	waitActive(t, e.url, "gthr")
	type index struct {
		IndexStatus           string
		ProvisionedThroughput struct {
			ReadCapacityUnits, WriteCapacityUnits, NumberOfDecreasesToday float64
			LastIncreaseDateTime, LastDecreaseDateTime                    *float64
		}
	}
	parse := func(out []byte, member string) index {
		var d map[string]struct{ GlobalSecondaryIndexes []index }
		require.NoError(t, json.Unmarshal(out, &d), "%s", out)
		require.Len(t, d[member].GlobalSecondaryIndexes, 1, "%s", out)
		return d[member].GlobalSecondaryIndexes[0]
	}
	for _, step := range []struct {
		rcu, wcu           int
		old, new           [3]float64 // read, write, decreases
		increase, decrease bool
	}{
		{rcu: 10, wcu: 5, old: [3]float64{5, 5, 0}, new: [3]float64{10, 5, 0}, increase: true},
		{rcu: 10, wcu: 1, old: [3]float64{10, 5, 0}, new: [3]float64{10, 1, 1}, decrease: true},
	} {
		code, out := call(e.svc, "DynamoDB_20120810.UpdateTable", []byte(fmt.Sprintf(`{"TableName":"gthr","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"byb","ProvisionedThroughput":{"ReadCapacityUnits":%d,"WriteCapacityUnits":%d}}}]}`, step.rcu, step.wcu)))
		require.Equal(t, 200, code, "%s", out)
		during := parse(out, "TableDescription")
		assert.Equal(t, "UPDATING", during.IndexStatus)
		p := during.ProvisionedThroughput
		assert.Equal(t, step.old, [3]float64{p.ReadCapacityUnits, p.WriteCapacityUnits, p.NumberOfDecreasesToday}, "the old values while UPDATING")
		if step.increase {
			assert.NotNil(t, p.LastIncreaseDateTime, "the increase asked")
		}
		if step.decrease {
			assert.NotNil(t, p.LastDecreaseDateTime, "the decrease asked")
		}
		waitActive(t, e.url, "gthr")
		_, out = call(e.svc, "DynamoDB_20120810.DescribeTable", []byte(`{"TableName":"gthr"}`))
		after := parse(out, "Table")
		assert.Equal(t, "ACTIVE", after.IndexStatus)
		p = after.ProvisionedThroughput
		assert.Equal(t, step.new, [3]float64{p.ReadCapacityUnits, p.WriteCapacityUnits, p.NumberOfDecreasesToday}, "the new values once ACTIVE")
	}
}

// TestPayPerRequestSummaries: an on-demand table is described with both
// BillingModeSummary and TableThroughputModeSummary naming PAY_PER_REQUEST
// and zero provisioned throughput, as DynamoDB answers (dynalite's
// test/createTable.js and updateTable.js record it; the member is not in
// the API model, so SDKs ignore it).
func TestPayPerRequestSummaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, out := call(e.svc, "DynamoDB_20120810.CreateTable", []byte(`{"TableName":"ppr",`+ad1+`,`+ks1+`,"BillingMode":"PAY_PER_REQUEST"}`))
	require.Equal(t, 200, code, "%s", out)
	var got struct{ TableDescription map[string]any }
	require.NoError(t, json.Unmarshal(out, &got))
	d := got.TableDescription
	assert.Equal(t, map[string]any{"BillingMode": "PAY_PER_REQUEST"}, d["BillingModeSummary"])
	assert.Equal(t, map[string]any{"TableThroughputMode": "PAY_PER_REQUEST"}, d["TableThroughputModeSummary"])
	assert.Equal(t, map[string]any{"ReadCapacityUnits": float64(0), "WriteCapacityUnits": float64(0), "NumberOfDecreasesToday": float64(0)}, d["ProvisionedThroughput"])
}
