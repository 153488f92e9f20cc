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

// TestBatchGetCapacity: BatchGetItem charges each key its item's 4 KB
// units (a missing item one unit), halved for eventually consistent reads,
// and its ConsumedCapacity has only the fields DynamoDB sends.
func TestBatchGetCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "cap1")
	createTable(t, e.db, "cap2")
	// An item's size is its names' and values' lengths: "pk" + key + "v" + v.
	put(t, e.db, "cap1", item{"pk": s("under"), "v": s(strings.Repeat("x", 4095-2-5-1))}) // 4,095 bytes: one unit
	put(t, e.db, "cap1", item{"pk": s("over"), "v": s(strings.Repeat("x", 4097-2-4-1))})  // 4,097 bytes: two
	put(t, e.db, "cap1", item{"pk": s("small")})
	tests := []struct {
		big        string
		consistent bool
		want       float64
	}{
		{"under", false, 1.5}, {"over", false, 2}, {"under", true, 3}, {"over", true, 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s consistent=%v", tt.big, tt.consistent), func(t *testing.T) {
			for _, mode := range []types.ReturnConsumedCapacity{types.ReturnConsumedCapacityTotal, types.ReturnConsumedCapacityIndexes} {
				out, err := e.db.BatchGetItem(c, &dynamodb.BatchGetItemInput{ReturnConsumedCapacity: mode, RequestItems: map[string]types.KeysAndAttributes{
					"cap1": {Keys: []item{{"pk": s(tt.big)}, {"pk": s("small")}, {"pk": s("missing")}}, ConsistentRead: aws.Bool(tt.consistent)},
					"cap2": {Keys: []item{{"pk": s("missing")}}, ConsistentRead: aws.Bool(tt.consistent)},
				}})
				require.NoError(t, err)
				assert.Len(t, out.Responses["cap1"], 2)
				assert.Empty(t, out.UnprocessedKeys)
				require.Len(t, out.ConsumedCapacity, 2)
				missing := 0.5
				if tt.consistent {
					missing = 1
				}
				for _, cc := range out.ConsumedCapacity {
					want := tt.want
					if aws.ToString(cc.TableName) == "cap2" {
						want = missing
					}
					assert.Equal(t, want, aws.ToFloat64(cc.CapacityUnits), "%s %s", mode, aws.ToString(cc.TableName))
					assert.Nil(t, cc.ReadCapacityUnits, "DynamoDB sends no ReadCapacityUnits here")
					assert.Nil(t, cc.WriteCapacityUnits)
					assert.Nil(t, cc.GlobalSecondaryIndexes)
					if mode == types.ReturnConsumedCapacityIndexes {
						require.NotNil(t, cc.Table)
						assert.Equal(t, want, aws.ToFloat64(cc.Table.CapacityUnits))
					} else {
						assert.Nil(t, cc.Table)
					}
				}
			}
		})
	}
}

// TestBatchGetUnprocessedKeys: an answer stops before 16 MB of items and
// leaves the rest in UnprocessedKeys with the table's options; a learner's
// retry loop, as AWS's documentation writes it, gets every item.
func TestBatchGetUnprocessedKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "big")
	const n = 45 // 45 items of 380 KB: 17.1 MB
	var keys []item
	for i := range n {
		k := fmt.Sprintf("k%02d", i)
		put(t, e.db, "big", item{"pk": s(k), "v": s(strings.Repeat("x", 380*1024))})
		keys = append(keys, item{"pk": s(k)})
	}
	req := map[string]types.KeysAndAttributes{"big": {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("#p"),
		ExpressionAttributeNames: map[string]string{"#p": "pk"}}}
	got := map[string]bool{}
	calls := 0
	for len(req) > 0 {
		calls++
		require.LessOrEqual(t, calls, 10, "the retry loop does not end")
		out, err := e.db.BatchGetItem(c, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		require.NoError(t, err)
		for _, it := range out.Responses["big"] {
			assert.Len(t, it, 1, "projection kept on the retry")
			got[str(t, it, "pk")] = true
		}
		if calls == 1 {
			left := out.UnprocessedKeys["big"]
			require.NotEmpty(t, left.Keys, "17 MB of items in one answer")
			assert.Equal(t, n, len(out.Responses["big"])+len(left.Keys), "every key answered or left")
			assert.Equal(t, aws.Bool(true), left.ConsistentRead)
			assert.Equal(t, "#p", aws.ToString(left.ProjectionExpression))
			assert.Equal(t, map[string]string{"#p": "pk"}, left.ExpressionAttributeNames)
			// Only the items returned are charged: 96 units each (389,126 bytes).
			assert.Equal(t, float64(96*len(out.Responses["big"])), aws.ToFloat64(out.ConsumedCapacity[0].CapacityUnits))
		}
		req = out.UnprocessedKeys
	}
	assert.Len(t, got, n)
	assert.Equal(t, 2, calls)
}
