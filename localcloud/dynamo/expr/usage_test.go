package expr

import (
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

func mustCondition(t testing.TB, s string) *Condition {
	t.Helper()
	c, err := ParseCondition(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckUsage(t *testing.T) {
	t.Parallel()
	one := attr.Num("1")
	upd, err := ParseUpdate("SET #a = :v")
	if err != nil {
		t.Fatal(err)
	}
	filter, err := ParseFilter("b = :w")
	if err != nil {
		t.Fatal(err)
	}
	proj, err := ParseProjection("#p, q")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := ParseKeyCondition("#k = :k", Names{"#k": "pk"}, Values{":k": attr.Str("x")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		names  Names
		values Values
		exprs  []Used
		err    string
	}{
		{name: "all used", values: Values{":v": one}, exprs: []Used{mustCondition(t, "a = :v")}},
		{name: "nothing", exprs: nil},
		{name: "nil expressions skipped", values: Values{":w": one}, exprs: []Used{(*Condition)(nil), filter, (*Update)(nil), (*Projection)(nil)}},
		{name: "spread over expressions", names: Names{"#a": "a", "#p": "p", "#k": "pk"}, values: Values{":v": one, ":w": one, ":k": one}, exprs: []Used{upd, filter, proj, kc}},
		{name: "unused value", values: Values{":v": one, ":x": one}, exprs: []Used{mustCondition(t, "a = :v")},
			err: "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"},
		{name: "unused values sorted", values: Values{":v": one, ":z": one, ":y": one}, exprs: []Used{mustCondition(t, "a = :v")},
			err: "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y, :z}"},
		{name: "unused name", names: Names{"#a": "a", "#b": "b"}, values: Values{":v": one}, exprs: []Used{mustCondition(t, "#a = :v")},
			err: "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"},
		{name: "undefined value", values: Values{":v": one}, exprs: []Used{mustCondition(t, "a = :v OR a = :y")},
			err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :y"},
		{name: "undefined value in update", exprs: []Used{upd}, names: Names{"#a": "a"},
			err: "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"},
		{name: "undefined name", values: Values{":v": one}, exprs: []Used{mustCondition(t, "#z = :v")},
			err: "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #z"},
		{name: "undefined name in projection", exprs: []Used{proj},
			err: "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #p"},
		{name: "undefined value in filter", values: Values{":v": one}, exprs: []Used{filter},
			err: "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :w"},
		{name: "names without expressions", names: Names{"#a": "a"},
			err: "ExpressionAttributeNames can only be specified when using expressions"},
		{name: "values without expressions", values: Values{":a": one}, exprs: []Used{(*Condition)(nil)},
			err: "ExpressionAttributeValues can only be specified when using expressions"},
		{name: "empty names", names: Names{}, values: Values{":v": one}, exprs: []Used{mustCondition(t, "a = :v")},
			err: "ExpressionAttributeNames must not be empty"},
		{name: "empty values", values: Values{}, exprs: []Used{mustCondition(t, "attribute_exists(a)")},
			err: "ExpressionAttributeValues must not be empty"},
		{name: "bad value key", values: Values{"v": one}, exprs: []Used{mustCondition(t, "attribute_exists(a)")},
			err: `ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{name: "bad name key", names: Names{"a": "a"}, exprs: []Used{mustCondition(t, "attribute_exists(a)")},
			err: `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{name: "invalid value", values: Values{":v": attr.NumSet()}, exprs: []Used{mustCondition(t, "a = :v")},
			err: "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  may not be empty for key :v"},
		{name: "first undefined in expression order", names: Names{"#x": "x"}, values: Values{":x": one}, exprs: []Used{mustCondition(t, "a = :v AND #n = :w OR #x = :x")},
			err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"},
		{name: "type errors before unused", values: Values{":s": attr.Str("x"), ":u": one}, exprs: []Used{mustCondition(t, "a < :s AND begins_with(a, :u)")},
			err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{name: "update before condition", values: Values{":v": one}, exprs: []Used{upd, mustCondition(t, "#zz = :v")},
			err: "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"},
		{name: "invalid number value", values: Values{":v": attr.Num("1x")}, exprs: []Used{mustCondition(t, "a = :v")},
			err: "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: 1x for key :v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUsage(tt.names, tt.values, tt.exprs...)
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("got %q, want %q", msg, tt.err)
			}
		})
	}
}
