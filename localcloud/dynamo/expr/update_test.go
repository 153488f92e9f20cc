package expr

import (
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// updateBase is the item the update cases are applied to.
func updateBase() attr.Item {
	return attr.Item{
		"id": attr.Str("k"),
		"n":  attr.Num("5"),
		"s":  attr.Str("str"),
		"l":  attr.List(attr.Str("a"), attr.Str("b"), attr.Str("c"), attr.Str("d")),
		"m": attr.Map(map[string]attr.Value{
			"x":   attr.Num("1"),
			"in2": attr.Map(map[string]attr.Value{}),
			"ml":  attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
		}),
		"ss": attr.StrSet("a", "b"),
		"ns": attr.NumSet("1", "2"),
		"bs": attr.BinSet([]byte("x")),
	}
}

func strs(ss ...string) []attr.Value {
	out := make([]attr.Value, len(ss))
	for i, s := range ss {
		out[i] = attr.Str(s)
	}
	return out
}

// updateCases: set holds attributes expected to differ from updateBase,
// gone those expected to be removed; updated is the expected list of
// updated top-level names (nil to skip the check).
var updateCases = []struct {
	expr    string
	set     attr.Item
	gone    []string
	updated []string
	err     string
}{
	// SET
	{expr: "SET n = :seven", set: attr.Item{"n": attr.Num("7")}, updated: []string{"n"}},
	{expr: "SET n = n + :one", set: attr.Item{"n": attr.Num("6")}},
	{expr: "SET n = n - :two5", set: attr.Item{"n": attr.Num("2.5")}},
	{expr: "SET n = :one + :one", set: attr.Item{"n": attr.Num("2")}},
	{expr: "SET n = :one-:ten", set: attr.Item{"n": attr.Num("-9")}},
	{expr: "SET newn = if_not_exists(newn, :zero) + :one", set: attr.Item{"newn": attr.Num("1")}, updated: []string{"newn"}},
	{expr: "SET n = if_not_exists(n, :zero) + :one", set: attr.Item{"n": attr.Num("6")}},
	{expr: "SET s = if_not_exists(s, :hello)", set: attr.Item{}},
	{expr: "SET l = list_append(l, :newl)", set: attr.Item{"l": attr.List(strs("a", "b", "c", "d", "e")...)}},
	{expr: "SET l = list_append(:newl, l)", set: attr.Item{"l": attr.List(strs("e", "a", "b", "c", "d")...)}},
	{expr: "SET l2 = list_append(if_not_exists(l2, :empty), :newl)", set: attr.Item{"l2": attr.List(strs("e")...)}},
	{expr: "SET m.x = :two5, m.in2.y = :one", updated: []string{"m"}, set: attr.Item{"m": attr.Map(map[string]attr.Value{
		"x": attr.Num("2.5"), "in2": attr.Map(map[string]attr.Value{"y": attr.Num("1")}),
		"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
	})}},
	{expr: "SET m.ml[0].q = :seven", set: attr.Item{"m": attr.Map(map[string]attr.Value{
		"x": attr.Num("1"), "in2": attr.Map(map[string]attr.Value{}),
		"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("7")})),
	})}},
	{expr: "SET #m.#x = :seven", set: attr.Item{"m": attr.Map(map[string]attr.Value{
		"x": attr.Num("7"), "in2": attr.Map(map[string]attr.Value{}),
		"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
	})}},
	{expr: "SET l[1] = :x", set: attr.Item{"l": attr.List(strs("a", "x", "c", "d")...)}},
	{expr: "SET l[10] = :x", set: attr.Item{"l": attr.List(strs("a", "b", "c", "d", "x")...)}},
	{expr: "SET cp = m.x", set: attr.Item{"cp": attr.Num("1")}},
	{expr: "SET n = :hello, s = n", set: attr.Item{"n": attr.Str("hello"), "s": attr.Num("5")}},
	{expr: "SET #s = :hello", set: attr.Item{"Status": attr.Str("hello")}, updated: []string{"Status"}},
	{expr: "set n = :seven", set: attr.Item{"n": attr.Num("7")}},
	{expr: "SET n = :seven, s = :hello,m.x=:zero", set: attr.Item{"n": attr.Num("7"), "s": attr.Str("hello"), "m": attr.Map(map[string]attr.Value{
		"x": attr.Num("0"), "in2": attr.Map(map[string]attr.Value{}),
		"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
	})}},
	{expr: "SET m.nope.y = :one", err: msgInvalidPath},
	{expr: "SET nope.y = :one", err: msgInvalidPath},
	{expr: "SET s.y = :one", err: msgInvalidPath},
	{expr: "SET l[10].y = :x", err: msgInvalidPath},
	{expr: "SET n[0] = :x", err: msgInvalidPath},
	{expr: "SET m[0] = :x", err: msgInvalidPath},
	{expr: "SET cp = nope", err: msgMissingAttr},
	{expr: "SET a = :one, b = a", err: msgMissingAttr},
	{expr: "SET n = nope + :one", err: msgMissingAttr},
	{expr: "SET n = s + :one", err: msgIncorrectType},
	{expr: "SET n = n + :hello", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
	{expr: "SET n = :kv - n", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: M"},
	{expr: "SET l = list_append(l, :one)", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N"},
	{expr: "SET l = list_append(l, s)", err: msgIncorrectType},
	{expr: "SET n = n - (:one + :two)", set: attr.Item{"n": attr.Num("2")}},
	{expr: "SET n = (n + :one)", set: attr.Item{"n": attr.Num("6")}},
	{expr: "SET n = ((n) - :one)", set: attr.Item{"n": attr.Num("4")}},
	{expr: "SET n = (n + :one", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ":one"`},
	{expr: "SET l = list_append(s, l)", err: msgIncorrectType},
	{expr: "SET l = list_append(:hello, l)", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
	{expr: "SET n = n + :big", err: "Attempting to store more than 38 significant digits in a Number"},
	// REMOVE
	{expr: "REMOVE s, m.x", gone: []string{"s"}, updated: []string{"s", "m"}, set: attr.Item{"m": attr.Map(map[string]attr.Value{
		"in2": attr.Map(map[string]attr.Value{}),
		"ml":  attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
	})}},
	{expr: "REMOVE l[1], l[3]", set: attr.Item{"l": attr.List(strs("a", "c")...)}},
	{expr: "REMOVE l[3], l[1]", set: attr.Item{"l": attr.List(strs("a", "c")...)}},
	{expr: "REMOVE l[0], l[1], l[2], l[3]", set: attr.Item{"l": attr.List()}},
	{expr: "REMOVE l[9]", set: attr.Item{}},
	{expr: "REMOVE absent", set: attr.Item{}, updated: []string{"absent"}},
	{expr: "REMOVE m.absent", set: attr.Item{}},
	{expr: "REMOVE nope.x", err: msgInvalidPath},
	{expr: "REMOVE s.x", err: msgInvalidPath},
	{expr: "REMOVE m[0]", err: msgInvalidPath},
	// ADD
	{expr: "ADD n :one", set: attr.Item{"n": attr.Num("6")}},
	{expr: "ADD n :neg", set: attr.Item{"n": attr.Num("2.5")}},
	{expr: "ADD newn :one", set: attr.Item{"newn": attr.Num("1")}},
	{expr: "ADD m.in2.c :one", set: attr.Item{"m": attr.Map(map[string]attr.Value{
		"x": attr.Num("1"), "in2": attr.Map(map[string]attr.Value{"c": attr.Num("1")}),
		"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")})),
	})}},
	{expr: "ADD ss :ssCB", set: attr.Item{"ss": attr.StrSet("a", "b", "c")}},
	{expr: "ADD ns :ns13", set: attr.Item{"ns": attr.NumSet("1", "2", "3")}},
	{expr: "ADD newss :ssCB", set: attr.Item{"newss": attr.StrSet("c", "b")}},
	{expr: "ADD n :one, ss :ssA", set: attr.Item{"n": attr.Num("6")}, updated: []string{"n", "ss"}},
	{expr: "ADD nope.x :one", err: msgInvalidPath},
	{expr: "ADD n :ssCB", err: msgIncorrectType},
	{expr: "ADD ss :ns13", err: msgIncorrectType},
	{expr: "ADD s :hello", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
	{expr: "ADD l :newl", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"},
	// DELETE
	{expr: "DELETE ss :ssA", set: attr.Item{"ss": attr.StrSet("b")}},
	{expr: "DELETE ss :ssAB", gone: []string{"ss"}},
	{expr: "DELETE ns :ns2", set: attr.Item{"ns": attr.NumSet("1")}},
	{expr: "DELETE ss :ssCB", set: attr.Item{"ss": attr.StrSet("a")}},
	{expr: "DELETE absent :ssA", set: attr.Item{}},
	{expr: "DELETE ss :one", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"},
	{expr: "DELETE n :ssA", err: msgIncorrectType},
	{expr: "DELETE ns :ssA", err: msgIncorrectType},
	// clauses together, any order
	{expr: "SET a = :one REMOVE s ADD n :one DELETE ss :ssA", set: attr.Item{"a": attr.Num("1"), "n": attr.Num("6"), "ss": attr.StrSet("b")}, gone: []string{"s"}, updated: []string{"a", "s", "n", "ss"}},
	{expr: "delete ss :ssA add n :one remove s set a = :one", set: attr.Item{"a": attr.Num("1"), "n": attr.Num("6"), "ss": attr.StrSet("b")}, gone: []string{"s"}, updated: []string{"ss", "n", "s", "a"}},
	{expr: "SET a = :one SET b = :one", err: `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
	{expr: "REMOVE s ADD n :one REMOVE n", err: `Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;`},
	{expr: "ADD n :one ADD s :one", err: `Invalid UpdateExpression: The "ADD" section can only be used once in an update expression;`},
	{expr: "DELETE ss :ssA DELETE ns :ns2", err: `Invalid UpdateExpression: The "DELETE" section can only be used once in an update expression;`},
	// overlapping paths
	{expr: "SET n = :one, n = :two", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]"},
	{expr: "SET m = :one, m.x = :one", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]"},
	{expr: "SET l[0] = :x REMOVE l[0]", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, [0]]"},
	{expr: "REMOVE m.x ADD m :one", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]"},
	{expr: "SET #m.#x = :one, m.x = :one", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m, x]"},
	{expr: "SET m.x = :one REMOVE m[0]", err: "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m, [0]]"},
	{expr: "SET d = :one, c = :one, m.x = :one, m.ml[0].q = :one, #m = :one", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]"},
	{expr: "SET l[1] = :one, l.b = :one, m.x = :one, #m = :one", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]"},
	{expr: "REMOVE m, #m.a", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, a]"},
	{expr: "REMOVE l.#x SET l[1] = :one", err: "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [l, x], path two: [l, [1]]"},
	// validation phases: functions, then reserved words, then repeated clauses
	{expr: "SET #c = if_not_exist(:c) SET c = d", err: "Invalid UpdateExpression: Invalid function name; function: if_not_exist"},
	{expr: " SET #c = :c SET abOrt = true ", err: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt"},
	{expr: "SET a = #c SET c = :d", err: `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
	{expr: "SET #undef = if_not_exists(:c)", err: "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #undef"},
	{expr: "SET a = if_not_exists(:undefined)", err: "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	{expr: "SET a = if_not_exists(c)", err: "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
	{expr: "SET a = if_not_exists(if_not_exists(a, b), c)", err: "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
	{expr: "SET b = list_append(:hello, s), c = if_not_exists(s) ADD m.x :hello", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
	{expr: "SET a = :hello + :b1", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
	{expr: "SET a = :b1 - n", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: B"},
	{expr: "SET a = list_append(l, :newl) + :one", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: L"},
	{expr: "SET a = set", err: `Invalid UpdateExpression: Syntax error; token: "set", near: "= set"`},
	{expr: "ADD abort b", err: `Invalid UpdateExpression: Syntax error; token: "b", near: "abort b"`},
	{expr: "SET a = b / c", err: `Invalid UpdateExpression: Syntax error; token: "/", near: "b / c"`},
	{expr: "SET (a = (b + c))", err: `Invalid UpdateExpression: Syntax error; token: "(", near: "SET (a"`},
	{expr: "SET a = (b.c).d + e", err: `Invalid UpdateExpression: Syntax error; token: ".", near: ").d"`},
	{expr: "SET n = ((n) + (:one))", set: attr.Item{"n": attr.Num("6")}},
	// targets are checked against the item before values are read
	{expr: "SET nope.a = absent", err: msgInvalidPath},
	{expr: "DELETE s.a :ssA", err: msgInvalidPath},
	{expr: "DELETE nope.a :ssA", err: msgInvalidPath},
	{expr: "DELETE m[1] :ssA", err: msgInvalidPath},
	{expr: "DELETE l.x :ssA", err: msgInvalidPath},
	{expr: "DELETE m.absent :ssA", set: attr.Item{}},
	{expr: "ADD l.x :one", err: msgInvalidPath},
	{expr: "REMOVE l.x", err: msgInvalidPath},
	// placeholders
	{expr: "SET n = :undefined", err: "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	{expr: "SET #undef = :one", err: "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #undef"},
	{expr: "ADD n :undefined", err: "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	// syntax
	{expr: "", err: "Invalid UpdateExpression: The expression can not be empty;"},
	{expr: "SET", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"`},
	{expr: "SET n = :one,", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","`},
	{expr: "SET n :one", err: `Invalid UpdateExpression: Syntax error; token: ":one", near: "n :one"`},
	{expr: "SET n = n + :one + :one", err: `Invalid UpdateExpression: Syntax error; token: "+", near: ":one + :one"`},
	{expr: "SET c = c + 1", err: `Invalid UpdateExpression: Syntax error; token: "1", near: "+ 1"`},
	{expr: "SET n = :one REMOVE", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"`},
	{expr: "UPDATE n = :one", err: `Invalid UpdateExpression: Syntax error; token: "UPDATE", near: "UPDATE n"`},
	{expr: "ADD n n", err: `Invalid UpdateExpression: Syntax error; token: "n", near: "n n"`},
	{expr: "ADD n", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "n"`},
	{expr: "REMOVE n = :one", err: `Invalid UpdateExpression: Syntax error; token: "=", near: "n = :one"`},
	{expr: "SET n = :one REMOVE s,", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","`},
	{expr: "SET status = :one", err: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"},
	{expr: "REMOVE Absolute", err: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute"},
	{expr: "SET n = size(s)", err: "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"},
	{expr: "SET n = attribute_exists(s)", err: "Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_exists"},
	{expr: "SET n = foo(s)", err: "Invalid UpdateExpression: Invalid function name; function: foo"},
	{expr: "SET n = if_not_exists(:one, :one)", err: "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
	{expr: "SET n = list_append(l)", err: "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"},
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	names, values := testNames(), testValues()
	for _, tt := range updateCases {
		t.Run(tt.expr, func(t *testing.T) {
			base := updateBase()
			orig := attr.CloneItem(base)
			u, err := ParseUpdate(tt.expr)
			var got attr.Item
			var updated []string
			if err == nil {
				got, updated, err = u.Apply(base, names, values)
			}
			mustEqualItems(t, base, orig) // Apply never mutates its input
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("error: got %q, want %q", msg, tt.err)
			}
			if tt.err != "" {
				return
			}
			want := attr.CloneItem(orig)
			for k, v := range tt.set {
				want[k] = v
			}
			for _, k := range tt.gone {
				delete(want, k)
			}
			mustEqualItems(t, got, want)
			if tt.updated != nil && strings.Join(updated, ",") != strings.Join(tt.updated, ",") {
				t.Fatalf("updated: got %v, want %v", updated, tt.updated)
			}
		})
	}
}

func TestUpdateCreatesItem(t *testing.T) {
	t.Parallel()
	u, err := ParseUpdate("SET a = :one ADD c :one")
	if err != nil {
		t.Fatal(err)
	}
	got, updated, err := u.Apply(nil, nil, testValues())
	if err != nil {
		t.Fatal(err)
	}
	mustEqualItems(t, got, attr.Item{"a": attr.Num("1"), "c": attr.Num("1")})
	if strings.Join(updated, ",") != "a,c" {
		t.Fatalf("updated: got %v, want [a c]", updated)
	}
}

func TestUpdateResultSharesNothing(t *testing.T) {
	t.Parallel()
	u, err := ParseUpdate("SET l2 = :newl, m.x = :one")
	if err != nil {
		t.Fatal(err)
	}
	values := testValues()
	base := updateBase()
	got, _, err := u.Apply(base, nil, values)
	if err != nil {
		t.Fatal(err)
	}
	got["l2"].List[0] = attr.Str("changed")
	got["l"].List[0] = attr.Str("changed")
	if values[":newl"].List[0].Str != "e" || base["l"].List[0].Str != "a" {
		t.Fatal("result shares memory with the values or the input item")
	}
}

func TestUpdateUsage(t *testing.T) {
	t.Parallel()
	u, err := ParseUpdate("SET #a = if_not_exists(#a, :z) + :inc REMOVE #b ADD c :inc")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(u.NamesUsed(), ","); got != "#a,#b" {
		t.Errorf("NamesUsed: got %s, want #a,#b", got)
	}
	if got := strings.Join(u.ValuesUsed(), ","); got != ":z,:inc" {
		t.Errorf("ValuesUsed: got %s, want :z,:inc", got)
	}
}

func TestUpdateCheckWithoutItem(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, err string }{
		{expr: "SET a = :one, b = nope + :one"},
		{expr: "SET a = :one, a = :two", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{expr: "ADD s :hello", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
		{expr: "SET a = :hello + :one", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{expr: "REMOVE #nope", err: "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #nope"},
	}
	for _, tt := range tests {
		u, err := ParseUpdate(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := errMsg(t, u.Check(nil, testValues())); got != tt.err {
			t.Errorf("Check(%s): got %q, want %q", tt.expr, got, tt.err)
		}
	}
}

// TestUpdateListOrder follows an update measured against DynamoDB: list
// elements are written in index order whatever the order of the actions,
// operands read the original item, and UPDATED_NEW projects the written
// paths.
func TestUpdateListOrder(t *testing.T) {
	t.Parallel()
	item := attr.Item{
		"a": attr.Str("k"),
		"b": attr.Map(map[string]attr.Value{"a": attr.Num("1"), "b": attr.Num("2"), "c": attr.Num("3")}),
		"c": attr.List(attr.Num("1"), attr.Num("3")),
	}
	u, err := ParseUpdate("set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a")
	if err != nil {
		t.Fatal(err)
	}
	got, updated, err := u.Apply(item, nil, Values{":a": attr.Num("2"), ":b": attr.StrSet("a")})
	if err != nil {
		t.Fatal(err)
	}
	mustEqualItems(t, got, attr.Item{
		"a": attr.Str("k"),
		"b": attr.Map(map[string]attr.Value{"a": attr.Str("k"), "b": attr.Num("2"), "c": attr.Num("4")}),
		"c": attr.List(attr.Num("1"), attr.Str("k"), attr.Num("3"), attr.Num("-1"), attr.Num("2"), attr.StrSet("a")),
	})
	if strings.Join(updated, ",") != "b,c" {
		t.Errorf("updated: got %v, want [b c]", updated)
	}
	mustEqualItems(t, u.Touched(got, nil), attr.Item{
		"b": attr.Map(map[string]attr.Value{"a": attr.Str("k"), "c": attr.Num("4")}),
		"c": attr.List(attr.Str("k"), attr.Num("3"), attr.Num("2")),
	})
	mustEqualItems(t, u.Touched(item, nil), attr.Item{
		"b": attr.Map(map[string]attr.Value{"a": attr.Num("1"), "c": attr.Num("3")}),
		"c": attr.List(attr.Num("3")),
	})
}
