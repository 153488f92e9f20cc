package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestQueryStartKeyChecks: a Query's ExclusiveStartKey is checked in
// DynamoDB's order around the key conditions, with its messages, for the
// table, a local and two global indexes, and with KeyConditions and the
// equivalent KeyConditionExpression alike (the suite DynamoDB's answers
// come from runs both forms and expects the same answer).
func TestQueryStartKeyChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	ks := func(h, r string) []types.KeySchemaElement {
		out := []types.KeySchemaElement{{AttributeName: aws.String(h), KeyType: types.KeyTypeHash}}
		if r != "" {
			out = append(out, types.KeySchemaElement{AttributeName: aws.String(r), KeyType: types.KeyTypeRange})
		}
		return out
	}
	all := &types.Projection{ProjectionType: types.ProjectionTypeAll}
	cloudtest.CreateTable(t, e.db, &dynamodb.CreateTableInput{TableName: aws.String("rng"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions:   []types.AttributeDefinition{str("a"), str("b"), str("c"), str("d")},
		KeySchema:              ks("a", "b"),
		LocalSecondaryIndexes:  []types.LocalSecondaryIndex{{IndexName: aws.String("index1"), KeySchema: ks("a", "c"), Projection: all}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("index3"), KeySchema: ks("c", ""), Projection: all}, {IndexName: aws.String("index4"), KeySchema: ks("c", "d"), Projection: all}}})
	cloudtest.CreateTable(t, e.db, &dynamodb.CreateTableInput{TableName: aws.String("hsh"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{str("a")}, KeySchema: ks("a", "")})

	const (
		zNull   = `"KeyConditions":{"z":{"ComparisonOperator":"NULL"}}`
		aEqB    = `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"b"}]}}`
		aEqBx   = `"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"b"}}`
		cEqB    = `"KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"b"}]}}`
		cEqBx   = `"KeyConditionExpression":"c = :a","ExpressionAttributeValues":{":a":{"S":"b"}}`
		invalid = "The provided starting key is invalid"
		schema  = "The provided key element does not match the schema"
	)
	tests := []struct{ table, index, keys, alt, esk, msg string }{
		{"hsh", "", zNull, `"KeyConditionExpression":"z = :a","ExpressionAttributeValues":{":a":{"N":"1"}}`, `{}`, invalid},
		{"hsh", "", zNull, "", `{"b":{"S":"a"}}`, invalid},
		{"hsh", "", zNull, "", `{"a":{"S":"a"},"b":{"S":"a"}}`, invalid},
		{"hsh", "", zNull, "", `{"a":{"N":"1"}}`, schema},
		{"hsh", "", zNull, "", `{"a":{"M":{}}}`, schema},
		{"rng", "", zNull, "", `{"z":{"N":"1"}}`, invalid},
		{"rng", "", zNull, "", `{"b":{"S":"a"},"c":{"S":"b"}}`, invalid},
		{"rng", "", zNull, "", `{"a":{"N":"1"},"b":{"S":"a"},"c":{"S":"b"}}`, invalid},
		{"rng", "", zNull, "", `{"a":{"N":"1"},"z":{"S":"a"}}`, schema},
		{"rng", "", zNull, "", `{"a":{"S":"a"},"b":{"N":"1"}}`, "Query condition missed key schema element: a"},
		{"rng", "", zNull, "", `{"a":{"S":"a"},"z":{"S":"1"}}`, "Query condition missed key schema element: a"},
		{"rng", "", aEqB, aEqBx, `{"a":{"S":"a"},"c":{"N":"1"}}`, invalid},
		{"rng", "", aEqB, aEqBx, `{"a":{"S":"a"},"b":{"B":"YQ=="}}`, schema},
		{"rng", "", aEqB, aEqBx, `{"a":{"S":"a"},"b":{"S":"a"}}`, "The provided starting key is outside query boundaries based on provided conditions"},
		{"rng", "", `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"b"}]},"b":{"ComparisonOperator":"GT","AttributeValueList":[{"S":"a"}]}}`,
			`"KeyConditionExpression":"a = :a and b > :b","ExpressionAttributeValues":{":a":{"S":"b"},":b":{"S":"a"}}`,
			`{"a":{"S":"a"},"b":{"S":"a"}}`, "The provided starting key does not match the range key predicate"},
		{"rng", "", `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"b"}]},"b":{"ComparisonOperator":"LT","AttributeValueList":[{"S":"b"}]}}`,
			`"KeyConditionExpression":"a = :a and b < :a","ExpressionAttributeValues":{":a":{"S":"b"}}`,
			`{"a":{"S":"a"},"b":{"S":"a"}}`, "The query can return at most one row and cannot be restarted"},
		{"rng", "index1", zNull, "", `{"a":{"S":"a"},"b":{"S":"a"}}`, invalid},
		{"rng", "index1", zNull, "", `{"a":{"N":"1"},"x":{"S":"1"},"y":{"S":"1"}}`, schema},
		{"rng", "index1", aEqB, aEqBx, `{"a":{"S":"a"},"b":{"S":"a"},"c":{"N":"1"}}`, schema},
		{"rng", "index1", aEqB, aEqBx, `{"a":{"S":"1"},"b":{"N":"1"},"c":{"S":"a"}}`, invalid + ": " + schema},
		{"rng", "index1", `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"b"}]},"b":{"ComparisonOperator":"NULL"}}`, "",
			`{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"a"}}`, "Query condition missed key schema element: c"},
		{"rng", "index3", zNull, "", `{"a":{"S":"a"},"b":{"S":"a"},"z":{"S":"a"}}`, invalid},
		{"rng", "index3", zNull, "", `{"x":{"S":"1"},"y":{"S":"1"},"c":{"N":"1"}}`, schema},
		{"rng", "index3", cEqB, cEqBx, `{"x":{"N":"1"},"y":{"N":"1"},"c":{"S":"a"}}`, invalid + ": " + schema},
		{"rng", "index3", cEqB, cEqBx, `{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"a"}}`, "The provided starting key is outside query boundaries based on provided conditions"},
		{"rng", "index4", cEqB, cEqBx, `{"a":{"N":"1"},"b":{"N":"1"},"c":{"S":"1"},"e":{"N":"1"}}`, invalid},
		{"rng", "index4", `"KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"d":{"ComparisonOperator":"GT","AttributeValueList":[{"S":"a"}]}}`,
			`"KeyConditionExpression":"c = :a and d > :a","ExpressionAttributeValues":{":a":{"S":"a"}}`,
			`{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"b"},"d":{"S":"a"}}`, "The provided starting key does not match the range key predicate"},
		{"rng", "index4", `"KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"d":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}}`, "",
			`{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"c"},"d":{"S":"a"}}`, "The query can return at most one row and cannot be restarted"},
	}
	for _, tc := range tests {
		for _, keys := range []string{tc.keys, tc.alt} {
			if keys == "" {
				continue
			}
			body := `{"TableName":"` + tc.table + `",` + keys + `,"ExclusiveStartKey":` + tc.esk
			if tc.index != "" {
				body += `,"IndexName":"` + tc.index + `"`
			}
			err := rawCall(t, e.db, "Query", body+"}")
			require.Error(t, err, body)
			wantValidation(t, err, tc.msg)
		}
	}
}
