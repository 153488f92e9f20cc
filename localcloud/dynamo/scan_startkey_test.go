package dynamo

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestScanStartKeyChecks: a Scan's ExclusiveStartKey is checked against
// the keys it reads, on an index before Select and the table's own key
// after, then against the segment, and all of it before the filter's key
// paths; messages and order as dynalite's test/scan.js records them from
// DynamoDB. Tables as that suite's: range (a, b) with LSI index1 (a, c),
// GSIs index3 (c) and index4 (c, d; INCLUDE e), and hash (a).
func TestScanStartKeyChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	makeDiffTables(t, e.url)
	const (
		invalid  = "The provided starting key is invalid"
		mismatch = "The provided key element does not match the schema"
		both     = invalid + ": " + mismatch
	)
	tests := []struct {
		request, esks, want string
	}{
		{`"TableName":"range","IndexName":"index1"`,
			`{}|{"z":{"N":"1"}}|{"a":{"B":"abcd"}}|{"a":{"S":"a"}}|{"a":{"S":"a"},"b":{"S":"a"}}|{"a":{"S":"a"},"c":{"S":"a"}}|{"b":{"S":"a"},"c":{"S":"a"}}|{"a":{"S":"a"},"c":{"N":"1"}}|{"a":{"S":"a"},"z":{"S":"1"}}|{"a":{"S":"a"},"b":{"S":"1"},"c":{"S":"1"},"d":{"S":"1"}}`,
			invalid},
		{`"TableName":"range","IndexName":"index3"`,
			`{}|{"z":{"N":"1"}}|{"a":{"S":"a"}}|{"c":{"S":"1"}}|{"a":{"S":"a"},"b":{"S":"a"}}|{"a":{"S":"a"},"b":{"S":"a"},"z":{"S":"a"}}|{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"a"},"z":{"S":"a"}}`,
			invalid},
		{`"TableName":"range","IndexName":"index4","Select":"ALL_ATTRIBUTES"`,
			`{"c":{"S":"1"}}|{"a":{"N":"1"},"b":{"N":"1"},"c":{"S":"1"}}|{"a":{"N":"1"},"b":{"N":"1"},"c":{"S":"1"},"e":{"N":"1"}}|{"a":{"S":"a"},"b":{"S":"1"},"c":{"S":"1"},"d":{"S":"1"},"e":{"S":"1"}}`,
			invalid},
		{`"TableName":"range","IndexName":"index1"`,
			`{"a":{"N":"1"},"x":{"S":"1"},"y":{"S":"1"}}|{"a":{"S":"a"},"b":{"S":"a"},"c":{"N":"1"}}|{"a":{"S":"a"},"b":{"S":"a"},"c":{"B":"YQ=="}}`,
			mismatch},
		{`"TableName":"range","IndexName":"index3"`, `{"x":{"S":"1"},"y":{"S":"1"},"c":{"N":"1"}}|{"a":{"S":"1"},"b":{"S":"1"},"c":{"B":"YQ=="}}`, mismatch},
		{`"TableName":"range","IndexName":"index4"`, `{"x":{"N":"1"},"y":{"N":"1"},"c":{"S":"1"},"d":{"N":"1"}}|{"x":{"N":"1"},"y":{"N":"1"},"c":{"N":"1"},"d":{"S":"1"}}`, mismatch},
		{`"TableName":"range","IndexName":"index4","Select":"ALL_ATTRIBUTES","FilterExpression":"attribute_exists(a.b.c)"`,
			`{"x":{"N":"1"},"y":{"N":"1"},"c":{"S":"a"},"d":{"S":"a"}}`,
			"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index index4 because its projection type is not ALL"},
		{`"TableName":"hash","FilterExpression":"attribute_exists(a.b.c)"`,
			`{}|{"b":{"S":"a"}}|{"a":{"S":"a"},"b":{"S":"a"}}|{"a":{"N":"1"}}|{"a":{"BOOL":true}}|{"a":{"SS":["a"]}}|{"a":{"M":{}}}|{"a":{"L":[]}}`,
			both},
		{`"TableName":"range","IndexName":"index3"`, `{"a":{"N":"1"},"b":{"S":"1"},"c":{"S":"a"}}|{"a":{"S":"1"},"b":{"N":"1"},"c":{"S":"a"}}`, both},
		{`"TableName":"range","IndexName":"index1"`, `{"a":{"S":"1"},"b":{"N":"1"},"c":{"S":"a"}}`, both},
	}
	for _, tc := range tests {
		for _, esk := range strings.Split(tc.esks, "|") {
			wantBody(t, e.svc, "Scan", `{`+tc.request+`,"ExclusiveStartKey":`+esk+`}`, validation(tc.want))
		}
	}
	// A start key from another segment, before the filter's key paths
	// ("0" is in bucket 2347 of 4096: the second of two segments).
	var puts []string
	for i := range 10 {
		puts = append(puts, `{"PutRequest":{"Item":{"a":{"S":"`+strconv.Itoa(i)+`"}}}}`)
	}
	code, out := call(e.svc, "DynamoDB_20120810.BatchWriteItem", []byte(`{"RequestItems":{"hash":[`+strings.Join(puts, ",")+`]}}`))
	require.Equal(t, 200, code, "%s", out)
	wantBody(t, e.svc, "Scan", `{"TableName":"hash","Segment":0,"TotalSegments":2,"FilterExpression":"attribute_exists(a.b.c)","ExclusiveStartKey":{"a":{"S":"0"}}}`,
		validation(invalid+": Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0"))
	code, out = call(e.svc, "DynamoDB_20120810.Scan", []byte(`{"TableName":"hash","Segment":1,"TotalSegments":2,"ExclusiveStartKey":{"a":{"S":"0"}}}`))
	require.Equal(t, 200, code, "the right segment: %s", out)
}
