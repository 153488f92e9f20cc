package expr

import (
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

func keyValues() Values {
	return Values{
		":s": attr.Str("user#1"), ":s2": attr.Str("x"), ":p": attr.Str("order#"),
		":n": attr.Num("5"), ":n1": attr.Num("1"), ":n2": attr.Num("10"),
		":b": attr.Bin([]byte{1}), ":m": attr.Map(map[string]attr.Value{}), ":bool": attr.Bool(true), ":t": attr.Str("S"),
	}
}

func TestKeyCondition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr      string
		hash      string
		hashValue attr.Value
		rng       *RangeCondition
		err       string
	}{
		{expr: "pk = :s", hash: "pk", hashValue: attr.Str("user#1")},
		{expr: "pk = :s AND sk > :n", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: ">", Values: []attr.Value{attr.Num("5")}}},
		{expr: "pk = :s and sk <= :n", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "<=", Values: []attr.Value{attr.Num("5")}}},
		{expr: "sk BETWEEN :n1 AND :n2 AND pk = :s", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "BETWEEN", Values: []attr.Value{attr.Num("1"), attr.Num("10")}}},
		{expr: "begins_with(sk, :p) AND pk = :s", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "begins_with", Values: []attr.Value{attr.Str("order#")}}},
		{expr: "#pk = :s AND #sk < :n", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "<", Values: []attr.Value{attr.Num("5")}}},
		{expr: "(pk = :s) AND (sk >= :n)", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: ">=", Values: []attr.Value{attr.Num("5")}}},
		{expr: "pk = :s AND sk = :n", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "=", Values: []attr.Value{attr.Num("5")}}},
		{expr: "((#pk = :s)) AND ((#sk = :n))", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: "=", Values: []attr.Value{attr.Num("5")}}},
		{expr: "(pk = :s AND sk > :n)", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: ">", Values: []attr.Value{attr.Num("5")}}},
		{expr: "#pk = :s AND :n <= #sk", hash: "pk", hashValue: attr.Str("user#1"), rng: &RangeCondition{Name: "sk", Op: ">=", Values: []attr.Value{attr.Num("5")}}},
		{expr: "pk = :b", hash: "pk", hashValue: attr.Bin([]byte{1})},
		{expr: "sk > :n", rng: &RangeCondition{Name: "sk", Op: ">", Values: []attr.Value{attr.Num("5")}}},
		{expr: "", err: "Invalid KeyConditionExpression: The expression can not be empty;"},
		{expr: "pk = :s OR sk = :n", err: "Invalid operator used in KeyConditionExpression: OR"},
		{expr: "pk <> :s", err: "Invalid operator used in KeyConditionExpression: <>"},
		{expr: "NOT pk = :s", err: "Invalid operator used in KeyConditionExpression: NOT"},
		{expr: "pk IN (:s)", err: "Invalid operator used in KeyConditionExpression: IN"},
		{expr: "pk = :s AND contains(sk, :s2)", err: "Invalid operator used in KeyConditionExpression: contains"},
		{expr: "attribute_exists(pk)", err: "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{expr: "pk = :s AND sk = :n AND x = :n", err: "Conditions can be of length 1 or 2 only"},
		{expr: "b > :n AND b < :n and c = :n and d = :n", err: "KeyConditionExpressions must only contain one condition per key"},
		{expr: "(a > :n and b > :n) and (b > :n and c > :n)", err: "KeyConditionExpressions must only contain one condition per key"},
		{expr: "a > b and size(b) > c or a > c", err: "Invalid operator used in KeyConditionExpression: OR"},
		{expr: "a in (b, size(c), d)", err: "Invalid operator used in KeyConditionExpression: IN"},
		{expr: "attribute_type(a, :s)", err: "Invalid KeyConditionExpression: Invalid attribute type name found; type: user#1, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{expr: "attribute_type(a, :n)", err: "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{expr: "attribute_type(a, :t)", err: "Invalid operator used in KeyConditionExpression: attribute_type"},
		{expr: ":s between size(b) and size(a) and b > :s", err: "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
		{expr: "begins_with(:s, b) and a > :s", err: "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
		{expr: "size(b) > a AND a.b > b AND b > c", err: "KeyConditionExpressions cannot contain nested operations"},
		{expr: "a > size(b.d)", err: "KeyConditionExpressions cannot contain nested operations"},
		{expr: "a between size(b) and size(a)", err: "KeyConditionExpressions cannot contain nested operations"},
		{expr: "b > a.b", err: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{expr: "b between c[1] and d", err: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{expr: "a between b and size(a)", err: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{expr: "b.d > a AND c.d > e.f", err: "KeyConditionExpressions cannot have conditions on nested attributes"},
		{expr: "b[0] > a", err: "KeyConditionExpressions cannot have conditions on nested attributes"},
		{expr: ":s > :n AND a < :n", err: "Invalid condition in KeyConditionExpression: No key attribute specified"},
		{expr: "a between :n and :s", err: "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:user#1}"},
		{expr: "pk = :s AND pk = :s2", err: "KeyConditionExpressions must only contain one condition per key"},
		{expr: "#pk = :s AND #sk.foo = :n", err: "KeyConditionExpressions cannot have conditions on nested attributes"},
		{expr: "m.pk = :s", err: "KeyConditionExpressions cannot have conditions on nested attributes"},
		{expr: "pk = :undefined", err: "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
		{expr: "#x = :s", err: "Invalid KeyConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{expr: "pk = :m", err: "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{expr: "pk = :bool", err: "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{expr: "pk = :s AND begins_with(sk, :n)", err: "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{expr: "pk = :s AND sk BETWEEN :n2 AND :n1", err: "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"},
		{expr: "pk = sk", err: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{expr: "pk = pk", err: "Invalid KeyConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [pk]"},
		{expr: "status = :s", err: "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"},
		{expr: "pk = :s AND", err: `Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			kc, err := ParseKeyCondition(tt.expr, Names{"#pk": "pk", "#sk": "sk"}, keyValues())
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("error: got %q, want %q", msg, tt.err)
			}
			if tt.err != "" {
				return
			}
			if kc.HashName != tt.hash || (tt.hash != "" && !attr.Equal(kc.Hash, tt.hashValue)) {
				t.Fatalf("hash: got %s=%+v, want %s=%+v", kc.HashName, kc.Hash, tt.hash, tt.hashValue)
			}
			mustEqualRange(t, kc.Range, tt.rng)
		})
	}
}

func mustEqualRange(t testing.TB, got, want *RangeCondition) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("range: got %+v, want %+v", got, want)
	}
	if got == nil {
		return
	}
	if got.Name != want.Name || got.Op != want.Op || len(got.Values) != len(want.Values) {
		t.Fatalf("range: got %+v, want %+v", got, want)
	}
	for i := range got.Values {
		if !attr.Equal(got.Values[i], want.Values[i]) {
			t.Fatalf("range value %d: got %+v, want %+v", i, got.Values[i], want.Values[i])
		}
	}
}

func TestKeyConditionForSchema(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, hash, rng string
		wantHash        string
		wantRange       string
		err             string
	}{
		{expr: "pk = :s AND sk = :n", hash: "pk", rng: "sk", wantHash: "pk", wantRange: "sk"},
		{expr: "pk = :s AND sk = :n", hash: "sk", rng: "pk", wantHash: "sk", wantRange: "pk"},
		{expr: "sk > :n AND pk = :s", hash: "pk", rng: "sk", wantHash: "pk", wantRange: "sk"},
		{expr: "pk = :s", hash: "pk", rng: "sk", wantHash: "pk"},
		{expr: "pk = :s", hash: "pk", wantHash: "pk"},
		{expr: "sk > :n", hash: "pk", rng: "sk", err: "Query condition missed key schema element: pk"},
		{expr: "attr2 = :s", hash: "pk", rng: "sk", err: "Query condition missed key schema element: pk"},
		{expr: "pk > :n", hash: "pk", rng: "sk", err: "Query key condition not supported"},
		{expr: "sk < :n AND pk > :n", hash: "pk", rng: "sk", err: "Query key condition not supported"},
		{expr: "pk = :s AND attr2 = :n", hash: "pk", rng: "sk", err: "Query condition missed key schema element: sk"},
		{expr: "pk = :s AND sk = :n", hash: "pk", err: "Query key condition not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"/"+tt.hash+","+tt.rng, func(t *testing.T) {
			kc, err := ParseKeyCondition(tt.expr, nil, keyValues())
			if err != nil {
				t.Fatal(err)
			}
			kc, err = kc.ForSchema(tt.hash, tt.rng)
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("error: got %q, want %q", msg, tt.err)
			}
			if tt.err != "" {
				return
			}
			gotRange := ""
			if kc.Range != nil {
				gotRange = kc.Range.Name
			}
			if kc.HashName != tt.wantHash || gotRange != tt.wantRange {
				t.Fatalf("got hash %q range %q, want %q %q", kc.HashName, gotRange, tt.wantHash, tt.wantRange)
			}
			if len(kc.ValuesUsed()) == 0 {
				t.Fatal("ForSchema lost the values used")
			}
		})
	}
}

func TestRangeConditionMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rc   *RangeCondition
		v    attr.Value
		want bool
	}{
		{nil, attr.Str("x"), true},
		{&RangeCondition{Op: "=", Values: []attr.Value{attr.Num("5")}}, attr.Num("5.0"), true},
		{&RangeCondition{Op: "<", Values: []attr.Value{attr.Num("5")}}, attr.Num("4"), true},
		{&RangeCondition{Op: "<", Values: []attr.Value{attr.Num("5")}}, attr.Num("5"), false},
		{&RangeCondition{Op: "<=", Values: []attr.Value{attr.Num("5")}}, attr.Num("5"), true},
		{&RangeCondition{Op: ">", Values: []attr.Value{attr.Str("b")}}, attr.Str("c"), true},
		{&RangeCondition{Op: ">=", Values: []attr.Value{attr.Str("b")}}, attr.Str("a"), false},
		{&RangeCondition{Op: "BETWEEN", Values: []attr.Value{attr.Num("1"), attr.Num("10")}}, attr.Num("10"), true},
		{&RangeCondition{Op: "BETWEEN", Values: []attr.Value{attr.Num("1"), attr.Num("10")}}, attr.Num("11"), false},
		{&RangeCondition{Op: "begins_with", Values: []attr.Value{attr.Str("order#")}}, attr.Str("order#7"), true},
		{&RangeCondition{Op: "begins_with", Values: []attr.Value{attr.Str("order#")}}, attr.Str("user#7"), false},
		{&RangeCondition{Op: "=", Values: []attr.Value{attr.Num("5")}}, attr.Str("5"), false},
	}
	for _, tt := range tests {
		if got := tt.rc.Match(tt.v); got != tt.want {
			t.Errorf("%+v.Match(%+v) = %v, want %v", tt.rc, tt.v, got, tt.want)
		}
	}
}
