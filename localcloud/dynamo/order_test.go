package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// TestScanOrder: a Scan returns partitions in their key's hash order, the
// order of the buckets DynamoDB puts "0" to "9" in (TestSegmentBuckets),
// with and without an ExclusiveStartKey.
func TestScanOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "scanorder")
	for _, k := range strings.Split("0,1,2,3,4,5,6,7,8,9", ",") {
		put(t, e.db, "scanorder", item{"pk": s(k)})
	}
	keys := func(items []item) string {
		var out []string
		for _, it := range items {
			out = append(out, str(t, it, "pk"))
		}
		return strings.Join(out, ",")
	}
	out, err := e.db.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("scanorder")})
	require.NoError(t, err)
	assert.Equal(t, "2,8,9,1,6,0,5,4,7,3", keys(out.Items))
	out, err = e.db.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("scanorder"), ExclusiveStartKey: item{"pk": s("6")}, Limit: aws.Int32(3)})
	require.NoError(t, err)
	assert.Equal(t, "0,5,4", keys(out.Items))
	assert.Equal(t, item{"pk": s("4")}, out.LastEvaluatedKey)
}

// TestIndexTieOrder: items sharing a global index key come in the hash
// order of their table key, forwards and backwards, as dynalite's
// test/query.js records from DynamoDB ("should query on basic hash global
// index" and "should query in reverse on basic hash global index").
func TestIndexTieOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cloudtest.CreateTable(t, e.db, &dynamodb.CreateTableInput{TableName: aws.String("tie"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("a"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("b"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("c"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("a"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("b"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("index3"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("c"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}})
	// The suite's item, item2 ... item7 (item5 has another index key).
	names := []string{"item", "item2", "item3", "item4", "item5", "item6", "item7"}
	ab := [][2]string{{"a", "a"}, {"b", "b"}, {"c", "e"}, {"c", "d"}, {"c", "c"}, {"d", "a"}, {"e", "a"}}
	for i, k := range ab {
		c := "shared"
		if names[i] == "item5" {
			c = "c"
		}
		put(t, e.db, "tie", item{"a": s(k[0]), "b": s(k[1]), "c": s(c)})
	}
	name := func(it item) string {
		for i, k := range ab {
			if str(t, it, "a") == k[0] && str(t, it, "b") == k[1] {
				return names[i]
			}
		}
		return "?"
	}
	for _, tc := range []struct {
		forward bool
		want    string
	}{
		{true, "item2,item,item3,item7"},
		{false, "item4,item6,item7,item3"},
	} {
		out, err := e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("tie"), IndexName: aws.String("index3"),
			KeyConditionExpression: aws.String("c = :c"), ExpressionAttributeValues: item{":c": s("shared")},
			ScanIndexForward: aws.Bool(tc.forward), Limit: aws.Int32(4)})
		require.NoError(t, err)
		var got []string
		for _, it := range out.Items {
			got = append(got, name(it))
		}
		assert.Equal(t, tc.want, strings.Join(got, ","), "forward %v", tc.forward)
	}
}

// TestKeyValueRoundTrip: a key encoding decodes to a value that hashes as
// the original, whatever the number's spelling.
func TestKeyValueRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []attr.Value{attr.Str("abc"), attr.Str(""), {Kind: attr.B, Bytes: []byte{0, 1, 255}},
		attr.Num("0"), attr.Num("-0.00"), attr.Num("1"), attr.Num("12.3456"), attr.Num("-99.1"), attr.Num("1e-130"),
		attr.Num("-1.23456789012345678901234567890123456789E+125"), attr.Num("2388"), attr.Num("100"), attr.Num("-100")} {
		got, ok := attr.KeyValue(attr.KeyBytes(v))
		require.True(t, ok, "%v", v)
		assert.Equal(t, keyBytes(v), keyBytes(got), "%v decoded as %v", v, got)
	}
}
