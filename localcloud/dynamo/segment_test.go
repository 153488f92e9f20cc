package dynamo

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// TestSegmentBuckets: the buckets (of 4,096) a public conformance suite
// measured on DynamoDB for these keys; with 4,096 segments a key's segment
// is its bucket.
func TestSegmentBuckets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key    attr.Value
		bucket int
	}{
		{attr.Str("2"), 668}, {attr.Str("8"), 1017}, {attr.Str("9"), 1103}, {attr.Str("1"), 1166}, {attr.Str("6"), 1380},
		{attr.Str("0"), 2347}, {attr.Str("5"), 2385}, {attr.Str("4"), 2445}, {attr.Str("7"), 3287}, {attr.Str("3"), 3332},
		{attr.Str("3635"), 0}, {attr.Str("228"), 0}, {attr.Str("1668"), 1}, {attr.Str("3435"), 4},
		{attr.Num("251"), 1}, {attr.Num("2388"), 4095},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.bucket, segmentOf(tt.key, 4096), "%v", tt.key)
		// Two segments split the buckets at 2,048.
		assert.Equal(t, tt.bucket/2048, segmentOf(tt.key, 2), "%v", tt.key)
	}
}

// TestNumberBytes: DynamoDB's number serialization, which its key hash
// reads: equal numbers in any notation serialize alike.
func TestNumberBytes(t *testing.T) {
	t.Parallel()
	// The bucket test above holds the serialization to DynamoDB (251 and
	// 2388 land where DynamoDB put them); these pin its parts.
	for num, want := range map[string][]byte{
		"0":       {0x80},
		"-0.0":    {0x80},
		"1":       {0xc1, 2},          // 100^0, mantissa 01
		"100":     {0xc2, 2},          // 100^1, mantissa 01
		"12.3456": {0xc1, 13, 35, 57}, // 12 34 56, each plus one
		"-1":      {0x3e, 100, 102},   // inverted exponent, 101-01, terminator
	} {
		assert.Equal(t, want, numberBytes(num), num)
	}
	// Equal numbers in other notations.
	assert.Equal(t, numberBytes("1"), numberBytes("1.000"))
	assert.Equal(t, numberBytes("1"), numberBytes("0.1e1"))
	assert.Equal(t, numberBytes("-250"), numberBytes("-2.5E+2"))
	assert.NotEqual(t, numberBytes("25"), numberBytes("250"))
	assert.NotEqual(t, numberBytes("25"), numberBytes("-25"))
}

// TestParallelScanSegments: the segments of a parallel Scan are disjoint,
// cover the table, and keep every item of a partition key together.
func TestParallelScanSegments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "seg", withRange("sk", types.ScalarAttributeTypeN))
	for i := range 40 {
		for j := range 3 {
			put(t, e.db, "seg", item{"pk": s(fmt.Sprint(i)), "sk": n(fmt.Sprint(j))})
		}
	}
	for _, total := range []int32{1, 2, 3, 7, 4096} {
		seen := map[string]int32{} // pk/sk -> segment
		for seg := range total {
			out, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("seg"), Segment: aws.Int32(seg), TotalSegments: aws.Int32(total)})
			require.NoError(t, err)
			for _, it := range out.Items {
				k := str(t, it, "pk") + "/" + num(t, it, "sk")
				prev, dup := seen[k]
				require.False(t, dup, "%s in segments %d and %d of %d", k, prev, seg, total)
				seen[k] = seg
				assert.Equal(t, int(seg), segmentOf(attr.Str(str(t, it, "pk")), int(total)))
			}
		}
		assert.Len(t, seen, 120, "the %d segments cover the table", total)
		for k, seg := range seen {
			pk := k[:len(k)-2]
			for j := range 3 {
				assert.Equal(t, seg, seen[fmt.Sprintf("%s/%d", pk, j)], "items of %s together", pk)
			}
		}
	}
}
