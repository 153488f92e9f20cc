package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expected messages are DynamoDB's answers as a conformance suite run
// against real DynamoDB records them (the cases whose members the current
// model still describes as DynamoDB did then).
func TestValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 256)
	tests := []struct{ op, body, want string }{
		{"GetItem", `{}`, "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'key' failed to satisfy constraint: Member must not be null"},
		{"GetItem", `{"TableName":""}`, "3 validation errors detected: " +
			"Value '' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
			"Value null at 'key' failed to satisfy constraint: Member must not be null"},
		{"GetItem", `{"TableName":"a;"}`, "3 validation errors detected: " +
			"Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
			"Value null at 'key' failed to satisfy constraint: Member must not be null"},
		{"GetItem", `{"TableName":"` + long + `"}`, "2 validation errors detected: " +
			"Value '" + long + "' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255; " +
			"Value null at 'key' failed to satisfy constraint: Member must not be null"},
		{"GetItem", `{"TableName":"abc;","ReturnConsumedCapacity":"hi","AttributesToGet":[]}`, "4 validation errors detected: " +
			"Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
			"Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
			"Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value null at 'key' failed to satisfy constraint: Member must not be null"},
		{"DescribeTable", `{}`, "The parameter 'TableName' is required but was not present in the request"},
		{"DescribeTimeToLive", `{}`, "The parameter 'TableName' is required but was not present in the request"},
		{"DescribeTimeToLive", `{"TableName":""}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		// UpdateTimeToLive names TableName's failures as the other table
		// operations do, and an empty attribute name in its own words
		// (dynalite's test/updateTimeToLive.js)
		{"UpdateTimeToLive", `{}`, "The parameter 'TableName' is required but was not present in the request"},
		{"UpdateTimeToLive", `{"TableName":"a;"}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"UpdateTimeToLive", `{"TableName":"` + long + `"}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"UpdateTimeToLive", `{"TableName":"abc","TimeToLiveSpecification":{"AttributeName":"","Enabled":true}}`, "TimeToLiveSpecification.AttributeName must be non empty"},
		{"UpdateTimeToLive", `{"TableName":"abc","TimeToLiveSpecification":{}}`, "2 validation errors detected: " +
			"Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null"},
		{"DescribeTable", `{"TableName":""}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"DescribeTable", `{"TableName":"a;"}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"DescribeTable", `{"TableName":"` + long + `"}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"DescribeTable", `{"TableName":"abc;"}`, "1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"CreateTable", `{}`, "The parameter 'TableName' is required but was not present in the request"},
		{"UpdateTable", `{}`, "The parameter 'TableName' is required but was not present in the request"},
		{"DeleteTable", `{"TableName":"ab"}`, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"CreateTable", `{"TableName":"abc","AttributeDefinitions":[],"KeySchema":[],"ProvisionedThroughput":{"ReadCapacityUnits":-1,"WriteCapacityUnits":-1}}`, "3 validation errors detected: " +
			"Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
			"Value '-1' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
			"Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"CreateTable", `{"TableName":"abc","AttributeDefinitions":[{}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}`, "2 validation errors detected: " +
			"Value null at 'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must not be null"},
		{"CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"b","AttributeType":"SS"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}`,
			"1 validation error detected: Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"},
		// the rules above applied to a map of structures, a list inside a
		// structure inside a list, and the enums DynamoDB lists in its order
		{"Query", `{"TableName":"abc","KeyConditions":{"a":{},"b":{"ComparisonOperator":"EQ"}}}`,
			"1 validation error detected: Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null"},
		{"Query", `{"TableName":"abc;","Select":"hi"}`, "2 validation errors detected: " +
			"Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"},
		// Query and Scan check TableName with the other constraints.
		{"Scan", `{}`, "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"Query", `{"TableName":"a;"}`, "2 validation errors detected: " +
			"Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"PutItem", `{"TableName":"abc","Item":{},"ReturnValues":"x"}`,
			"1 validation error detected: Value 'x' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"},
		{"CreateTable", `{"TableName":"abc","AttributeDefinitions":[],"KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"LocalSecondaryIndexes":[{"IndexName":"ix","KeySchema":[{"AttributeName":"a","KeyType":"Woop"}],"Projection":{}}]}`, "2 validation errors detected: " +
			"Value 'ix' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
			"Value 'Woop' at 'localSecondaryIndexes.1.member.keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"},
	}
	for _, tt := range tests {
		err := Validate(tt.op, []byte(tt.body))
		if assert.IsType(t, &ValidationError{}, err, "%s %s", tt.op, tt.body) {
			assert.Equal(t, tt.want, err.Error(), "%s %s", tt.op, tt.body)
		}
	}
	for _, ok := range []struct{ op, body string }{
		{"GetItem", `{"TableName":"abc","Key":{"a":{"S":"x"}}}`},
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":""}},"ReturnValues":"ALL_OLD"}`},
		{"CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],"BillingMode":"PAY_PER_REQUEST"}`},
	} {
		assert.NoError(t, Validate(ok.op, []byte(ok.body)), "%s %s", ok.op, ok.body)
	}
}

// BenchmarkValidatePutItem is the cost Validate adds to a PutItem request.
func BenchmarkValidatePutItem(b *testing.B) {
	body := []byte(`{"TableName":"bench","Item":{"pk":{"S":"user#000123"},"sk":{"N":"42"},"name":{"S":"Ada Lovelace"},"tags":{"SS":["a","b","c"]},"profile":{"M":{"age":{"N":"36"},"langs":{"L":[{"S":"en"},{"S":"fr"}]}}}},"ReturnValues":"NONE"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate("PutItem", body); err != nil {
			b.Fatal(err)
		}
	}
}
