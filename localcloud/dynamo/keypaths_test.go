package dynamo

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected messages are DynamoDB's, as a public conformance suite run
// against it records them (issue 15); none is copied from our output.

// TestKeySubPathsRefused: projections and filters may not go into a key
// attribute ("a.b", "#a[0]"): the table's keys are named "Key", the
// indexes' "IndexKey".
func TestKeySubPathsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "kpt", withRange("sk", types.ScalarAttributeTypeS), withGSI("byG", "g", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll))
	key := func(k string) map[string]any {
		return validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: " + k)
	}
	q := `"TableName":"kpt","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"x"}}`
	for _, c := range []struct {
		op, body string
		want     map[string]any
	}{
		{"Query", `{` + q + `,"ProjectionExpression":"pk.b"}`, key("pk")},
		{"Query", `{` + q + `,"ProjectionExpression":"#s[0]","ExpressionAttributeNames":{"#s":"sk"}}`, key("sk")},
		{"Query", `{` + q + `,"ProjectionExpression":"x1, g.x"}`,
			validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: g")},
		// A filter naming a key attribute is refused for that first.
		{"Query", `{` + q + `,"FilterExpression":"sk.b = :p"}`, validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")},
		{"Query", `{` + q + `,"FilterExpression":"g.b = :p"}`,
			validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: g")},
		{"Scan", `{"TableName":"kpt","ProjectionExpression":"a, sk.c, pk[1]"}`, key("pk")},
		{"Scan", `{"TableName":"kpt","FilterExpression":"size(sk.c) > :n","ExpressionAttributeValues":{":n":{"N":"1"}}}`, key("sk")},
		{"GetItem", `{"TableName":"kpt","Key":{"pk":{"S":"a"},"sk":{"S":"b"}},"ProjectionExpression":"pk.x"}`, key("pk")},
	} {
		wantBody(t, e.svc, c.op, c.body, c.want)
	}
	// Whole key attributes and other attributes' sub-paths are fine.
	for _, c := range []struct{ op, body string }{
		{"Query", `{` + q + `,"ProjectionExpression":"pk, sk, g, m.x, l[0]"}`},
		{"Scan", `{"TableName":"kpt","FilterExpression":"m.x = :n","ExpressionAttributeValues":{":n":{"N":"1"}}}`},
	} {
		if code, out := call(e.svc, "DynamoDB_20120810."+c.op, []byte(c.body)); code != 200 {
			t.Errorf("%s %s: %d %s", c.op, c.body, code, out)
		}
	}
}

// TestKeyConditionErrorsBeforeTheTable: a KeyConditionExpression that can
// never be a key condition is refused before the table is looked up.
func TestKeyConditionErrorsBeforeTheTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := `,"ExpressionAttributeValues":{":a":{"S":"a"},":b":{"S":"b"}}}`
	for _, c := range []struct{ cond, msg string }{
		{"a = :a OR b = :a", "Invalid operator used in KeyConditionExpression: OR"},
		{"a = :a AND NOT b = :a", "Invalid operator used in KeyConditionExpression: NOT"},
		{"a = :a AND contains(b, :a)", "Invalid operator used in KeyConditionExpression: contains"},
		{"a = :a AND b = :a AND c = :a", "Conditions can be of length 1 or 2 only"},
		{"a = :a AND b BETWEEN :b AND :a", "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; " +
			"lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"},
	} {
		wantBody(t, e.svc, "Query", `{"TableName":"abc","KeyConditionExpression":"`+c.cond+`"`+v, validation(c.msg))
	}
}

// TestScanSegmentMessages: each missing half of a parallel scan is named.
func TestScanSegmentMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The segments are checked before the expressions' placeholders (an
	// empty ExpressionAttributeNames), as dynalite's test/scan.js records.
	for _, exprs := range []string{``, `,"FilterExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}`} {
		wantBody(t, e.svc, "Scan", `{"TableName":"abc","TotalSegments":2`+exprs+`}`,
			validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present"))
		wantBody(t, e.svc, "Scan", `{"TableName":"abc","Segment":1`+exprs+`}`,
			validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present"))
		wantBody(t, e.svc, "Scan", `{"TableName":"abc","Segment":1,"TotalSegments":1`+exprs+`}`,
			validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1"))
	}
}

// TestAttributeTypeOperand: attribute_type's second operand must be a
// string value; a path's type is unknown and listed as DynamoDB lists it.
func TestAttributeTypeOperand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantBody(t, e.svc, "PutItem", `{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionExpression":"attribute_type(a, b)"}`,
		validation("Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"))
}

// TestIndexReadCapacityAndCreatingIndexes: a Query or Scan of an index
// consumes the index's capacity (INDEXES: the table at 0, the index's
// share under its kind); global indexes made with the table are CREATING
// with it, not backfilling. Expected answers as the conformance suite
// records DynamoDB's.
func TestIndexReadCapacityAndCreatingIndexes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"TableName":"ixc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"},{"AttributeName":"c","AttributeType":"S"}],` +
		`"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},` +
		`"LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],` +
		`"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"c","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}]}`
	code, out := call(e.svc, "DynamoDB_20120810.CreateTable", []byte(body))
	require.Equal(t, 200, code, "%s", out)
	var created struct {
		TableDescription struct{ GlobalSecondaryIndexes []map[string]any }
	}
	require.NoError(t, json.Unmarshal(out, &created))
	require.Len(t, created.TableDescription.GlobalSecondaryIndexes, 1)
	g := created.TableDescription.GlobalSecondaryIndexes[0]
	assert.Equal(t, "CREATING", g["IndexStatus"])
	assert.NotContains(t, g, "Backfilling")
	waitActive(t, e.url, "ixc")
	call(e.svc, "DynamoDB_20120810.PutItem", []byte(`{"TableName":"ixc","Item":{"a":{"S":"x"},"b":{"S":"y"},"c":{"S":"z"}}}`))
	for _, c := range []struct {
		body string
		want map[string]any
	}{
		{`{"TableName":"ixc","IndexName":"lsi","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"x"}},"ReturnConsumedCapacity":"INDEXES"}`,
			map[string]any{"CapacityUnits": 0.5, "TableName": "ixc", "Table": map[string]any{"CapacityUnits": 0.0}, "LocalSecondaryIndexes": map[string]any{"lsi": map[string]any{"CapacityUnits": 0.5}}}},
		{`{"TableName":"ixc","IndexName":"gsi","KeyConditionExpression":"c = :c","ExpressionAttributeValues":{":c":{"S":"z"}},"ReturnConsumedCapacity":"INDEXES"}`,
			map[string]any{"CapacityUnits": 0.5, "TableName": "ixc", "Table": map[string]any{"CapacityUnits": 0.0}, "GlobalSecondaryIndexes": map[string]any{"gsi": map[string]any{"CapacityUnits": 0.5}}}},
		{`{"TableName":"ixc","IndexName":"gsi","KeyConditionExpression":"c = :c","ExpressionAttributeValues":{":c":{"S":"z"}},"ReturnConsumedCapacity":"TOTAL"}`,
			map[string]any{"CapacityUnits": 0.5, "TableName": "ixc"}},
	} {
		code, out := call(e.svc, "DynamoDB_20120810.Query", []byte(c.body))
		require.Equal(t, 200, code, "%s", out)
		var got struct{ ConsumedCapacity map[string]any }
		require.NoError(t, json.Unmarshal(out, &got))
		assert.Equal(t, c.want, got.ConsumedCapacity, c.body)
	}
}
