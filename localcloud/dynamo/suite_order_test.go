package dynamo

import (
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
