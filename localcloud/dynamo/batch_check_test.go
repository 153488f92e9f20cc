package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Expected messages are DynamoDB's, as the newest public conformance suite
// run against it records them (issue 15); "abc" does not exist, so each
// answer shows the check comes before the table lookup.

func TestValuesCheckedBeforeTheTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invalid := "One or more parameter values were invalid: "
	null := invalid + "Null attribute value types must have the value of true"
	for _, c := range []struct{ op, body, msg string }{
		// {"NULL": false} (or "no") is refused everywhere a value goes.
		{"PutItem", `{"TableName":"abc","Item":{"a":{"NULL":false}}}`, null},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":"x"},"b":{"M":{"c":{"NULL":"no"}}}}}`, null},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"NULL":false}}}`, null},
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{"S":"x"}},"UpdateExpression":"SET b = :v","ExpressionAttributeValues":{":v":{"NULL":false}}}`,
			"ExpressionAttributeValues contains invalid value: " + null + " for key :v"},
		{"Scan", `{"TableName":"abc","ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"NULL":false}]}}}`, null},
		// Scan's starting key, with no other parameter to check.
		{"Scan", `{"TableName":"abc","ExclusiveStartKey":{"a":{}}}`, "The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Scan", `{"TableName":"abc","ExclusiveStartKey":{"a":{"NULL":false}}}`, "The provided starting key is invalid: " + null},
		{"Scan", `{"TableName":"abc","ExclusiveStartKey":{"a":{"N":"b"}}}`, "The parameter cannot be converted to a numeric value: b"},
		{"Query", `{"TableName":"abc","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"x"}},"ExclusiveStartKey":{"a":{"SS":[]}}}`,
			"The provided starting key is invalid: " + invalid + "An string set  may not be empty"},
		// Batches.
		{"BatchGetItem", `{"RequestItems":{"abc":{}}}`, "1 validation error detected: Value null at 'requestItems.abc.member.keys' failed to satisfy constraint: Member must not be null"},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[]}}}`, "1 validation error detected: Value '[]' at 'requestItems.abc.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":{"S":"x"}}],"AttributesToGet":["a","a"]}}}`, invalid + "Duplicate value in attribute name: a"},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":{"S":"x"}}],"ExpressionAttributeNames":{}}}}`, "ExpressionAttributeNames can only be specified when using expressions"},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":{"N":"1e500"}}]}}}`, "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":{"N":"1.0"}},{"a":{"N":"1"}}]}}}`, "Provided list of item keys contains duplicates"},
		{"BatchWriteItem", `{"RequestItems":{"abc":[{}]}}`, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"BatchWriteItem", `{"RequestItems":{"abc":[{"PutRequest":{"Item":{"a":{"SS":["a","a"]}}}}]}}`, invalid + "Input collection [a, a] contains duplicates."},
		{"BatchWriteItem", `{"RequestItems":{"abc":[{"DeleteRequest":{"Key":{"a":{"N":"123456789012345678901234567890123456789"}}}}]}}`,
			"Attempting to store more than 38 significant digits in a Number"},
	} {
		wantBody(t, e.svc, c.op, c.body, validation(c.msg))
	}
}

// TestIndexKeyMismatchNamesGlobalIndexFirst: an attribute that is the key of
// a global and a local index, of the wrong type, names the global one.
func TestIndexKeyMismatchNamesGlobalIndexFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "ixo", withRange("sk", types.ScalarAttributeTypeS), withGSI("gx1", "c", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll),
		func(in *dynamodbCreateTableInput) {
			in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{IndexName: strp("lx1"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: strp("pk"), KeyType: types.KeyTypeHash}, {AttributeName: strp("c"), KeyType: types.KeyTypeRange}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}})
		})
	for range 5 { // the indexes are kept in a map: the order must not depend on it
		wantBody(t, e.svc, "PutItem", `{"TableName":"ixo","Item":{"pk":{"S":"x"},"sk":{"S":"y"},"c":{"N":"1"}}}`,
			validation("One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: gx1"))
	}
}

