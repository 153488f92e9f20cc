package dynamo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPageBoundary holds Scan's 1 MB page to the boundary DynamoDB was
// measured at (a public conformance suite run against DynamoDB): 25 items,
// the first 23 of about 43 KB under a long or a short attribute name, the
// 24th of mixed types sized to the byte, the 25th small. One byte more in
// the 24th item's string and the page ends after it, with the capacity of
// the 24 items read.
func TestPageBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		longName         bool // the big attribute's name: 255 characters or "b"
		secondLast       int  // the 24th item's string length
		scanned          int32
		capacity         float64
		lastEvaluatedKey bool // required (the suite does not say for "just under")
	}{
		{"just under", true, 43366, 25, 128, false},
		{"just over", false, 43367, 24, 127.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := ctx(t)
			createHashA(t, e, "page")
			for i := range 25 {
				put(t, e.db, "page", item{"a": s(fmt.Sprintf("%02d", i))})
			}
			// The sizes go by scan order, as the suite assigns them.
			first, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("page")})
			require.NoError(t, err)
			require.Len(t, first.Items, 25)
			b, big := strings.Repeat("b", 43411), "b"
			if tt.longName {
				big = strings.Repeat("b", 255)
			}
			for i, it := range first.Items {
				switch i {
				case 23:
					it["b"] = s(b[:tt.secondLast])
					it["c"] = n("12.3456")
					it["d"] = &types.AttributeValueMemberB{Value: []byte{1, 2}}
					it["e"] = ss("a", "bc")
					it["f"] = &types.AttributeValueMemberNS{Value: []string{"1.23", "12.3"}}
					it["g"] = &types.AttributeValueMemberBS{Value: [][]byte{{1, 2}, {2}, {1}}}
				case 24:
					it[big] = s(strings.Repeat("b", 99))
				default:
					it[big] = s(b)
				}
				put(t, e.db, "page", it)
			}
			out, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("page"), Select: types.SelectCount, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			require.NoError(t, err)
			assert.Equal(t, tt.scanned, out.ScannedCount)
			assert.Equal(t, tt.scanned, out.Count)
			assert.Equal(t, tt.capacity, aws.ToFloat64(out.ConsumedCapacity.CapacityUnits))
			if tt.lastEvaluatedKey {
				assert.NotNil(t, out.LastEvaluatedKey, "an item is left for the next page")
			}
		})
	}
}

// createHashA makes a table keyed by string "a", like the suite's hash table.
func createHashA(t *testing.T, e *env, name string) {
	t.Helper()
	createTable(t, e.db, name, func(in *dynamodb.CreateTableInput) {
		in.KeySchema = []types.KeySchemaElement{{AttributeName: aws.String("a"), KeyType: types.KeyTypeHash}}
		in.AttributeDefinitions = []types.AttributeDefinition{{AttributeName: aws.String("a"), AttributeType: types.ScalarAttributeTypeS}}
	})
}
