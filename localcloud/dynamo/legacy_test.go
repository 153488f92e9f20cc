package dynamo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"
)

// The expected messages in the legacy tests are DynamoDB's, as a
// conformance suite run against real DynamoDB (and, for ConditionalOperator,
// a second suite run against both) records them; none is copied from this
// package's output.

// rawCall sends body as operation op through the SDK client (signed and
// routed as the SDK sends it) and returns the error.
func rawCall(t *testing.T, db *dynamodb.Client, op, body string) error {
	t.Helper()
	c, opt, tbl, key := ctx(t), withBody(body), aws.String("abc"), item{"a": s("x")}
	var err error
	switch op {
	case "PutItem":
		_, err = db.PutItem(c, &dynamodb.PutItemInput{TableName: tbl, Item: key}, opt)
	case "UpdateItem":
		_, err = db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: tbl, Key: key}, opt)
	case "DeleteItem":
		_, err = db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: tbl, Key: key}, opt)
	case "GetItem":
		_, err = db.GetItem(c, &dynamodb.GetItemInput{TableName: tbl, Key: key}, opt)
	case "Query":
		_, err = db.Query(c, &dynamodb.QueryInput{TableName: tbl}, opt)
	case "Scan":
		_, err = db.Scan(c, &dynamodb.ScanInput{TableName: tbl}, opt)
	default:
		t.Fatalf("rawCall: no operation %s", op)
	}
	return err
}

const invalid = "One or more parameter values were invalid: "

