package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The messages below are DynamoDB's, per member type, as recorded by a
// conformance suite run against real DynamoDB (they are not this
// package's output copied back).
var typeCases = map[string][]struct {
	value any
	msg   string
}{
	"Boolean": {
		{"23", "'23' can not be converted to an Boolean"},
		{23, "class java.lang.Short can not be converted to an Boolean"},
		{-2147483648, "class java.lang.Integer can not be converted to an Boolean"},
		{2147483648, "class java.lang.Long can not be converted to an Boolean"},
		{[]any{}, "Start of list found where not expected"},
		{map[string]any{}, "Start of structure or map found where not expected."},
	},
	"String": {
		{true, "class java.lang.Boolean can not be converted to an String"},
		{23, "class java.lang.Short can not be converted to an String"},
		{-2147483648, "class java.lang.Integer can not be converted to an String"},
		{2147483648, "class java.lang.Long can not be converted to an String"},
		{34.56, "class java.lang.Double can not be converted to an String"},
		{[]any{}, "Start of list found where not expected"},
		{map[string]any{}, "Start of structure or map found where not expected."},
	},
	"Integer": {
		{"23", "class java.lang.String can not be converted to an Integer"},
		{true, "class java.lang.Boolean can not be converted to an Integer"},
		{[]any{}, "Start of list found where not expected"},
		{map[string]any{}, "Start of structure or map found where not expected."},
	},
	"Long": {
		{"23", "class java.lang.String can not be converted to an Long"},
		{true, "class java.lang.Boolean can not be converted to an Long"},
		{[]any{}, "Start of list found where not expected"},
		{map[string]any{}, "Start of structure or map found where not expected."},
	},
	"Blob": {
		{true, "class java.lang.Boolean can not be converted to a Blob"},
		{23, "class java.lang.Short can not be converted to a Blob"},
		{-2147483648, "class java.lang.Integer can not be converted to a Blob"},
		{2147483648, "class java.lang.Long can not be converted to a Blob"},
		{34.56, "class java.lang.Double can not be converted to a Blob"},
		{[]any{}, "Start of list found where not expected"},
		{map[string]any{}, "Start of structure or map found where not expected."},
		{"23456", "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"},
		{"=+/=", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"},
		{"+/+=", "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
	},
	"List": {
		{"23", "Expected list or null"}, {true, "Expected list or null"}, {23, "Expected list or null"},
		{-2147483648, "Expected list or null"}, {2147483648, "Expected list or null"}, {34.56, "Expected list or null"},
		{map[string]any{}, "Start of structure or map found where not expected."},
	},
	"Map": {
		{"23", "Expected map or null"}, {true, "Expected map or null"}, {23, "Expected map or null"},
		{-2147483648, "Expected map or null"}, {2147483648, "Expected map or null"}, {34.56, "Expected map or null"},
		{[]any{}, "Start of list found where not expected"},
	},
	"Structure": {
		{"23", "Expected null"}, {true, "Expected null"}, {23, "Expected null"},
		{-2147483648, "Expected null"}, {2147483648, "Expected null"}, {34.56, "Expected null"},
		{[]any{}, "Start of list found where not expected"},
	},
}

// attrPaths are the members of an AttributeValue at property and their
// types, nested lists and maps included.
func attrPaths(p string) [][2]string {
	return [][2]string{
		{p, "Structure"}, {p + ".S", "String"}, {p + ".N", "String"}, {p + ".B", "Blob"},
		{p + ".BOOL", "Boolean"}, {p + ".NULL", "Boolean"},
		{p + ".SS", "List"}, {p + ".SS.0", "String"}, {p + ".NS", "List"}, {p + ".NS.0", "String"},
		{p + ".BS", "List"}, {p + ".BS.0", "Blob"}, {p + ".L", "List"}, {p + ".L.0", "Structure"},
		{p + ".L.0.BS", "List"}, {p + ".L.0.BS.0", "Blob"}, {p + ".M", "Map"}, {p + ".M.a", "Structure"},
		{p + ".M.a.BS", "List"}, {p + ".M.a.BS.0", "Blob"},
	}
}

// body builds the request holding value at path ("Item.a.L.0": a "0"
// piece makes a list).
func body(path string, value any) []byte {
	pieces := strings.Split(path, ".")
	var build func(i int) any
	build = func(i int) any {
		if i == len(pieces) {
			return value
		}
		if pieces[i] == "0" {
			return []any{build(i + 1)}
		}
		return map[string]any{pieces[i]: build(i + 1)}
	}
	b, _ := json.Marshal(build(0))
	return b
}

func TestCheckTypes(t *testing.T) {
	t.Parallel()
	props := []struct{ op, path, typ string }{
		{"CreateTable", "TableName", "String"},
		{"CreateTable", "AttributeDefinitions", "List"},
		{"CreateTable", "AttributeDefinitions.0", "Structure"},
		{"CreateTable", "ProvisionedThroughput.ReadCapacityUnits", "Long"},
		{"CreateTable", "StreamSpecification.StreamEnabled", "Boolean"},
		{"CreateTable", "Tags", "List"},
		{"Scan", "Segment", "Integer"},
		{"Scan", "Limit", "Integer"},
		{"Scan", "ExpressionAttributeNames", "Map"},
		{"Scan", "ExpressionAttributeNames.a", "String"},
		{"Query", "ScanIndexForward", "Boolean"},
		{"GetItem", "ConsistentRead", "Boolean"},
		{"BatchGetItem", "RequestItems", "Map"},
		{"BatchGetItem", "RequestItems.abc", "Structure"},
		{"BatchWriteItem", "RequestItems.abc.0.PutRequest", "Structure"},
		{"DeleteItem", "Key", "Map"},
		{"UpdateItem", "AttributeUpdates.a.Value", "Structure"},
		{"TransactWriteItems", "TransactItems.0.Update.Key", "Map"},
	}
	for _, p := range attrPaths("Item.a") {
		props = append(props, struct{ op, path, typ string }{"PutItem", p[0], p[1]})
	}
	for _, p := range attrPaths("ExpressionAttributeValues.:v") {
		props = append(props, struct{ op, path, typ string }{"Query", p[0], p[1]})
	}
	n := 0
	for _, p := range props {
		for _, c := range typeCases[p.typ] {
			b := body(p.path, c.value)
			err := Check(p.op, b)
			if assert.IsType(t, &SerializationError{}, err, "%s %s", p.op, b) {
				assert.Equal(t, c.msg, err.Error(), "%s %s", p.op, b)
			}
			n++
		}
	}
	t.Logf("%d type cases", n)
}

func TestCheckAccepts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ op, body string }{
		{"PutItem", `{"TableName":"abc","Item":{"a":{"S":"x"},"b":{"B":"AAE="},"c":{"L":[{"M":{"x":{"NULL":true}}}]},"d":{"BS":["","QQ=="]}}}`},
		{"PutItem", `{"TableName":null,"Item":null,"Unknown":{"any":[1,"x",true,null]}}`},
		{"Scan", `{"Limit":34.56,"ConsistentRead":34.56}`}, // DynamoDB accepts fractions here
		{"NoSuchOperation", `{"TableName":5}`},
	} {
		assert.NoError(t, Check(c.op, []byte(c.body)), "%s %s", c.op, c.body)
	}
	for _, b := range []string{`{"TableName":`, ``, `hi`, `{} x`, `{"a" 1}`, `{"Unknown":[1 2]}`} {
		assert.ErrorIs(t, Check("PutItem", []byte(b)), ErrMalformed, "%q", b)
	}
}