type dynamodbCreateTableInput = dynamodb.CreateTableInput

func strp(s string) *string { return &s }

// TestRequestItemsConstraints: a batch's table names and BatchWriteItem's
// per-table request counts are constraint errors quoting the map, as the
// conformance suite records DynamoDB's answers.
func TestRequestItemsConstraints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
	values := "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
	wantBody(t, e.svc, "BatchWriteItem", `{"RequestItems":{"a":[]}}`, validation("2 validation errors detected: "+
		`Value '{"a":[]}' at 'requestItems' failed to satisfy constraint: `+keys+"; "+
		`Value '{"a":[]}' at 'requestItems' failed to satisfy constraint: `+values))
	wantBody(t, e.svc, "BatchWriteItem", `{"RequestItems":{"abc":[]}}`, validation("1 validation error detected: "+
		`Value '{"abc":[]}' at 'requestItems' failed to satisfy constraint: `+values))
	wantBody(t, e.svc, "BatchGetItem", `{"RequestItems":{"a;":{"Keys":[{"a":{"S":"x"}}]}}}`, validation("1 validation error detected: "+
		`Value '{"a;":{"Keys":[{"a":{"S":"x"}}]}}' at 'requestItems' failed to satisfy constraint: `+keys))
	// With the top-level members' failures, then each table's required
	// members, in one message (dynalite's test/batchGetItem.js and
	// test/batchWriteItem.js, recorded from DynamoDB).
	rcc := "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
	ricm := "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"
	for _, c := range []struct{ op, body, msg string }{
		{"BatchGetItem", `{"RequestItems":{"a":{}},"ReturnConsumedCapacity":"hi","ReturnItemCollectionMetrics":"hi"}`, "3 validation errors detected: " + rcc + "; " +
			`Value '{"a":{}}' at 'requestItems' failed to satisfy constraint: ` + keys + "; " +
			"Value null at 'requestItems.a.member.keys' failed to satisfy constraint: Member must not be null"},
		{"BatchGetItem", `{"RequestItems":{"a":{"Keys":[]}}}`, "2 validation errors detected: " +
			`Value '{"a":{"Keys":[]}}' at 'requestItems' failed to satisfy constraint: ` + keys + "; " +
			"Value '[]' at 'requestItems.a.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"BatchGetItem", `{"RequestItems":{"abc":{}},"ReturnConsumedCapacity":"hi"}`, "2 validation errors detected: " + rcc + "; " +
			"Value null at 'requestItems.abc.member.keys' failed to satisfy constraint: Member must not be null"},
		{"BatchWriteItem", `{"RequestItems":{"aa;":[{"PutRequest":{},"DeleteRequest":{}}]},"ReturnConsumedCapacity":"hi","ReturnItemCollectionMetrics":"hi"}`,
			"5 validation errors detected: " + rcc + "; " + ricm + "; " +
				`Value '{"aa;":[{"PutRequest":{},"DeleteRequest":{}}]}' at 'requestItems' failed to satisfy constraint: ` + keys + "; " +
				"Value null at 'requestItems.aa;.member.1.member.deleteRequest.key' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'requestItems.aa;.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null"},
		{"BatchWriteItem", `{"RequestItems":{"a":[]},"ReturnConsumedCapacity":"hi","ReturnItemCollectionMetrics":"hi"}`,
			"4 validation errors detected: " + rcc + "; " + ricm + "; " +
				`Value '{"a":[]}' at 'requestItems' failed to satisfy constraint: ` + keys + "; " +
				`Value '{"a":[]}' at 'requestItems' failed to satisfy constraint: ` + values},
		{"BatchWriteItem", `{"RequestItems":{"abc":[{"PutRequest":{}}]}}`,
			"1 validation error detected: Value null at 'requestItems.abc.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null"},
	} {
		wantBody(t, e.svc, c.op, c.body, validation(c.msg))
	}
}