// TestLegacyValidation: each rule on the legacy parameters, with
// DynamoDB's message, on a table that does not exist (they come before the
// table lookup).
func TestLegacyValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mixing := "Can not use both expression and non-expression parameters in the same request: "
	tests := []struct{ op, body, msg string }{
		// Mixing expression and non-expression parameters, in DynamoDB's order.
		{"PutItem", `{"TableName":"abc","Item":{"a":{}},"Expected":{"a":{}},"ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ConditionExpression":""}`,
			mixing + "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{"PutItem", `{"TableName":"abc","Item":{"pk":{"S":"x"}},"Expected":{"a":{"Value":{"S":"x"}}},"ConditionalOperator":"AND","ConditionExpression":"attribute_exists(pk)"}`,
			mixing + "Non-expression parameters: {Expected, ConditionalOperator} Expression parameters: {ConditionExpression}"},
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{}},"Expected":{"a":{}},"AttributeUpdates":{},"ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ConditionExpression":"","UpdateExpression":""}`,
			mixing + "Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"},
		{"DeleteItem", `{"TableName":"abc","Key":{"a":{"S":"x"}},"ConditionalOperator":"AND","ConditionExpression":"attribute_exists(pk)"}`,
			mixing + "Non-expression parameters: {ConditionalOperator} Expression parameters: {ConditionExpression}"},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"x"}},"AttributesToGet":["a"],"ProjectionExpression":"a"}`,
			mixing + "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"},
		{"Query", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"Select":"SPECIFIC_ATTRIBUTES","AttributesToGet":["a","a"],"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ConditionalOperator":"OR","KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ProjectionExpression":"","FilterExpression":"","KeyConditionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`,
			mixing + "Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"},
		{"Query", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ConditionalOperator":"OR","FilterExpression":"","ProjectionExpression":""}`,
			mixing + "Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"},
		{"Scan", `{"TableName":"abc","ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"Segment":1,"AttributesToGet":["a","a"],"ConditionalOperator":"OR","FilterExpression":"","ProjectionExpression":""}`,
			mixing + "Non-expression parameters: {AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"},
		// Placeholders without expressions.
		{"PutItem", `{"TableName":"abc","Item":{"a":{}},"Expected":{"a":{}},"ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`,
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"PutItem", `{"TableName":"abc","Item":{"a":{}},"Expected":{"a":{}},"ExpressionAttributeValues":{}}`,
			"ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{}},"Expected":{"a":{}},"ExpressionAttributeValues":{}}`,
			"ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"},
		{"Query", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ExpressionAttributeValues":{}}`,
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"},
		{"Scan", `{"TableName":"abc","ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ExpressionAttributeValues":{}}`,
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
		// ConditionalOperator needs two conditions.
		{"Scan", `{"TableName":"abc","ConditionalOperator":"AND"}`, "ConditionalOperator cannot be used without Filter or Expected"},
		{"Scan", `{"TableName":"abc","ConditionalOperator":"AND","ScanFilter":{}}`, "ConditionalOperator cannot be used without Filter or Expected"},
		{"Query", `{"TableName":"abc","ConditionalOperator":"AND"}`, "ConditionalOperator cannot be used without Filter or Expected"},
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{"S":"x"}},"ConditionalOperator":"OR","AttributeUpdates":{"b":{"Value":{"S":"v"}}}}`, "ConditionalOperator cannot be used without Filter or Expected"},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionalOperator":"AND","Expected":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}}`,
			"ConditionalOperator can only be used when Filter or Expected has two or more elements"},
		{"Query", `{"TableName":"abc","ConditionalOperator":"AND","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"QueryFilter":{"a":{"ComparisonOperator":"NULL"}}}`,
			"ConditionalOperator can only be used when Filter or Expected has two or more elements"},
		// Expected's combinations.
		{"PutItem", `{"TableName":"abc","Item":{},"Expected":{"a":{}}}`, invalid + "Value must be provided when Exists is null for Attribute: a"},
		{"PutItem", `{"TableName":"abc","Item":{},"Expected":{"a":{"Exists":true}}}`, invalid + "Value must be provided when Exists is true for Attribute: a"},
		{"PutItem", `{"TableName":"abc","Item":{},"Expected":{"a":{"Exists":false,"Value":{"S":"a"}}}}`, invalid + "Value cannot be used when Exists is false for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"ComparisonOperator":"LT"}}}`, invalid + "Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Exists":true,"ComparisonOperator":"LT"}}}`, invalid + "Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[{"S":"a"}],"Value":{"S":"a"},"ComparisonOperator":"LT"}}}`,
			invalid + "Value and AttributeValueList cannot be used together for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[{"S":"a"}]}}}`, invalid + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Exists":true,"AttributeValueList":[{"S":"a"}]}}}`, invalid + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[],"ComparisonOperator":"EQ"}}}`, invalid + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[{"S":"a"}],"ComparisonOperator":"NULL"}}}`, invalid + "Invalid number of argument(s) for the NULL ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[],"ComparisonOperator":"IN"}}}`, invalid + "Invalid number of argument(s) for the IN ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"AttributeValueList":[{"N":"1"},{"N":"10"},{"N":"12"}],"ComparisonOperator":"BETWEEN"}}}`, invalid + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Value":{"S":"a"},"ComparisonOperator":"NULL"}}}`, invalid + "Invalid number of argument(s) for the NULL ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Value":{"S":"a"},"ComparisonOperator":"BETWEEN"}}}`, invalid + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Value":{}}}}`, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"Value":{"NS":["1",""]}}}}`, "The parameter cannot be converted to a numeric value"},
		{"PutItem", `{"TableName":"aaa","Item":{},"Expected":{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"L":[]}]}}}`, invalid + "ComparisonOperator IN is not valid for L AttributeValue type"},
		// The Item is checked before Expected, the ReturnValues and the size too.
		{"PutItem", `{"TableName":"abc","Item":{"a":{"L":[{}]}},"Expected":{"a":{}}}`, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"PutItem", `{"TableName":"abc","Item":{},"ReturnValues":"ALL_NEW","Expected":{"a":{}}}`, "ReturnValues can only be ALL_OLD or NONE"},
		// AttributeUpdates, checked after the Key and before Expected.
		{"UpdateItem", `{"TableName":"abc","Key":{"a":{"SS":[]}},"Expected":{"a":{}},"AttributeUpdates":{"a":{"x":"whatever"}}}`, invalid + "An string set  may not be empty"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"Expected":{"a":{}},"AttributeUpdates":{"a":{"x":"whatever"}}}`, invalid + "Only DELETE action is allowed when no attribute value is specified"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"AttributeUpdates":{"a":{"Action":"DELETE","Value":{"S":"1"}}}}`, invalid + "DELETE action with value is not supported for the type S"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"AttributeUpdates":{"a":{"Action":"DELETE","Value":{"L":[]}}}}`, invalid + "DELETE action with value is not supported for the type L"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"AttributeUpdates":{"a":{"Action":"ADD","Value":{"B":"Yg=="}}}}`, invalid + "ADD action is not supported for the type B"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"AttributeUpdates":{"a":{"Action":"ADD","Value":{"M":{}}}}}`, invalid + "ADD action is not supported for the type M"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"Expected":{"a":{"Exists":false,"Value":{"S":"a"}}}}`, invalid + "Value cannot be used when Exists is false for Attribute: a"},
		// QueryFilter, ScanFilter and KeyConditions.
		{"Query", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"a":""},{"S":""}]}}}`,
			"Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Query", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"},{"BS":["Yg==","Yg=="]},{}]}}}`,
			invalid + "Input collection [Yg==, Yg==]of type BS contains duplicates."},
		{"Query", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"},{"S":"a","N":"1"}]}}}`,
			"Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"Query", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ"},"b":{"ComparisonOperator":"NULL"},"c":{"ComparisonOperator":"NULL"}}}`,
			invalid + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"Query", `{"TableName":"abc","QueryFilter":{},"ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"]}`, invalid + "Duplicate value in attribute name: a"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{"M":{"a":{}}}}}`,
			"The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{"SS":["a","a"]}}}`, invalid + "Input collection [a, a] contains duplicates."},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{"N":"b"}}}`, "The parameter cannot be converted to a numeric value: b"},
		{"Query", `{"TableName":"abc","QueryFilter":{},"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{},{"S":""}]}}}`, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Query", `{"TableName":"abc","QueryFilter":{},"KeyConditions":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"a"},{"S":"a"},{"S":"a"}]}}}`, invalid + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"Query", `{"TableName":"abc","QueryFilter":{},"KeyConditions":{}}`, "Conditions can be of length 1 or 2 only"},
		{"Query", `{"TableName":"abc","QueryFilter":{},"KeyConditions":{"a":{"ComparisonOperator":"NULL"},"b":{"ComparisonOperator":"NULL"},"c":{"ComparisonOperator":"NULL"}}}`, "Conditions can be of length 1 or 2 only"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"b"},{"N":"1"}]}}}`, invalid + "AttributeValues inside AttributeValueList must be of same type"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"b"},{"S":"a"}]}}}`, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{"Query", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"GE","AttributeValueList":[{"BOOL":true}]}}}`, invalid + "ComparisonOperator GE is not valid for BOOL AttributeValue type"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"NS":["1"]}]}}}`, invalid + "ComparisonOperator CONTAINS is not valid for NS AttributeValue type"},
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"M":{}},{"M":{}}]}}}`, invalid + "ComparisonOperator BETWEEN is not valid for M AttributeValue type"},
		{"Query", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"N":"1"}]}}}`, invalid + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
		{"Query", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"NULL"}}}`, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."},
		{"Scan", `{"TableName":"abc","Segment":1,"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{},{"a":""},{"S":""}]}},"ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"]}`,
			invalid + "Duplicate value in attribute name: a"},
		{"Scan", `{"TableName":"abc","Segment":1,"ExclusiveStartKey":{"a":{}},"ScanFilter":{"a":{"ComparisonOperator":"NOT_NULL","AttributeValueList":[{"S":"a"}]}}}`, invalid + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator"},
		{"Scan", `{"TableName":"abc","Segment":1,"ExclusiveStartKey":{"a":{}},"ScanFilter":{"a":{"ComparisonOperator":"LT","AttributeValueList":[{"SS":["a"]}]}}}`, invalid + "ComparisonOperator LT is not valid for SS AttributeValue type"},
		{"Scan", `{"TableName":"abc","Segment":1,"ExclusiveStartKey":{"a":{}},"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"SS":["a"]}]}}}`,
			"The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Scan", `{"TableName":"abc","Segment":1,"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"SS":["a"]}]}}}`,
			"The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"x"}},"AttributesToGet":["a","b","a"]}`, invalid + "Duplicate value in attribute name: a"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tc.op), func(t *testing.T) {
			err := rawCall(t, e.db, tc.op, tc.body)
			require.Error(t, err, "%s %s", tc.op, tc.body)
			wantValidation(t, err, tc.msg)
		})
	}
	// A valid request on a missing table: the table is looked up after the checks.
	err := rawCall(t, e.db, "Query", `{"TableName":"abc","QueryFilter":{},"KeyConditions":{"z":{"ComparisonOperator":"NULL"}},"ExclusiveStartKey":{"b":{"S":"a"}}}`)
	wantCode(t, err, "ResourceNotFoundException")
}

