package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The messages below are DynamoDB's, per member type, as the newest
// version of a conformance suite run against real DynamoDB records them
// (Jackson token names; the older "class java.lang.Short can not be
// converted to an String" texts are gone). They are not this package's
// output copied back. The kinds: FieldStruct is a structure that is a
// member of a structure, ValueStruct one that is a list element or map
// value; ParameterizedList is a list that is a map value and
// ParameterizedMap a map that is a list element.
const suiteCastMsg = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class " +
	"(sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')"

type typeCase struct {
	value any
	msg   string
}

func scalarsSay(msg string) []typeCase {
	return []typeCase{{"23", msg}, {true, msg}, {23, msg}, {-2147483648, msg}, {2147483648, msg}, {34.56, msg}}
}

// typeCases are the values sent to a member of type typ and DynamoDB's
// answers; sub names the structure (or, for maps, the value type).
func typeCases(typ, sub string) []typeCase {
	switch typ {
	case "Boolean":
		return []typeCase{
			{"23", "Unexpected token received from parser"},
			{23, "NUMBER_VALUE cannot be converted to Boolean"},
			{-2147483648, "NUMBER_VALUE cannot be converted to Boolean"},
			{2147483648, "NUMBER_VALUE cannot be converted to Boolean"},
			{34.56, "DECIMAL_VALUE cannot be converted to Boolean"},
			{[]any{}, "Unrecognized collection type class java.lang.Boolean"},
			{map[string]any{}, "Start of structure or map found where not expected"},
		}
	case "String":
		return []typeCase{
			{true, "TRUE_VALUE cannot be converted to String"},
			{false, "FALSE_VALUE cannot be converted to String"},
			{23, "NUMBER_VALUE cannot be converted to String"},
			{-2147483648, "NUMBER_VALUE cannot be converted to String"},
			{2147483648, "NUMBER_VALUE cannot be converted to String"},
			{34.56, "DECIMAL_VALUE cannot be converted to String"},
			{[]any{}, "Unrecognized collection type class java.lang.String"},
			{map[string]any{}, "Start of structure or map found where not expected"},
		}
	case "Integer", "Long":
		return []typeCase{
			{"23", "STRING_VALUE cannot be converted to " + typ},
			{true, "TRUE_VALUE cannot be converted to " + typ},
			{false, "FALSE_VALUE cannot be converted to " + typ},
			{[]any{}, "Unrecognized collection type class java.lang." + typ},
			{map[string]any{}, "Start of structure or map found where not expected"},
		}
	case "Blob":
		return []typeCase{
			{true, "only base-64-encoded strings are convertible to bytes"},
			{23, "only base-64-encoded strings are convertible to bytes"},
			{-2147483648, "only base-64-encoded strings are convertible to bytes"},
			{2147483648, "only base-64-encoded strings are convertible to bytes"},
			{34.56, "only base-64-encoded strings are convertible to bytes"},
			{[]any{}, "Unrecognized collection type class java.nio.ByteBuffer"},
			{map[string]any{}, "Start of structure or map found where not expected"},
			{"23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"},
			{"=+/=", "Invalid last non-pad Base64 character dectected"},
			{"+/+=", "Invalid last non-pad Base64 character dectected"},
		}
	case "List":
		return append(scalarsSay("Unexpected field type"), typeCase{map[string]any{}, "Start of structure or map found where not expected"})
	case "ParameterizedList":
		return append(scalarsSay(suiteCastMsg), typeCase{map[string]any{}, "Start of structure or map found where not expected"})
	case "ParameterizedMap":
		return append(scalarsSay(suiteCastMsg), typeCase{[]any{}, "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"})
	case "Map":
		if !strings.Contains(sub, ".") {
			sub = "com.amazonaws.dynamodb.v20120810." + sub
		}
		return append(scalarsSay("Unexpected field type"), typeCase{[]any{}, "Unrecognized collection type java.util.Map<java.lang.String, " + sub + ">"})
	case "ValueStruct":
		return append(scalarsSay("Unexpected value type in payload"), typeCase{[]any{}, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810." + sub})
	case "FieldStruct":
		return append(scalarsSay("Unexpected field type"), typeCase{[]any{}, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810." + sub})
	}
	panic("unknown type " + typ)
}

// attrPaths are the members of an AttributeValue at property and their
// types, nested lists and maps included; outer is its own kind
// (ValueStruct as a map value, FieldStruct as a structure's member).
func attrPaths(p, outer string) [][3]string {
	return [][3]string{
		{p, outer, "AttributeValue"}, {p + ".S", "String"}, {p + ".N", "String"}, {p + ".B", "Blob"},
		{p + ".BOOL", "Boolean"}, {p + ".NULL", "Boolean"},
		{p + ".SS", "List"}, {p + ".SS.0", "String"}, {p + ".NS", "List"}, {p + ".NS.0", "String"},
		{p + ".BS", "List"}, {p + ".BS.0", "Blob"}, {p + ".L", "List"}, {p + ".L.0", "ValueStruct", "AttributeValue"},
		{p + ".L.0.BS", "List"}, {p + ".L.0.BS.0", "Blob"}, {p + ".M", "Map", "AttributeValue"}, {p + ".M.a", "ValueStruct", "AttributeValue"},
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
	type prop struct{ op, path, typ, sub string }
	props := []prop{
		{"CreateTable", "TableName", "String", ""},
		{"CreateTable", "AttributeDefinitions", "List", ""},
		{"CreateTable", "AttributeDefinitions.0", "ValueStruct", "AttributeDefinition"},
		{"CreateTable", "ProvisionedThroughput", "FieldStruct", "ProvisionedThroughput"},
		{"CreateTable", "ProvisionedThroughput.ReadCapacityUnits", "Long", ""},
		{"CreateTable", "LocalSecondaryIndexes.0.Projection", "FieldStruct", "Projection"},
		{"CreateTable", "StreamSpecification.StreamEnabled", "Boolean", ""},
		{"CreateTable", "Tags", "List", ""},
		{"Scan", "Segment", "Integer", ""},
		{"Scan", "Limit", "Integer", ""},
		{"Scan", "ExpressionAttributeNames", "Map", "java.lang.String"},
		{"Scan", "ExpressionAttributeNames.a", "String", ""},
		{"Scan", "ScanFilter.a", "ValueStruct", "Condition"},
		{"Query", "ScanIndexForward", "Boolean", ""},
		{"GetItem", "ConsistentRead", "Boolean", ""},
		{"BatchGetItem", "RequestItems", "Map", "KeysAndAttributes"},
		{"BatchGetItem", "RequestItems.abc", "ValueStruct", "KeysAndAttributes"},
		{"BatchGetItem", "RequestItems.abc.Keys.0", "ParameterizedMap", ""},
		{"BatchWriteItem", "RequestItems", "Map", "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>"},
		{"BatchWriteItem", "RequestItems.abc", "ParameterizedList", ""},
		{"BatchWriteItem", "RequestItems.abc.0", "ValueStruct", "WriteRequest"},
		{"BatchWriteItem", "RequestItems.abc.0.PutRequest", "FieldStruct", "PutRequest"},
		{"DeleteItem", "Key", "Map", "AttributeValue"},
		{"UpdateItem", "AttributeUpdates.a", "ValueStruct", "AttributeValueUpdate"},
		{"UpdateItem", "AttributeUpdates.a.Value", "FieldStruct", "AttributeValue"},
		{"UpdateTable", "GlobalSecondaryIndexUpdates.0.Update", "FieldStruct", "UpdateGlobalSecondaryIndexAction"},
		{"TagResource", "Tags.0", "ValueStruct", "Tag"},
		{"TransactWriteItems", "TransactItems.0.Update.Key", "Map", "AttributeValue"},
	}
	for _, p := range attrPaths("Item.a", "ValueStruct") {
		props = append(props, prop{"PutItem", p[0], p[1], p[2]})
	}
	for _, p := range attrPaths("ExpressionAttributeValues.:v", "ValueStruct") {
		props = append(props, prop{"Query", p[0], p[1], p[2]})
	}
	for _, p := range attrPaths("Expected.a.Value", "FieldStruct") {
		props = append(props, prop{"PutItem", p[0], p[1], p[2]})
	}
	n := 0
	for _, p := range props {
		for _, c := range typeCases(p.typ, p.sub) {
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
		{"Scan", `{"Limit":34.56,"Segment":1e2}`}, // DynamoDB truncates fractions of numbers
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
	known := []string{"Start of structure or map found where not expected", "Unrecognized collection type ",
		"Unexpected field type", "Unexpected value type in payload", "Unexpected token received from parser", suiteCastMsg,
		"only base-64-encoded strings", "Base64 encoded length", "Invalid last non-pad Base64", "STRING_VALUE cannot",
		"TRUE_VALUE cannot", "FALSE_VALUE cannot", "NUMBER_VALUE cannot", "DECIMAL_VALUE cannot"}
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
