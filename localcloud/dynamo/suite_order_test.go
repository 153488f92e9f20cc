package dynamo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The expected messages here are DynamoDB's as dynalite's test suite
// records them (its tests run against real DynamoDB in its remote mode);
// none is copied from this package's output.

// sendRaw sends body as operation op through the SDK client and returns the
// error; it covers the operations rawCall does not.
func sendRaw(t *testing.T, db *dynamodb.Client, op, body string) error {
	t.Helper()
	c, opt := ctx(t), withBody(body)
	var err error
	switch op {
	case "BatchGetItem":
		_, err = db.BatchGetItem(c, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"abc": {Keys: []map[string]types.AttributeValue{{"a": s("x")}}}}}, opt)
	case "BatchWriteItem":
		_, err = db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"abc": {{DeleteRequest: &types.DeleteRequest{Key: item{"a": s("x")}}}}}}, opt)
	case "TransactWriteItems":
		_, err = db.TransactWriteItems(c, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{TableName: aws.String("abc"), Key: item{"a": s("x")}}}}}, opt)
	default:
		err = rawCall(t, db, op, body)
	}
	return err
}

// TestNumberBeforeDataTypes: a value with two data types, one of them a
// number DynamoDB cannot read, is refused for the number.
func TestNumberBeforeDataTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const notNum = "The parameter cannot be converted to a numeric value"
	tests := []struct{ op, body, msg string }{
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"","N":""}}}`, notNum},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"a","N":""}}}`, notNum},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"a","N":"b"}}}`, notNum + ": b"},
		{"DeleteItem", `{"TableName":"abc","Key":{"a":{"S":"","N":""}}}`, notNum},
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{"S":"","N":""}}}`, notNum},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":"","N":""}}}`, notNum},
		{"BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":{"S":"","N":""}}]}}}`, notNum},
		{"BatchWriteItem", `{"RequestItems":{"abc":[{"PutRequest":{"Item":{"a":{"S":"","N":""}}}}]}}`, notNum},
		// one type, and two types with a good number, are as before
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"a","N":"1"}}}`, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"N":"b"}}}`, notNum + ": b"},
	}
	for _, tc := range tests {
		wantValidation(t, sendRaw(t, e.db, tc.op, tc.body), tc.msg)
	}
}

// TestQueryKeyConditionOrder: the order and wording of Query's key
// condition refusals.
func TestQueryKeyConditionOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "qhash")
	createTable(t, e.db, "qrange", withRange("rk", types.ScalarAttributeTypeS),
		withGSI("gsi3", "c", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll),
		withGSI("gsi4", "c", types.ScalarAttributeTypeS, "d", types.ScalarAttributeTypeS, types.ProjectionTypeInclude, "e"))
	const (
		notSupported = "Query key condition not supported"
		allAttrs     = "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gsi4 because its projection type is not ALL"
	)
	tests := []struct{ body, msg string }{
		// No "Invalid KeyConditionExpression: " before these.
		{`{"TableName":"abc","KeyConditionExpression":"begins_with(:a, a)","ExpressionAttributeValues":{":a":{"S":"1"}}}`,
			"Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
		{`{"TableName":"abc","KeyConditionExpression":"a > b","ExpressionAttributeValues":{":a":{"S":"1"}}}`,
			"Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{`{"TableName":"abc","KeyConditionExpression":":a > :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`,
			"Invalid condition in KeyConditionExpression: No key attribute specified"},
		// Empty filter and projection expressions come before an operator
		// a key condition does not take.
		{`{"TableName":"abc","KeyConditionExpression":"attribute_type(a, :a)","FilterExpression":"","ProjectionExpression":"","ExpressionAttributeValues":{":a":{"S":"N"}}}`,
			"Invalid FilterExpression: The expression can not be empty;"},
		{`{"TableName":"abc","KeyConditionExpression":"attribute_type(a, :a)","FilterExpression":"a > b","ProjectionExpression":"","ExpressionAttributeValues":{":a":{"S":"N"}}}`,
			"Invalid ProjectionExpression: The expression can not be empty;"},
		// Two conditions on a key of one attribute.
		{`{"TableName":"qhash","KeyConditionExpression":"y = :a and z = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, notSupported},
		{`{"TableName":"qrange","IndexName":"gsi3","KeyConditionExpression":"y = :a and z = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, notSupported},
		{`{"TableName":"qrange","IndexName":"gsi3","KeyConditionExpression":"z = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, "Query condition missed key schema element: c"},
		// The partition key value's type before its operator, after an
		// operator no index serves.
		{`{"TableName":"qhash","KeyConditionExpression":":a > pk","ExpressionAttributeValues":{":a":{"N":"1"}}}`,
			"One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{`{"TableName":"qhash","KeyConditions":{"pk":{"ComparisonOperator":"NE","AttributeValueList":[{"N":"1"}]}}}`,
			"Attempted conditional constraint is not an indexable operation"},
		// Select ALL_ATTRIBUTES on an index without them: after the start
		// key, the key condition and a key in the filter; before paths into
		// key attributes.
		{`{"TableName":"qrange","IndexName":"gsi4","Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{"pk":{"S":"1"},"rk":{"S":"1"},"c":{"S":"1"},"e":{"S":"1"}},"KeyConditionExpression":"c = :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`,
			"The provided starting key is invalid"},
		{`{"TableName":"qrange","IndexName":"gsi4","Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{"pk":{"S":"a"},"rk":{"S":"a"},"c":{"S":"a"},"d":{"S":"a"}},"KeyConditionExpression":"c = :a and rk = :b","ExpressionAttributeValues":{":a":{"S":"b"},":b":{"S":"1"}}}`,
			"Query condition missed key schema element: d"},
		{`{"TableName":"qrange","IndexName":"gsi4","Select":"ALL_ATTRIBUTES","KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"QueryFilter":{"d":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}}}`,
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: d"},
		{`{"TableName":"qrange","IndexName":"gsi4","Select":"ALL_ATTRIBUTES","KeyConditionExpression":"c = :a","FilterExpression":"pk = :b and pk.b = :a","ExpressionAttributeValues":{":a":{"S":"a"},":b":{"N":"1"}}}`,
			allAttrs},
	}
	for _, tc := range tests {
		wantValidation(t, rawCall(t, e.db, "Query", tc.body), tc.msg)
	}
}

// TestBatchGetProjectionFirst: BatchGetItem checks each table's
// ExpressionAttributeNames and ProjectionExpression before its keys and
// before looking the table up.
func TestBatchGetProjectionFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dup := `{"a":{"S":"x"},"b":{"N":"1"}},{"b":{"N":"1"},"a":{"S":"x"}}`
	tests := []struct{ body, msg string }{
		{`{"RequestItems":{"abc":{"Keys":[{}],"ExpressionAttributeNames":{},"ProjectionExpression":""}}}`, "ExpressionAttributeNames must not be empty"},
		{`{"RequestItems":{"abc":{"Keys":[{}],"ExpressionAttributeNames":{"a":"a"},"ProjectionExpression":""}}}`, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{`{"RequestItems":{"abc":{"Keys":[{}],"ProjectionExpression":""}}}`, "Invalid ProjectionExpression: The expression can not be empty;"},
		{`{"RequestItems":{"abc":{"Keys":[` + dup + `],"ExpressionAttributeNames":{},"ProjectionExpression":""}}}`, "ExpressionAttributeNames must not be empty"},
		{`{"RequestItems":{"abc":{"Keys":[` + dup + `],"ProjectionExpression":""}}}`, "Invalid ProjectionExpression: The expression can not be empty;"},
		{`{"RequestItems":{"abc":{"Keys":[` + dup + `]}}}`, "Provided list of item keys contains duplicates"},
	}
	for _, tc := range tests {
		wantValidation(t, sendRaw(t, e.db, "BatchGetItem", tc.body), tc.msg)
	}
}

// TestUpdateKeyChecksFirst: UpdateItem refuses, from the expression alone
// and before it reads the item, an action on a key attribute, then a type
// the expression gives a secondary index key, then a nested path into an
// index key; a wrong index key type that comes from the item has its own
// message.
func TestUpdateKeyChecksFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "upd", withRange("rk", types.ScalarAttributeTypeS),
		withGSI("gsi3", "c", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll),
		withGSI("gsi4", "c", types.ScalarAttributeTypeS, "d", types.ScalarAttributeTypeS, types.ProjectionTypeInclude, "e"))
	const (
		keyPK   = "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
		keyRK   = "One or more parameter values were invalid: Cannot update attribute rk. This attribute is part of the key"
		typeC   = "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: gsi3"
		scalarD = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d"
	)
	body := func(update string, vals string) string {
		b := `{"TableName":"upd","Key":{"pk":{"S":"p1"},"rk":{"S":"r1"}},"UpdateExpression":"` + update + `"`
		if vals != "" {
			b += `,"ExpressionAttributeValues":` + vals
		}
		return b + `}`
	}
	n1 := `{":a":{"N":"1"}}`
	tests := []struct{ body, msg string }{
		{body("add pk.b :a", n1), keyPK},
		{body("delete pk :a", `{":a":{"NS":["1"]}}`), keyPK},
		{body("set pk = pk.b + pk[1]", ""), keyPK},
		{body("set d[1] = :a add rk.b :a", n1), keyRK},
		{`{"TableName":"upd","Key":{"pk":{"S":"p1"},"rk":{"S":"r1"}},"AttributeUpdates":{"d":{"Value":{"N":"1"}},"c":{"Value":{"N":"1"}}}}`, typeC},
		{body("set d.a = pk add c :a", n1), typeC},
		{body("set e = c[1], c = pk + :a", n1), typeC},
		{body("add d.b :a", n1), scalarD},
		{body("set d[1] = :a", n1), scalarD},
		{body("set e = list_append(pk, rk), f = d[1]", ""), scalarD},
	}
	for _, tc := range tests {
		wantValidation(t, rawCall(t, e.db, "UpdateItem", tc.body), tc.msg)
	}
	// The type from the item.
	if err := rawCall(t, e.db, "UpdateItem", body("set e = :a", n1)); err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	for _, u := range []string{"set c = e", "set d = e"} {
		wantValidation(t, rawCall(t, e.db, "UpdateItem", body(u, "")), "The update expression attempted to update the secondary index key to unsupported type")
	}
}

// TestLegacyFilterNoExpressionLimits: a ScanFilter or QueryFilter IN takes
// far more values than a FilterExpression's IN (100) and makes no 4 KB
// expression; the expression limits stay for expressions.
func TestLegacyFilterNoExpressionLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "legacyin")
	vals := make([]string, 5000)
	for i := range vals {
		vals[i] = `{"S":"a"}`
	}
	list := strings.Join(vals, ",")
	if err := rawCall(t, e.db, "Scan", `{"TableName":"legacyin","ScanFilter":{"a":{"ComparisonOperator":"IN","AttributeValueList":[`+list+`]}}}`); err != nil {
		t.Fatalf("Scan with a 5000-value ScanFilter IN: %v", err)
	}
	if err := rawCall(t, e.db, "Query", `{"TableName":"legacyin","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"QueryFilter":{"a":{"ComparisonOperator":"IN","AttributeValueList":[`+list+`]}}}`); err != nil {
		t.Fatalf("Query with a 5000-value QueryFilter IN: %v", err)
	}
	var ph []string
	values := map[string]string{}
	for i := range 101 {
		ph = append(ph, fmt.Sprintf(":v%d", i))
		values[fmt.Sprintf(":v%d", i)] = `{"S":"a"}`
	}
	var vs []string
	for k, v := range values {
		vs = append(vs, `"`+k+`":`+v)
	}
	body := `{"TableName":"legacyin","FilterExpression":"a IN (` + strings.Join(ph, ", ") + `)","ExpressionAttributeValues":{` + strings.Join(vs, ",") + `}}`
	wantValidation(t, rawCall(t, e.db, "Scan", body), "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101")
}