// TestChecksBeforeTableLookup: the item or key, the placeholder maps and
// the expressions are checked before the table is looked up, in DynamoDB's
// order (the table "abc" does not exist).
func TestChecksBeforeTableLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eav := "ExpressionAttributeValues contains invalid value: "
	big := strings.Repeat("a", 400*1024-2) // with "a": "k" and the name "b", one byte over 400 KB
	tests := []struct{ op, body, msg string }{
		{"PutItem", `{"TableName":"abc","Item":{},"ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ConditionExpression":""}`, "ExpressionAttributeNames must not be empty"},
		{"PutItem", `{"TableName":"abc","Item":{},"ExpressionAttributeNames":{"a":"a"},"ExpressionAttributeValues":{},"ConditionExpression":""}`, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{"PutItem", `{"TableName":"abc","Item":{},"ExpressionAttributeValues":{},"ConditionExpression":""}`, "ExpressionAttributeValues must not be empty"},
		{"PutItem", `{"TableName":"abc","Item":{},"ExpressionAttributeValues":{"a":{"S":"a"}},"ConditionExpression":""}`, `ExpressionAttributeValues contains invalid key: Syntax error; key: "a"`},
		{"PutItem", `{"TableName":"abc","Item":{},"ConditionExpression":""}`, "Invalid ConditionExpression: The expression can not be empty;"},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"SS":[]}},"ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ConditionExpression":""}`, invalid + "An string set  may not be empty"},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":"k"},"b":{"S":"` + big + `"}}}`, "Item size has exceeded the maximum allowed size"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ExpressionAttributeValues":{":b":{"a":""},"b":{"S":"a"}},"ConditionExpression":"","UpdateExpression":""}`, `ExpressionAttributeValues contains invalid key: Syntax error; key: "b"`},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ExpressionAttributeValues":{":b":{"L":[{"a":{}}]}},"ConditionExpression":"","UpdateExpression":""}`,
			eav + "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :b"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ExpressionAttributeValues":{":b":{"SS":[]}},"ConditionExpression":"","UpdateExpression":""}`, eav + invalid + "An string set  may not be empty for key :b"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ExpressionAttributeValues":{":b":{"NS":["1","b"]}},"ConditionExpression":"","UpdateExpression":""}`, eav + "The parameter cannot be converted to a numeric value: b for key :b"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ExpressionAttributeValues":{":b":{"S":"a","N":"1"}},"ConditionExpression":"","UpdateExpression":""}`,
			eav + "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes for key :b"},
		{"UpdateItem", `{"TableName":"abc","Key":{},"ConditionExpression":"","UpdateExpression":""}`, "Invalid UpdateExpression: The expression can not be empty;"},
		{"DeleteItem", `{"TableName":"abc","Key":{"a":{"NS":[]}},"ExpressionAttributeNames":{},"ConditionExpression":""}`, invalid + "An number set  may not be empty"},
		{"DeleteItem", `{"TableName":"abc","Key":{},"ConditionExpression":""}`, "Invalid ConditionExpression: The expression can not be empty;"},
		{"GetItem", `{"TableName":"abc","Key":{},"ProjectionExpression":"","ExpressionAttributeNames":{}}`, "ExpressionAttributeNames must not be empty"},
		{"GetItem", `{"TableName":"abc","Key":{},"ProjectionExpression":""}`, "Invalid ProjectionExpression: The expression can not be empty;"},
		{"Query", `{"TableName":"abc","KeyConditionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "ExpressionAttributeNames must not be empty"},
		{"Query", `{"TableName":"abc","KeyConditionExpression":"","FilterExpression":"","ProjectionExpression":"","ExpressionAttributeValues":{":0":{"S":"b"}}}`, "Invalid KeyConditionExpression: The expression can not be empty;"},
		{"Query", `{"TableName":"abc","KeyConditionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ExclusiveStartKey":{"a":{"L":[{}]}}}`,
			"The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"Scan", `{"TableName":"abc","Segment":1,"FilterExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{},"ExclusiveStartKey":{"a":{"S":"a","N":"1"}}}`,
			"The provided starting key is invalid: Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"Scan", `{"TableName":"abc","FilterExpression":"","ExpressionAttributeValues":{}}`, "ExpressionAttributeValues must not be empty"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tc.op), func(t *testing.T) {
			err := rawCall(t, e.db, tc.op, tc.body)
			require.Error(t, err, "%s %s", tc.op, tc.body)
			wantValidation(t, err, tc.msg)
		})
	}
	// Just under the size limit, the missing table is what is wrong.
	err := rawCall(t, e.db, "PutItem", `{"TableName":"abc","Item":{"a":{"S":"k"},"b":{"S":"`+big[1:]+`"}}}`)
	wantCode(t, err, "ResourceNotFoundException")
}

// BenchmarkLegacyCheckPutItem is what legacyParams adds to a PutItem
// without legacy parameters: finding which parameters the body holds and
// applying the mixing rules.
func BenchmarkLegacyCheckPutItem(b *testing.B) {
	body := []byte(`{"TableName":"orders","Item":{"pk":{"S":"order#000123"},"sk":{"N":"42"},"total":{"N":"12.50"},"status":{"S":"NEW"},"tags":{"SS":["a","b"]},"lines":{"L":[{"M":{"sku":{"S":"x1"},"qty":{"N":"2"}}}]}},"ConditionExpression":"attribute_not_exists(pk)"}`)
	rule := paramRules["PutItem"]
	b.ReportAllocs()
	for b.Loop() {
		has := presentParams(body)
		if err := rule.mixing(has); err != nil || has&legacyMask != 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkLegacyCheckQuery is what legacyParams adds to a Query with a
// KeyConditionExpression: the checks of the starting key and the
// placeholder maps that DynamoDB makes before it parses the expressions.
func BenchmarkLegacyCheckQuery(b *testing.B) {
	body := []byte(`{"TableName":"orders","KeyConditionExpression":"pk = :pk AND sk > :sk","ExpressionAttributeValues":{":pk":{"S":"customer#000123"},":sk":{"N":"10"}},"Limit":10}`)
	rule := paramRules["Query"]
	b.ReportAllocs()
	for b.Loop() {
		has := presentParams(body)
		if err := rule.mixing(has); err != nil {
			b.Fatal(err)
		}
		if _, err := translate("Query", rule, has, body); err != nil {
			b.Fatal(err)
		}
	}
}