// FuzzCheck: Check terminates on any input and every verdict is one of
// DynamoDB's serialization messages.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"TableName":"abc","Item":{"a":{"L":[{"S":"x"},{"B":"QQ=="}]}}}`))
	f.Add([]byte(`{"Item":{"a":{"M":{"b":{"SS":[1]}}}}}`))
	f.Add([]byte(`[{"x":`))
	known := []string{"Start of list found where not expected", "Start of structure or map found where not expected.",
		"Expected list or null", "Expected map or null", "Expected null", "class java.", "'"}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check("PutItem", b)
		if err == nil || err == ErrMalformed {
			return
		}
		se, ok := err.(*SerializationError)
		if !ok {
			t.Fatalf("%q: %T %v", b, err, err)
		}
		for _, k := range known {
			if strings.HasPrefix(se.Msg, k) {
				return
			}
		}
		t.Fatalf("%q: unknown message %q", b, se.Msg)
	})
}

// BenchmarkCheckPutItem is the cost Check adds to a PutItem request of the
// size the dynamo package's PutItem benchmarks send.
func BenchmarkCheckPutItem(b *testing.B) {
	body := []byte(`{"TableName":"bench","Item":{"pk":{"S":"user#000123"},"sk":{"N":"42"},"name":{"S":"Ada Lovelace"},"tags":{"SS":["a","b","c"]},"profile":{"M":{"age":{"N":"36"},"langs":{"L":[{"S":"en"},{"S":"fr"}]}}}},"ReturnValues":"NONE"}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Check("PutItem", body); err != nil {
			b.Fatal(err)
		}
	}
}
